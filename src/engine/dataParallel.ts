// Data-parallel training on two cores: the main thread and one engine thread, each with its own
// wasm backend and an identical copy of the model and optimizer. Every step the main thread hands
// the engine thread part of the batch (shared rows); each computes the gradients of its share of
// the whole-batch loss (its mean loss scaled by its share of the rows), the two exchange gradients
// through shared memory and both apply the same sum with the same optimizer, so the copies stay
// identical without sending weights. Batch norm normalises over the whole batch through
// setBatchNormSync. Two barriers a step: one hands out the rows, one exchanges the gradients.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedTrainingConfig } from '../core/experiment.generated';
import { setBatchNormSync } from './kernels/batchNorm';
import { lossFunction, type LossFunction } from './losses';
import { applyModel } from './models';
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

/** The values of a float32 tensor without a copy where the backend allows (a wasm heap view). */
function valuesOf(t: tf.Tensor): Float32Array {
  if (tf.getBackend() === 'wasm') return (tf.backend() as BackendWasm).typedArrayFromHeap(t) as Float32Array;
  return t.dataSync() as Float32Array;
}

/** One thread's side of a step: its gradients out, the sum of both in, the optimizer's update. */
class GradientExchange {
  private readonly variables: tf.Variable[];
  private readonly slots: Float32Array;
  private readonly losses: Float64Array;
  private readonly parameterCount: number;

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly optimizer: tf.Optimizer,
    private readonly loss: LossFunction,
    private readonly collective: Collective,
    buffers: DataParallelBuffers,
  ) {
    this.variables = trainableVariables(model);
    this.parameterCount = this.variables.reduce((sum, v) => sum + v.size, 0);
    if (this.parameterCount !== buffers.parameterCount) {
      throw new Error(`data-parallel training: model has ${this.parameterCount} parameters, the shared buffers ${buffers.parameterCount}`);
    }
    this.slots = new Float32Array(buffers.gradients);
    this.losses = new Float64Array(buffers.losses);
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
    try {
      let offset = rank * this.parameterCount;
      for (const v of this.variables) {
        this.slots.set(valuesOf(grads[v.name]), offset);
        offset += v.size;
      }
      this.losses[rank] = value.dataSync()[0];
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
    this.collective.barrier();
    // Both threads add slot 0 to slot 1 (the same float operations), so both apply the same update.
    const summed: tf.NamedTensorMap = {};
    let offset = 0;
    for (const v of this.variables) {
      summed[v.name] = tf.tidy(() => tf.add(
        tf.tensor(this.slots.subarray(offset, offset + v.size), v.shape),
        tf.tensor(this.slots.subarray(this.parameterCount + offset, this.parameterCount + offset + v.size), v.shape),
      ));
      offset += v.size;
    }
    try {
      this.optimizer.applyGradients(summed);
    } finally {
      tf.dispose(Object.values(summed));
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
    private readonly shape: [number, number],
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
    const pixels = width * height;
    const parameterCount = trainableVariables(model).reduce((sum, v) => sum + v.size, 0);
    const buffers: DataParallelBuffers = {
      collective: createCollectiveBuffers(PARTIES, 2 * 1024 + 1),
      header: new SharedArrayBuffer(3 * 4),
      rows: new SharedArrayBuffer(Math.ceil(batchSize / 2) * pixels * 4),
      gradients: new SharedArrayBuffer(PARTIES * parameterCount * 4),
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
    return new DataParallelSession(exchange, collective, buffers, done, disposeOptimizer, pixels, [height, width]);
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
    const [height, width] = this.shape;
    const x = tf.tensor4d(batch.subarray(0, split.main * this.pixels), [split.main, height, width, 1]);
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

  /** After a failure on this side: wakes and ends the engine thread's side. */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    setBatchNormSync(undefined);
    this.disposeOptimizer();
    this.collective.abort();
    await this.done.catch(() => undefined);
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
    const pixels = request.width * request.height;
    setBatchNormSync(collective);
    onReady();
    for (;;) {
      collective.barrier();
      if (header[COMMAND] === STOP) return;
      const mine = header[THREAD_ROWS];
      const total = header[MAIN_ROWS] + mine;
      const x = tf.tensor4d(rows.subarray(0, mine * pixels), [mine, request.height, request.width, 1]);
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
