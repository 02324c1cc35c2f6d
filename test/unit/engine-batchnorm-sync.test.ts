// Synchronised batch norm for data-parallel training (kernels/batchNorm.ts's setBatchNormSync over
// thread/collective.ts's Collective): two real worker threads, each running the fused layer on its
// rows of a batch with the loss scaled by n_local / N, give the whole batch's outputs, gradients
// and moving statistics on one thread without sync; on wasm (SIMD and JS paths) and cpu, equal and
// unequal halves. Then the Collective itself: barrier, rank-ordered allreduce, back-to-back calls,
// abort. This file is also the workers' entry point (workerData.kind says which job).
import { strict as assert } from 'node:assert';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { installKernels } from '../../src/engine/kernels';
import { setBatchNormSync } from '../../src/engine/kernels/batchNorm';
import { FastBatchNormalization } from '../../src/engine/layers/batchNormalization';
import { Collective, CollectiveAbortedError, createCollectiveBuffers, type CollectiveBuffers } from '../../src/engine/thread/collective';
import { deterministicValues as data } from './support/deterministic';

type BackendName = 'wasm' | 'cpu';

interface BnCase {
  backend: BackendName;
  channels: number;
  /** Rows per thread; their sum is the batch. */
  rows: number[];
  seed: number;
}

/** What one thread (or the single-thread reference) got, per step: flat float32 values. */
interface BnResult {
  steps: Array<{ y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] }>;
  movingMean: number[];
  movingVariance: number[];
}

type Job =
  | { kind: 'bn'; buffers: CollectiveBuffers; rank: number; cases: BnCase[] }
  | { kind: 'collective'; buffers: CollectiveBuffers; rank: number; marks: SharedArrayBuffer; rounds: number; inputs: number[][] }
  | { kind: 'abort'; buffers: CollectiveBuffers; rank: number }
  | { kind: 'mismatch'; buffers: CollectiveBuffers; rank: number };

const STEPS = 2;
const MOMENTUM = 0.9;


function layerFor(channels: number, seed: number): FastBatchNormalization {
  const layer = new FastBatchNormalization({ momentum: MOMENTUM });
  layer.build([null, channels]);
  const weights = [
    tf.tensor1d(data(channels, seed + 1, 0.5, 1.5)), tf.tensor1d(data(channels, seed + 2)),
    tf.tensor1d(data(channels, seed + 3)), tf.tensor1d(data(channels, seed + 4, 0.5, 2)),
  ];
  layer.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

/**
 * STEPS training steps of the layer on rows [from, from + count) of the case's batches: the loss is
 * this thread's mean over its rows of sum(y * w), scaled by count / N (as the trainer does), so
 * with all threads together it is the whole batch's mean.
 */
function runRows(test: BnCase, from: number, count: number): BnResult {
  const c = test.channels;
  const total = test.rows.reduce((a, b) => a + b, 0);
  const layer = layerFor(c, test.seed);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const steps: BnResult['steps'] = [];
  for (let step = 0; step < STEPS; step++) {
    const seed = test.seed * 100 + step;
    const all = data(total * c, seed + 10, -2, 3);
    const allW = data(total * c, seed + 20);
    const rows = (values: Float32Array) => tf.tensor2d(values.subarray(from * c, (from + count) * c), [count, c]);
    const x = tf.variable(rows(all), true);
    const w = rows(allW);
    let y: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = layer.apply(x, { training: true }) as tf.Tensor;
      y = tf.keep(out.clone());
      const local = tf.div(tf.sum(tf.mul(out, w)), count);
      return tf.mul(local, count / total) as tf.Scalar;
    }, [x, gamma, beta]);
    steps.push({
      y: Array.from(y?.dataSync() ?? []), dx: Array.from(grads[x.name].dataSync()),
      dgamma: Array.from(grads[gamma.name].dataSync()), dbeta: Array.from(grads[beta.name].dataSync()),
    });
    tf.dispose([x, w, y, value, ...Object.values(grads)]);
  }
  const [, , movingMean, movingVariance] = layer.getWeights();
  const result = { steps, movingMean: Array.from(movingMean.dataSync()), movingVariance: Array.from(movingVariance.dataSync()) };
  for (const v of layer.weights) v.dispose();
  return result;
}

/**
 * runRows for every thread at once, on this thread: the layer in parts (applyInParts), each part
 * its thread's rows with its thread's scaled loss, the losses added. Returns each part's result,
 * with the layer's dgamma / dbeta (both parts') and moving statistics in part 0's.
 */
