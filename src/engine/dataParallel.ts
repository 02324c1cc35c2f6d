// Data-parallel training on two cores: the main thread and one engine thread, each with its own
// wasm backend and an identical copy of the model. Every step the main thread hands the engine
// thread part of the batch (shared rows); each computes the gradients of its share of the
// whole-batch loss (its mean loss scaled by its share of the rows); each variable's owner adds the
// other thread's gradient to its own, updates the variable with its optimizer and hands the new
// value back (GradientExchange), so the copies stay identical. Batch norm normalises over the
// whole batch through setBatchNormSync. Three barriers a step: rows handed out, gradients handed
// over, new values handed back.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedTrainingConfig } from '../core/experiment.generated';
import { setBatchNormSync } from './kernels/batchNorm';
import { wasmOps, type RawOps } from './kernels/rawOps';
import { lossFunction, type LossFunction } from './losses';
import { applyModel, inputChannels } from './models';
import { makeOptimizer } from './optimizers';
import { loadArtifacts, modelArtifacts } from './thread/artifacts';
import { Collective, createCollectiveBuffers } from './thread/collective';
import type { DataParallelBuffers, TrainSessionRequest } from './thread/messages';
import type { EngineThread } from './thread/spawn';

const MAIN_RANK = 0;
const THREAD_RANK = 1;
const PARTIES = 2;

// header: [command, main's rows, thread's rows]
const COMMAND = 0;
const MAIN_ROWS = 1;
const THREAD_ROWS = 2;
const STEP = 1;
const STOP = 2;

/** How a batch of n rows is shared: the main thread's and the engine thread's rows. */
export function splitBatch(n: number): { main: number; thread: number } {
  if (n < 1) throw new Error(`a batch needs at least one row, got ${n}`);
  // One row: both threads take it, each with half the weight (the sum is the full gradient, and
  // batch norm sees that row twice: mean and variance are those of one row).
  if (n === 1) return { main: 1, thread: 1 };
  const main = Math.ceil(n / 2);
  return { main, thread: n - main };
}

function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  // LayerVariable.read() is the tf.Variable itself.
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Which thread updates which variable: largest first, each to the thread with fewer parameters so
 * far. Deterministic, so both threads compute the same split.
 */
export function assignOwners(sizes: readonly number[], parties = PARTIES): number[] {
  const owners = new Array<number>(sizes.length).fill(0);
  const load = new Array<number>(parties).fill(0);
  const order = sizes.map((size, i) => ({ size, i })).sort((p, q) => q.size - p.size || p.i - q.i);
  for (const { size, i } of order) {
    let owner = 0;
    for (let r = 1; r < parties; r++) if (load[r] < load[owner]) owner = r;
    owners[i] = owner;
    load[owner] += size;
  }
  return owners;
}

/**
 * One thread's side of a step. Each variable has an owner thread (assignOwners): the other thread
 * hands over its gradient for it, the owner adds it to its own, runs the optimizer on the sum and
 * hands the new value back. So each thread copies, sums and updates about half the parameters,
 * and the two copies of every variable end up identical (one computed it, the other copied it).
 */
