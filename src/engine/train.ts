// The training loop. Custom rather than model.fit: batches come straight from one Float32Array,
// shuffling follows the experiment seed, batch norm runs in training mode only for the update
// step, and the loop yields to the event loop between batches so progress and cancel messages
// flow while it runs.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedTrainingConfig } from '../core/experiment.generated';
import { rngFor } from '../core/rng';
import type { EpochMetrics } from '../core/runFormat';
import { lossFunction, type LossFunction } from './losses';
import { applyModel, applyModelInParts, inputChannels } from './models';
import { inferenceBatch } from './score';
import { DataParallelSession, splitBatch } from './dataParallel';
import { CollectiveAbortedError } from './thread/collective';
import { makeOptimizer } from './optimizers';
import type { EngineThread } from './thread/spawn';
import type { ByteImages } from './images/byteImages';

export interface TrainingData {
  /**
   * trainCount images of width x height (x channels), row-major, values in [0, 1]; or as bytes
   * (value * 255, in memory or a temp file), turned into floats one batch at a time.
   */
  train: Float32Array | ByteImages;
  trainCount: number;
  /** Floats, or bytes like `train`. */
  validation: Float32Array | ByteImages;
  validationCount: number;
  width: number;
  height: number;
}

export interface BatchProgress {
  epoch: number; // 1-based
  epochs: number;
  batch: number; // 1-based
  batches: number;
  loss: number;
}

export interface TrainOptions {
  seed: number;
  signal?: AbortSignal;
  /** At most about every BATCH_REPORT_MS, and always for the last batch of an epoch. */
  onBatch?: (e: BatchProgress) => void;
  onEpoch?: (m: EpochMetrics & { epochs: number }) => void;
  /**
   * A booted engine thread to train with, data-parallel (src/engine/dataParallel.ts): each step it
   * takes half the batch. Wasm only; the caller decides whether it pays (see run.ts).
   */
  thread?: EngineThread;
  /** Told when the thread could not start training, and this thread trained alone. */
  onThreadError?: (message: string) => void;
  /**
   * false: one thread trains on whole batches even where it would replay two threads' halves
   * (computesInHalves); only to show what the replay changes (tests).
   */
  halves?: false;
}

export interface TrainResult {
  history: EpochMetrics[];
  /** With early stopping: its best epoch (whose weights restoreBest puts back); else the lowest validation loss. */
  bestEpoch?: number;
  stoppedEarly: boolean;
  cancelled: boolean;
  /** 2 when it trained data-parallel with the engine thread. */
  threads: 1 | 2;
  /** One thread computed every step in the halves two threads would (halvesStep). */
  inHalves: boolean;
}

const BATCH_REPORT_MS = 100;

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Mean loss over `count` images in inference mode, in batches. Undefined if cancelled meanwhile.
 */
async function evaluateLoss(
  model: tfl.LayersModel, images: Float32Array | ByteImages, count: number, width: number, height: number, loss: LossFunction, signal?: AbortSignal,
): Promise<number | undefined> {
  const channels = inputChannels(model);
  const pixels = width * height * channels;
  const batchSize = inferenceBatch(pixels);
  const buffer = new Float32Array(batchSize * pixels);
  let sum = 0;
  for (let start = 0; start < count; start += batchSize) {
    if (signal?.aborted) return undefined;
    const n = Math.min(batchSize, count - start);
    for (let i = 0; i < n; i++) copyImage(images, start + i, buffer, i * pixels, pixels);
    const batchLoss = tf.tidy(() => {
      const x = tf.tensor4d(buffer.subarray(0, n * pixels), [n, height, width, channels]);
      return loss(x, applyModel(model, x, false));
    });
    sum += (await batchLoss.data())[0] * n;
    batchLoss.dispose();
    await nextTick();
  }
  return sum / count;
}

/** Copies image `index` into a float buffer, scaling bytes to [0, 1]. */
function copyImage(from: Float32Array | ByteImages, index: number, to: Float32Array, at: number, pixels: number): void {
  if (from instanceof Float32Array) to.set(from.subarray(index * pixels, (index + 1) * pixels), at);
  else from.copyFloats(index, to, at);
}

/** Batch losses weighted by batch size, summed on the backend so batches need not be read back. */
class LossSum {
  private sum: tf.Scalar = tf.scalar(0);

  add(batchLoss: tf.Scalar, count: number): void {
    const previous = this.sum;
    this.sum = tf.tidy(() => tf.add(previous, tf.mul(batchLoss, count)));
    previous.dispose();
  }

  async read(): Promise<number> {
    return (await this.sum.data())[0];
  }

  dispose(): void {
    this.sum.dispose();
  }
}