function runParts(test: BnCase): BnResult[] {
  const c = test.channels;
  const total = test.rows.reduce((a, b) => a + b, 0);
  const layer = layerFor(c, test.seed);
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const results: BnResult[] = test.rows.map(() => ({ steps: [], movingMean: [], movingVariance: [] }));
  for (let step = 0; step < STEPS; step++) {
    const seed = test.seed * 100 + step;
    const all = data(total * c, seed + 10, -2, 3);
    const allW = data(total * c, seed + 20);
    let from = 0;
    const parts = test.rows.map((count) => {
      const rows = (values: Float32Array) => tf.tensor2d(values.subarray(from * c, (from + count) * c), [count, c]);
      const part = { count, x: tf.variable(rows(all), true), w: rows(allW) };
      from += count;
      return part;
    });
    let ys: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const outs = layer.applyInParts(parts.map((p) => p.x));
      ys = outs.map((y) => tf.keep(y.clone()));
      const losses = outs.map((out, i) => tf.mul(tf.div(tf.sum(tf.mul(out, parts[i].w)), parts[i].count), parts[i].count / total));
      return tf.addN(losses) as tf.Scalar;
    }, [...parts.map((p) => p.x), gamma, beta]);
    parts.forEach((p, i) => results[i].steps.push({
      y: Array.from(ys[i].dataSync()), dx: Array.from(grads[p.x.name].dataSync()),
      dgamma: Array.from(grads[gamma.name].dataSync()), dbeta: Array.from(grads[beta.name].dataSync()),
    }));
    tf.dispose([...parts.flatMap((p) => [p.x, p.w]), ...ys, value, ...Object.values(grads)]);
  }
  const [, , movingMean, movingVariance] = layer.getWeights();
  results[0].movingMean = Array.from(movingMean.dataSync());
  results[0].movingVariance = Array.from(movingVariance.dataSync());
  for (const v of layer.weights) v.dispose();
  return results;
}

async function useBackend(backend: BackendName): Promise<void> {
  await initBackend(backend);
  installKernels(backend);
}

// ---- worker side ------------------------------------------------------------------------------

async function runJob(job: Job): Promise<unknown> {
  const collective = new Collective(job.buffers, job.rank);
  switch (job.kind) {
    case 'bn': {
      const results: BnResult[] = [];
      for (const test of job.cases) {
        await useBackend(test.backend);
        const from = test.rows.slice(0, job.rank).reduce((a, b) => a + b, 0);
        setBatchNormSync(collective);
        try {
          results.push(runRows(test, from, test.rows[job.rank]));
        } finally {
          setBatchNormSync(undefined);
        }
      }
      return results;
    }
    case 'collective': {
      // Barrier: after round k's barrier every party has marked round k.
      const marks = new Int32Array(job.marks);
      let barrierErrors = 0;
      for (let k = 1; k <= job.rounds; k++) {
        Atomics.store(marks, job.rank, k);
        collective.barrier();
        for (let r = 0; r < collective.parties; r++) if (Atomics.load(marks, r) < k) barrierErrors++;
      }
      // One allreduce of the given values, then back-to-back ones of varying length checked here.
      const first = Float64Array.from(job.inputs[job.rank]);
      collective.allreduceSum(first);
      let sumErrors = 0;
      for (let k = 0; k < job.rounds; k++) {
        const length = 1 + (k % 7);
        const values = new Float64Array(length).map((_, i) => k * 1000 + i * 10 + job.rank);
        collective.allreduceSum(values);
        for (let i = 0; i < length; i++) {
          let expected = 0;
          for (let r = 0; r < collective.parties; r++) expected += k * 1000 + i * 10 + r;
          if (values[i] !== expected) sumErrors++;
        }
      }
      return { barrierErrors, sumErrors, first: Array.from(first) };
    }
    case 'abort': {
      const t0 = performance.now();
      try {
        collective.barrier();
        return { error: 'barrier returned' };
      } catch (err) {
        const afterwards = (() => {
          try {
            collective.allreduceSum(new Float64Array(1));
            return 'allreduce after abort returned';
          } catch (again) {
            return again instanceof CollectiveAbortedError ? 'aborted' : String(again);
          }
        })();
        return { error: err instanceof CollectiveAbortedError ? 'aborted' : String(err), waitedMs: performance.now() - t0, afterwards };
      }
    }
    case 'mismatch': {
      try {
        collective.allreduceSum(new Float64Array(job.rank + 2));
        return { error: 'returned' };
      } catch (err) {
        return { error: String(err), aborted: collective.aborted };
      }
    }
  }
}

if (!isMainThread && (workerData as Job | undefined)?.kind) {
  const job = workerData as Job;
  runJob(job).then(
    (result) => parentPort?.postMessage({ ok: true, result }),
    (err: unknown) => {
      // Release the other parties before reporting.
      new Collective(job.buffers, job.rank).abort();
      parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) });
    },
  );
}