class GradientExchange {
  private readonly variables: tf.Variable[];
  private readonly owners: number[];
  private readonly offsets: number[];
  /** Gradients from their non-owner, at each variable's offset. */
  private readonly gradients: Float32Array;
  /** New values from their owner, at each variable's offset. */
  private readonly values: Float32Array;
  private readonly losses: Float64Array;
  /** Tensor values as views of the wasm heap, without a copy (checkBackend: wasm only). */
  private readonly heap: RawOps = wasmOps(tf.backend());

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly optimizer: tf.Optimizer,
    private readonly loss: LossFunction,
    private readonly collective: Collective,
    buffers: DataParallelBuffers,
  ) {
    this.variables = trainableVariables(model);
    const sizes = this.variables.map((v) => v.size);
    const parameterCount = sizes.reduce((sum, n) => sum + n, 0);
    if (parameterCount !== buffers.parameterCount) {
      throw new Error(`data-parallel training: model has ${parameterCount} parameters, the shared buffers ${buffers.parameterCount}`);
    }
    this.owners = assignOwners(sizes);
    this.offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((sum, n) => sum + n, 0));
    this.gradients = new Float32Array(buffers.gradients);
    this.values = new Float32Array(buffers.values);
    this.losses = new Float64Array(buffers.losses);
  }

  private slot(buffer: Float32Array, i: number): Float32Array {
    return buffer.subarray(this.offsets[i], this.offsets[i] + this.variables[i].size);
  }

  /**
   * Trains on x, this thread's rows, whose share of the whole-batch loss is `share`. Returns the
   * whole batch's loss (both threads' scaled losses added) as a number.
   */
  step(x: tf.Tensor4D, share: number): number {
    const rank = this.collective.rank;
    const { value, grads } = this.optimizer.computeGradients(
      () => tf.mul(this.loss(x, applyModel(this.model, x, true)), share) as tf.Scalar, this.variables,
    );
    const summed: tf.NamedTensorMap = {};
    try {
      this.variables.forEach((v, i) => {
        if (this.owners[i] !== rank) this.slot(this.gradients, i).set(this.heap.f32(grads[v.name]));
      });
      this.losses[rank] = value.dataSync()[0];
      this.collective.barrier();
      this.variables.forEach((v, i) => {
        if (this.owners[i] === rank) summed[v.name] = tf.tidy(() => tf.add(grads[v.name], tf.tensor(this.slot(this.gradients, i), v.shape)));
      });
      this.optimizer.applyGradients(summed);
      this.variables.forEach((v, i) => {
        if (this.owners[i] === rank) this.slot(this.values, i).set(this.heap.f32(v));
      });
      this.collective.barrier();
      this.variables.forEach((v, i) => {
        if (this.owners[i] !== rank) tf.tidy(() => v.assign(tf.tensor(this.slot(this.values, i), v.shape)));
      });
    } finally {
      tf.dispose([value, ...Object.values(grads), ...Object.values(summed)]);
    }
    return this.losses[MAIN_RANK] + this.losses[THREAD_RANK];
  }
}

function checkBackend(): void {
  // The gradient exchange reads the heap directly and the thread runs wasm: both sides must match.
  if (tf.getBackend() !== 'wasm') throw new Error(`data-parallel training needs the wasm backend, this thread runs ${tf.getBackend()}`);
}

/** The main thread's side of a data-parallel training session. */
export class DataParallelSession {
  private readonly header: Int32Array;
  private readonly rows: Float32Array;
  private closed = false;

  private constructor(
    private readonly exchange: GradientExchange,
    private readonly collective: Collective,
    buffers: DataParallelBuffers,
    private readonly done: Promise<void>,
    private readonly disposeOptimizer: () => void,
    private readonly pixels: number,
    private readonly shape: [number, number, number],
  ) {
    this.header = new Int32Array(buffers.header);
    this.rows = new Float32Array(buffers.rows);
  }