/**
 * Whether one thread computes each step in the two halves two threads would (halvesStep): on wasm,
 * where the data-parallel path exists, so a seed gives the same bytes on one thread as on two.
 */
export function computesInHalves(model: tfl.LayersModel): boolean {
  // Not fcn-simple: it never trains on two threads (threads.ts), so its result is already the same
  // on every machine, and halving its steps measured 1.21x slower (docs/PERFORMANCE.md).
  if (model.name === 'aelab_fcn_simple') return false;
  return tf.getBackend() === 'wasm';
}

/**
 * One optimizer step on the first n rows of `batch`, computed exactly as data-parallel training on
 * two threads computes it (dataParallel.ts): each half's share of the batch loss through the model
 * (applyModelInParts: batch norm over both halves as the threads synchronise it), the two halves'
 * gradients added, then one update; so a seed gives the same bytes on one thread as on two.
 * Returns the batch loss, the two halves' losses added in float64 as the two-thread path does.
 */
export function halvesStep(
  model: tfl.LayersModel, optimizer: tf.Optimizer, loss: LossFunction, variables: tf.Variable[],
  batch: Float32Array, n: number, width: number, height: number, channels: number,
): number {
  const pixels = width * height * channels;
  const split = splitBatch(n);
  const secondFrom = n === 1 ? 0 : split.main;
  const halves = [
    { from: 0, rows: split.main },
    { from: secondFrom, rows: split.thread },
  ];
  const inputs = halves.map(({ from, rows }) => tf.tensor4d(batch.subarray(from * pixels, (from + rows) * pixels), [rows, height, width, channels]));
  let scaled: tf.Scalar[] = [];
  try {
    // One tape: a variable used by both halves gets the sum of its two gradients, as the exchange adds them.
    const { value, grads } = optimizer.computeGradients(() => {
      const outputs = applyModelInParts(model, inputs);
      scaled = outputs.map((y, i) => tf.keep(tf.mul(loss(inputs[i], y), halves[i].rows / (split.main + split.thread)) as tf.Scalar));
      return tf.add(scaled[0], scaled[1]) as tf.Scalar;
    }, variables);
    try {
      optimizer.applyGradients(grads);
    } finally {
      tf.dispose([value, ...Object.values(grads)]);
    }
    return scaled[0].dataSync()[0] + scaled[1].dataSync()[0];
  } finally {
    tf.dispose([...inputs, ...scaled]);
  }
}

/** Copies of every weight (moving statistics too); the model's own tensors change as it trains. */
function snapshot(model: tfl.LayersModel): tf.Tensor[] {
  return tf.tidy(() => model.getWeights().map((w) => tf.clone(w)));
}

/**
 * Trains `model` in place on data.train, reporting validation loss per epoch. Early stopping (if
 * configured) stops once validation loss has not improved by more than minDelta for `patience`
 * epochs; with restoreBest the best epoch's weights are put back at the end (also when all epochs
 * ran). Cancelling returns promptly, after the current batch, with the epochs completed so far.
 */
