// A tiny cross-thread collective on SharedArrayBuffers for data-parallel training: a barrier and
// an in-place sum over all parties, usable from the main thread and from worker_threads (Node
// allows Atomics.wait on its main thread). Every party builds a Collective over the same buffers
// (createCollectiveBuffers on one side, posted to the others) with its own rank 0 .. parties - 1.
// Every party must make the same sequence of barrier / allreduceSum calls.

/** The shared state, structured-cloneable (post it to the workers as is). */
export interface CollectiveBuffers {
  /** Int32: arrived, generation, aborted, then per parity and rank the values each allreduce sent. */
  control: SharedArrayBuffer;
  /** Float64: 2 (call parity) x parties x maxValues. */
  data: SharedArrayBuffer;
  parties: number;
  maxValues: number;
}

/** Thrown by barrier / allreduceSum once any party has called abort(). */
export class CollectiveAbortedError extends Error {
  constructor(message = 'collective aborted (another thread failed or training was cancelled)') {
    super(message);
    this.name = 'CollectiveAbortedError';
  }
}

const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
const LENGTHS = 3;
/**
 * Poll with Atomics.load this long before sleeping in Atomics.wait: the other thread is usually
 * well under a millisecond away, and waking from Atomics.wait costs ~0.1 ms on these VMs (with
 * 21 meeting points a step, fcn-deep's two-thread step took ~1 ms longer sleeping right away).
 */
const SPIN_MS = 2;
/** Sleep at most this long per Atomics.wait, so an abort is noticed even without its notify. */
const WAIT_MS = 20;

export function createCollectiveBuffers(parties: number, maxValues: number): CollectiveBuffers {
  if (!Number.isInteger(parties) || parties < 1) throw new Error(`collective: parties must be a positive integer, got ${parties}`);
  if (!Number.isInteger(maxValues) || maxValues < 0) throw new Error(`collective: maxValues must be a non-negative integer, got ${maxValues}`);
  return {
    control: new SharedArrayBuffer((LENGTHS + 2 * parties) * Int32Array.BYTES_PER_ELEMENT),
    data: new SharedArrayBuffer(2 * parties * maxValues * Float64Array.BYTES_PER_ELEMENT),
    parties,
    maxValues,
  };
}

export class Collective {
  readonly rank: number;
  readonly parties: number;
  private readonly maxValues: number;
  private readonly control: Int32Array;
  private readonly data: Float64Array;
  /** allreduceSum calls made by this party (the same count in every party). */
  private calls = 0;

  constructor(buffers: CollectiveBuffers, rank: number) {
    const { parties, maxValues } = buffers;
    if (!Number.isInteger(rank) || rank < 0 || rank >= parties) throw new Error(`collective: rank ${rank} out of range 0..${parties - 1}`);
    this.control = new Int32Array(buffers.control);
    this.data = new Float64Array(buffers.data);
    if (this.control.length !== LENGTHS + 2 * parties || this.data.length !== 2 * parties * maxValues) {
      throw new Error('collective: buffers do not match parties / maxValues (use createCollectiveBuffers)');
    }
    this.rank = rank;
    this.parties = parties;
    this.maxValues = maxValues;
  }

  get aborted(): boolean {
    return Atomics.load(this.control, ABORTED) !== 0;
  }

  /** Marks the collective aborted for good and wakes every party waiting in it. */
  abort(): void {
    Atomics.store(this.control, ABORTED, 1);
    Atomics.notify(this.control, GENERATION);
  }

  private throwIfAborted(): void {
    if (this.aborted) throw new CollectiveAbortedError();
  }

  /**
   * Everyone waits until all parties arrived (generation-counting barrier). A party reads the
   * generation before it counts itself in, so the last arriver's bump (after resetting `arrived`
   * for the next round) always releases it, however fast the others re-enter.
   */
  barrier(): void {
    this.throwIfAborted();
    if (this.parties === 1) return;
    const c = this.control;
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.add(c, ARRIVED, 1) === this.parties - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    const spinUntil = performance.now() + SPIN_MS;
    do {
      for (let i = 0; i < 256; i++) {
        if (Atomics.load(c, GENERATION) !== generation) return;
      }
    } while (performance.now() < spinUntil);
    while (Atomics.load(c, GENERATION) === generation) {
      this.throwIfAborted();
      Atomics.wait(c, GENERATION, generation, WAIT_MS);
    }
  }

  /**
   * In place: values becomes the sum over all parties, added in rank order (rank 0 + rank 1 +
   * ...) so every party gets bit-identical results. Every party passes the same length.
   *
   * Race-free back to back: call k writes and reads the slots of parity k % 2 only. A party that
   * has read call k's sums may go on to call k + 1 (the other parity's slots, untouched by call k)
   * but cannot leave call k + 1's barrier before every party has arrived there, i.e. has finished
   * reading call k's sums; only after that barrier can anyone write parity k % 2 again (call k + 2).
   * Extra barrier() calls in between only add synchronisation.
   */
  allreduceSum(values: Float64Array): void {
    const length = values.length;
    if (length > this.maxValues) throw new Error(`collective: ${length} values, at most ${this.maxValues}`);
    this.throwIfAborted();
    if (this.parties === 1) return;
    const parity = this.calls++ & 1;
    const { parties, maxValues, data, control } = this;
    const slots = parity * parties * maxValues;
    data.set(values, slots + this.rank * maxValues);
    Atomics.store(control, LENGTHS + parity * parties + this.rank, length);
    this.barrier();
    for (let r = 0; r < parties; r++) {
      const sent = Atomics.load(control, LENGTHS + parity * parties + r);
      if (sent !== length) {
        this.abort();
        throw new Error(`collective: rank ${this.rank} sent ${length} values, rank ${r} sent ${sent}`);
      }
    }
    // Rank 0's values, then each other rank's added in order: the same float operations everywhere.
    values.set(data.subarray(slots, slots + length));
    for (let r = 1; r < parties; r++) {
      const from = slots + r * maxValues;
      for (let i = 0; i < length; i++) values[i] += data[from + i];
    }
  }
}