  /**
   * Starts the engine thread's side (a copy of `model` as it is now, a fresh optimizer) and
   * resolves once it is ready for the first step.
   */
  static async open(
    thread: EngineThread, model: tfl.LayersModel, cfg: ResolvedTrainingConfig, batchSize: number, width: number, height: number,
  ): Promise<DataParallelSession> {
    checkBackend();
    const pixels = width * height * inputChannels(model);
    const parameterCount = trainableVariables(model).reduce((sum, v) => sum + v.size, 0);
    const buffers: DataParallelBuffers = {
      collective: createCollectiveBuffers(PARTIES, 2 * 1024 + 1),
      header: new SharedArrayBuffer(3 * 4),
      rows: new SharedArrayBuffer(Math.ceil(batchSize / 2) * pixels * 4),
      gradients: new SharedArrayBuffer(parameterCount * 4),
      values: new SharedArrayBuffer(parameterCount * 4),
      losses: new SharedArrayBuffer(PARTIES * 8),
      parameterCount,
    };
    const collective = new Collective(buffers.collective, MAIN_RANK);
    let started!: () => void;
    const ready = new Promise<void>((resolve) => { started = resolve; });
    const done = thread.train({ model: await modelArtifacts(model), training: cfg, width, height, buffers }, () => started());
    // Either it starts, or it fails before starting (done rejects first).
    await Promise.race([ready, done.then(() => { throw new Error('engine thread ended its training session before starting it'); })]);
    const { optimizer, disposeOptimizer } = makeOptimizer(cfg);
    const exchange = new GradientExchange(model, optimizer, lossFunction(cfg), collective, buffers);
    setBatchNormSync(collective);
    return new DataParallelSession(exchange, collective, buffers, done, disposeOptimizer, pixels, [height, width, inputChannels(model)]);
  }

  /** One training step on `n` rows of `batch` (rows of width x height values); returns the batch's mean loss. */
  step(batch: Float32Array, n: number): number {
    if (this.closed) throw new Error('data-parallel session is closed');
    const split = splitBatch(n);
    const threadFrom = n === 1 ? 0 : split.main;
    this.rows.set(batch.subarray(threadFrom * this.pixels, (threadFrom + split.thread) * this.pixels));
    this.header[COMMAND] = STEP;
    this.header[MAIN_ROWS] = split.main;
    this.header[THREAD_ROWS] = split.thread;
    this.collective.barrier();
    const [height, width, channels] = this.shape;
    const x = tf.tensor4d(batch.subarray(0, split.main * this.pixels), [split.main, height, width, channels]);
    try {
      return this.exchange.step(x, split.main / (split.main + split.thread));
    } finally {
      x.dispose();
    }
  }

  /** Ends the session in both threads; resolves when the engine thread has left it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    setBatchNormSync(undefined);
    this.disposeOptimizer();
    if (!this.collective.aborted) {
      this.header[COMMAND] = STOP;
      this.collective.barrier();
    }
    await this.done;
  }

  /**
   * After a failure: wakes and ends the engine thread's side. Resolves to the engine thread's own
   * error if it failed (then this side's error is usually just the collective being aborted).
   */
  async abort(): Promise<Error | undefined> {
    if (this.closed) return undefined;
    this.closed = true;
    setBatchNormSync(undefined);
    this.disposeOptimizer();
    this.collective.abort();
    try {
      await this.done;
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}

/**
 * The engine thread's side: follows the main thread's steps until it says stop. `onReady` is
 * called once the model and optimizer are set up.
 */
export async function serveTrainSession(request: TrainSessionRequest, onReady: () => void): Promise<void> {
  checkBackend();
  const model = await loadArtifacts(request.model);
  const { optimizer, disposeOptimizer } = makeOptimizer(request.training);
  const collective = new Collective(request.buffers.collective, THREAD_RANK);
  try {
    const exchange = new GradientExchange(model, optimizer, lossFunction(request.training), collective, request.buffers);
    const header = new Int32Array(request.buffers.header);
    const rows = new Float32Array(request.buffers.rows);
    const channels = inputChannels(model);
    const pixels = request.width * request.height * channels;
    setBatchNormSync(collective);
    onReady();
    for (;;) {
      collective.barrier();
      if (header[COMMAND] === STOP) return;
      const mine = header[THREAD_ROWS];
      const total = header[MAIN_ROWS] + mine;
      const x = tf.tensor4d(rows.subarray(0, mine * pixels), [mine, request.height, request.width, channels]);
      try {
        exchange.step(x, mine / total);
      } finally {
        x.dispose();
      }
    }
  } catch (err) {
    // Wake the main thread wherever it waits; it reports the failure.
    collective.abort();
    throw err;
  } finally {
    setBatchNormSync(undefined);
    disposeOptimizer();
    model.dispose();
  }
}