export async function trainAutoencoder(
  model: tfl.LayersModel, data: TrainingData, cfg: ResolvedTrainingConfig, opts: TrainOptions,
): Promise<TrainResult> {
  const { width, height, trainCount } = data;
  const channels = inputChannels(model);
  const pixels = width * height * channels;
  if (trainCount < 1) throw new Error('no training images');
  const held = (images: Float32Array | ByteImages) => (images instanceof Float32Array ? images.length / pixels : images.values === pixels ? images.count : 0);
  if (held(data.train) < trainCount) throw new Error(`training data holds ${held(data.train)} images of ${pixels} values, expected ${trainCount}`);
  if (held(data.validation) < data.validationCount) {
    throw new Error(`validation data holds ${held(data.validation)} images of ${pixels} values, expected ${data.validationCount}`);
  }

  const loss = lossFunction(cfg);
  const batchSize = Math.max(1, Math.min(cfg.batchSize, trainCount));
  const batches = Math.ceil(trainCount / batchSize);
  const order = Uint32Array.from({ length: trainCount }, (_, i) => i);
  const shuffle = rngFor(opts.seed, 'shuffle');
  // Reused for every batch; each batch tensor is disposed before the buffer is refilled (the cpu
  // backend keeps a reference to the array it was given rather than a copy).
  const batchBuffer = new Float32Array(batchSize * pixels);
  // LayerVariable.read() is the tf.Variable itself; naming them keeps the optimizer off any other
  // model's variables that happen to be alive.
  const trainable = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const history: EpochMetrics[] = [];
  const stopping = cfg.earlyStopping;
  let best = Infinity;
  let bestEpoch: number | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  let epochsWithoutImprovement = 0;
  let stoppedEarly = false;
  let lossSum: LossSum | undefined;

  // With a thread, each thread keeps its own optimizer (dataParallel.ts); a thread that cannot
  // start costs speed, not the run.
  let parallel: DataParallelSession | undefined;
  if (opts.thread) {
    try {
      parallel = await DataParallelSession.open(opts.thread, model, cfg, batchSize, width, height);
    } catch (err) {
      opts.onThreadError?.(err instanceof Error ? err.message : String(err));
    }
  }
  const inHalves = !parallel && opts.halves !== false && computesInHalves(model);
  const result = (cancelled: boolean): TrainResult => ({ history, bestEpoch, stoppedEarly, cancelled, threads: parallel ? 2 : 1, inHalves });
  /** One optimizer step on the first n images of batchBuffer; returns the batch's loss. */
  let trainStep: (n: number) => tf.Scalar;
  let single: ReturnType<typeof makeOptimizer> | undefined;
  if (parallel) {
    const session = parallel;
    trainStep = (n) => tf.scalar(session.step(batchBuffer, n));
  } else if (inHalves) {
    const { optimizer } = (single = makeOptimizer(cfg));
    trainStep = (n) => tf.scalar(halvesStep(model, optimizer, loss, trainable, batchBuffer, n, width, height, channels));
  } else {
    const { optimizer } = (single = makeOptimizer(cfg));
    trainStep = (n) => {
      const x = tf.tensor4d(batchBuffer.subarray(0, n * pixels), [n, height, width, channels]);
      try {
        return tf.tidy(() => {
          const value = optimizer.minimize(() => loss(x, applyModel(model, x, true)), true, trainable);
          if (!value) throw new Error('the optimizer returned no loss');
          return value;
        });
      } finally {
        x.dispose();
      }
    };
  }

  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const epochStart = performance.now();
      shuffle.shuffle(order);
      lossSum = new LossSum();
      let lastReport = -Infinity;
      for (let batch = 0; batch < batches; batch++) {
        if (opts.signal?.aborted) return result(true);
        const start = batch * batchSize;
        const n = Math.min(batchSize, trainCount - start);
        for (let i = 0; i < n; i++) {
          const image = order[start + i];
          copyImage(data.train, image, batchBuffer, i * pixels, pixels);
        }
        const cost = trainStep(n);
        lossSum.add(cost, n);

        const last = batch === batches - 1;
        const now = performance.now();
        if (opts.onBatch && (last || now - lastReport >= BATCH_REPORT_MS)) {
          lastReport = now;
          opts.onBatch({ epoch, epochs: cfg.epochs, batch: batch + 1, batches, loss: (await cost.data())[0] });
        }
        cost.dispose();
        await nextTick();
      }
      const trainLoss = (await lossSum.read()) / trainCount;
      lossSum.dispose();
      lossSum = undefined;

      // No validation images (prepareData always keeps at least one): fall back to the training loss.
      const valLoss = data.validationCount > 0
        ? await evaluateLoss(model, data.validation, data.validationCount, width, height, loss, opts.signal)
        : trainLoss;
      if (valLoss === undefined) return result(true);
      const metrics: EpochMetrics = { epoch, trainLoss, valLoss, seconds: (performance.now() - epochStart) / 1000 };
      history.push(metrics);

      if (stopping) {
        if (valLoss < best - stopping.minDelta) {
          best = valLoss;
          bestEpoch = epoch;
          epochsWithoutImprovement = 0;
          if (stopping.restoreBest) {
            tf.dispose(bestWeights);
            bestWeights = snapshot(model);
          }
        } else {
          epochsWithoutImprovement++;
        }
      } else if (valLoss < best) {
        best = valLoss;
        bestEpoch = epoch;
      }
      opts.onEpoch?.({ ...metrics, epochs: cfg.epochs });

      if (stopping && epochsWithoutImprovement >= stopping.patience) {
        stoppedEarly = epoch < cfg.epochs;
        break;
      }
    }
    if (bestWeights && bestEpoch !== history.at(-1)?.epoch) model.setWeights(bestWeights);
    return result(false);
  } catch (err) {
    // Wakes the engine thread wherever it waits for this one, and ends its side. When the thread
    // failed, this side only saw the collective aborted: report the thread's error instead.
    const threadError = await parallel?.abort();
    throw err instanceof CollectiveAbortedError && threadError ? threadError : err;
  } finally {
    await parallel?.close();
    tf.dispose(bestWeights);
    lossSum?.dispose();
    single?.disposeOptimizer();
  }
}