// ---- main thread ------------------------------------------------------------------------------

/** Runs the jobs on one worker each; a failure aborts the collective so the others end too. */
async function runWorkers<T>(jobs: Job[]): Promise<T[]> {
  const workers = jobs.map((job) => new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job }));
  const outcomes = workers.map((worker, i) => new Promise<T>((resolve, reject) => {
    worker.once('message', (message: { ok: true; result: T } | { ok: false; error: string }) => {
      if (message.ok) resolve(message.result);
      else reject(new Error(`worker ${i}: ${message.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker ${i} exited (code ${code}) without a result`)));
  }));
  try {
    return await Promise.all(outcomes.map((p) => p.catch((err: unknown) => {
      new Collective(jobs[0].buffers, 0).abort();
      throw err;
    })));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function assertCloseArrays(actual: number[], expected: number[], what: string, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  assert.ok(worst <= tolerance, `${what}: max difference ${worst} > ${tolerance}`);
}

const addUp = (a: number[], b: number[]) => a.map((v, i) => v + b[i]);

if (isMainThread) {
  describe('synchronised batch norm on two threads', function () {
    this.timeout(60_000);

    // c a multiple of 4 takes wasm's SIMD path; odd c the JS path (cpu, and wasm for odd c).
    const cases: BnCase[] = [
      { backend: 'wasm', channels: 16, rows: [5, 4], seed: 1 },
      { backend: 'wasm', channels: 512, rows: [32, 32], seed: 2 },
      { backend: 'wasm', channels: 7, rows: [5, 4], seed: 3 },
      { backend: 'cpu', channels: 7, rows: [5, 4], seed: 4 },
      { backend: 'cpu', channels: 8, rows: [3, 3], seed: 5 },
      { backend: 'wasm', channels: 8, rows: [6, 0], seed: 6 }, // a thread without rows still takes part
    ];

    it('gives the whole batch\'s y, dx, summed dgamma / dbeta and moving statistics (wasm SIMD, wasm JS, cpu; equal, unequal and empty halves)', async () => {
      const buffers = createCollectiveBuffers(2, 1 + 2 * 512);
      const threads = await runWorkers<BnResult[]>([0, 1].map((rank) => ({ kind: 'bn', buffers, rank, cases })));
      for (const [k, test] of cases.entries()) {
        await useBackend(test.backend);
        const total = test.rows[0] + test.rows[1];
        const whole = runRows(test, 0, total);
        const [a, b] = [threads[0][k], threads[1][k]];
        const what = `${test.backend} [${test.rows.join(' + ')}, ${test.channels}]`;
        for (let step = 0; step < STEPS; step++) {
          const [sa, sb, e] = [a.steps[step], b.steps[step], whole.steps[step]];
          assertCloseArrays([...sa.y, ...sb.y], e.y, `${what} step ${step} y`);
          assertCloseArrays([...sa.dx, ...sb.dx], e.dx, `${what} step ${step} dx`);
          assertCloseArrays(addUp(sa.dgamma, sb.dgamma), e.dgamma, `${what} step ${step} dgamma`);
          assertCloseArrays(addUp(sa.dbeta, sb.dbeta), e.dbeta, `${what} step ${step} dbeta`);
        }
        for (const key of ['movingMean', 'movingVariance'] as const) {
          assertCloseArrays(a[key], whole[key], `${what} ${key} (thread 0)`);
          assert.deepEqual(b[key], a[key], `${what} ${key}: the same in both threads`);
        }
      }
    });

    it('in parts on one thread: the two threads\' y, dx, float32-added dgamma / dbeta and moving statistics, bit for bit', async () => {
      const buffers = createCollectiveBuffers(2, 1 + 2 * 512);
      const threads = await runWorkers<BnResult[]>([0, 1].map((rank) => ({ kind: 'bn', buffers, rank, cases })));
      for (const [k, test] of cases.entries()) {
        await useBackend(test.backend);
        const [pa, pb] = runParts(test);
        const [a, b] = [threads[0][k], threads[1][k]];
        const what = `${test.backend} [${test.rows.join(' + ')}, ${test.channels}]`;
        for (let step = 0; step < STEPS; step++) {
          const [sa, sb] = [a.steps[step], b.steps[step]];
          assert.deepEqual(pa.steps[step].y, sa.y, `${what} step ${step} y (part 0)`);
          assert.deepEqual(pb.steps[step].y, sb.y, `${what} step ${step} y (part 1)`);
          assert.deepEqual(pa.steps[step].dx, sa.dx, `${what} step ${step} dx (part 0)`);
          assert.deepEqual(pb.steps[step].dx, sb.dx, `${what} step ${step} dx (part 1)`);
          // The gradient exchange adds the threads' gradients in float32.
          const add32 = (p: number[], q: number[]) => p.map((v, i) => Math.fround(v + q[i]));
          assert.deepEqual(pa.steps[step].dgamma, add32(sa.dgamma, sb.dgamma), `${what} step ${step} dgamma`);
          assert.deepEqual(pa.steps[step].dbeta, add32(sa.dbeta, sb.dbeta), `${what} step ${step} dbeta`);
        }
        assert.deepEqual(pa.movingMean, a.movingMean, `${what} moving mean`);
        assert.deepEqual(pa.movingVariance, a.movingVariance, `${what} moving variance`);
      }
    });

    it('without a sync set, the kernels see only their own rows (as before)', async () => {
      await useBackend('wasm');
      const test: BnCase = { backend: 'wasm', channels: 8, rows: [3, 3], seed: 9 };
      const half = runRows({ ...test, rows: [3] }, 0, 3);
      const same = runRows({ ...test, rows: [3] }, 0, 3);
      assert.deepEqual(half, same);
      const whole = runRows(test, 0, 6);
      assert.notDeepEqual(half.movingMean, whole.movingMean);
    });
  });

  describe('Collective', function () {
    this.timeout(30_000);

    it('three threads: barrier, rank-ordered bit-identical allreduce, many back-to-back allreduces', async () => {
      const parties = 3;
      const buffers = createCollectiveBuffers(parties, 8);
      const marks = new SharedArrayBuffer(parties * 4);
      // (1e16 + 1) - 1e16 is 0 in rank order; another order gives 1 (or 2).
      const inputs = [[1e16, 0.1, 3], [1, 0.2, -1e300], [-1e16, 0.3, 1e300]];
      // 300 rounds: enough back-to-back sums to catch a reused slot; three spinning threads on two
      // busy cores took 44 s for 2000.
      const results = await runWorkers<{ barrierErrors: number; sumErrors: number; first: number[] }>(
        [0, 1, 2].map((rank) => ({ kind: 'collective', buffers, rank, marks, rounds: 300, inputs })),
      );
      const expected = inputs[0].map((v, i) => v + inputs[1][i] + inputs[2][i]);
      assert.equal(expected[0], 0);
      for (const [rank, r] of results.entries()) {
        assert.equal(r.barrierErrors, 0, `rank ${rank}: a barrier let it through early`);
        assert.equal(r.sumErrors, 0, `rank ${rank}: back-to-back sums`);
        assert.deepEqual(r.first, expected, `rank ${rank}: rank-ordered sum`);
      }
    });

    it('abort() wakes a waiting thread with CollectiveAbortedError', async () => {
      const buffers = createCollectiveBuffers(2, 1);
      const waiting = runWorkers<{ error: string; waitedMs: number; afterwards: string }>([{ kind: 'abort', buffers, rank: 0 }]);
      // Until the worker has arrived at the barrier (control[0] counts arrivals), then a little more.
      const arrived = new Int32Array(buffers.control);
      for (let i = 0; i < 300 && Atomics.load(arrived, 0) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(Atomics.load(arrived, 0), 1, 'the worker waits at the barrier');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const other = new Collective(buffers, 1);
      assert.equal(other.aborted, false);
      other.abort();
      assert.equal(other.aborted, true);
      const [result] = await waiting;
      assert.equal(result.error, 'aborted');
      assert.equal(result.afterwards, 'aborted');
      assert.throws(() => other.barrier(), CollectiveAbortedError);
    });

    it('different lengths in one allreduce: an error in every party', async () => {
      const buffers = createCollectiveBuffers(2, 4);
      const results = await runWorkers<{ error: string; aborted: boolean }>([0, 1].map((rank) => ({ kind: 'mismatch', buffers, rank })));
      for (const r of results) {
        // (Rarely the other party sees the abort before the barrier's release: then it says so.)
        assert.match(r.error, /sent [23] values|CollectiveAbortedError/);
        assert.equal(r.aborted, true);
      }
    });

    it('one party: barrier returns, sums are the values; limits are checked', () => {
      const one = new Collective(createCollectiveBuffers(1, 3), 0);
      one.barrier();
      const values = Float64Array.of(1.5, -2, 3);
      one.allreduceSum(values);
      assert.deepEqual(Array.from(values), [1.5, -2, 3]);
      assert.throws(() => one.allreduceSum(new Float64Array(4)), /at most 3/);
      assert.throws(() => new Collective(createCollectiveBuffers(2, 3), 2), /out of range/);
    });
  });
}
