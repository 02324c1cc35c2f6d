// Anomaly scores and reconstructions, in batches, with the model in inference mode (batch norm
// uses its moving statistics).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { msePerImage, ssimPerImage } from './losses';
import { applyModel, inputChannels } from './models';
import { modelArtifacts } from './thread/artifacts';
import { EngineThread, spareCores } from './thread/spawn';

export type { ScoreKind } from './thread/messages';
import type { ScoreKind } from './thread/messages';

function checkImages(images: Float32Array, count: number, pixels: number): void {
  if (!Number.isInteger(count) || count < 0) throw new Error(`image count must be a non-negative integer, got ${count}`);
  if (images.length < count * pixels) throw new Error(`expected ${count} images of ${pixels} pixels, got ${images.length} values`);
}

/** Values (pixels x channels) in one inference batch: 256 MNIST images; fewer large ones (wasm memory never shrinks). */
const BATCH_VALUES = 256 * 784;

/** Images per inference batch for images of `values` values each. */
export function inferenceBatch(values: number): number {
  return Math.max(1, Math.min(256, Math.floor(BATCH_VALUES / values)));
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
}

/**
 * Per-image anomaly score: MSE between image and reconstruction, or 1 - SSIM. Batch size only
 * bounds memory; it does not change the scores.
 */
export function scoreImages(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind,
  batchSize = inferenceBatch(width * height * inputChannels(model)),
): Float32Array {
  const channels = inputChannels(model);
  const pixels = width * height * channels;
  checkImages(images, count, pixels);
  checkBatchSize(batchSize);
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batchScores = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * pixels, (start + n) * pixels), [n, height, width, channels]);
      const y = applyModel(model, x, false);
      return kind === 'mse' ? msePerImage(x, y) : tf.sub(1, ssimPerImage(x, y));
    });
    scores.set(batchScores.dataSync(), start);
    batchScores.dispose();
  }
  return scores;
}

/** Lets timers, signals and IPC messages (a cancel) through between two batches. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * scoreImages in batches that yield to the event loop, checking `signal` between them: a Ctrl-C
 * or a cancel message during scoring is seen within a batch. Undefined when cancelled.
 */
export async function scoreImagesCancellable(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind, batchSize: number, signal?: AbortSignal,
): Promise<Float32Array | undefined> {
  const pixels = width * height * inputChannels(model);
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    await yieldToEventLoop();
    if (signal?.aborted) return undefined;
    const n = Math.min(batchSize, count - start);
    scores.set(scoreImages(model, images.subarray(start * pixels, (start + n) * pixels), n, width, height, kind, batchSize), start);
  }
  return scores;
}

/** Below this many images a second thread costs more (start, wasm, model) than it saves. */
export const PARALLEL_SCORE_MIN = 2048;

export interface ParallelScoreOptions {
  batchSize?: number;
  /** 'auto': a second thread when the backend is wasm, a core is spare and count >= PARALLEL_SCORE_MIN. */
  threads?: 'auto' | 1 | 2;
  /** Where the tfjs wasm binaries are, for a thread started here. */
  wasmDir?: string;
  /** A thread started earlier (already booted); one is started and closed here otherwise. */
  thread?: EngineThread;
  /** Told when the thread failed and this thread scored its half instead. */
  onThreadError?: (message: string) => void;
  /** Checked between batches; scoring stops and resolves undefined once it is aborted. */
  signal?: AbortSignal;
}

/** Whether scoreImagesParallel would use a second thread for `count` images by default. */
export function parallelScoringPays(count: number): boolean {
  return tf.getBackend() === 'wasm' && spareCores() > 0 && count >= PARALLEL_SCORE_MIN;
}

/**
 * scoreImages on two cores: a worker thread (own wasm backend, copy of the model) scores the
 * second half while this thread scores the first. The split falls on a batch boundary, so every
 * image goes through the same batches as single-threaded and gets the same score.
 */
export async function scoreImagesParallel(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind,
  options?: ParallelScoreOptions & { signal?: undefined },
): Promise<Float32Array>;
/** With a signal: undefined when it was aborted before scoring finished. */
export async function scoreImagesParallel(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind,
  options: ParallelScoreOptions,
): Promise<Float32Array | undefined>;
export async function scoreImagesParallel(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind,
  options: ParallelScoreOptions = {},
): Promise<Float32Array | undefined> {
  const batchSize = options.batchSize ?? inferenceBatch(width * height * inputChannels(model));
  const pixels = width * height * inputChannels(model);
  checkImages(images, count, pixels);
  checkBatchSize(batchSize);
  const threads = options.threads ?? 'auto';
  const parallel = threads === 2 || (threads === 'auto' && parallelScoringPays(count));
  const split = Math.ceil(count / 2 / batchSize) * batchSize;
  if (!parallel || split >= count) return scoreImagesCancellable(model, images, count, width, height, kind, batchSize, options.signal);

  const sharedImages = new SharedArrayBuffer(count * pixels * 4);
  new Float32Array(sharedImages).set(images.subarray(0, count * pixels));
  const sharedScores = new SharedArrayBuffer(count * 4);
  const thread = options.thread ?? new EngineThread({ wasmDir: options.wasmDir });
  const other = thread.score({
    model: await modelArtifacts(model), images: sharedImages, scores: sharedScores,
    from: split, to: count, width, height, score: kind, batchSize,
  });
  // Mine while the thread starts and works; its failure surfaces at the await below.
  let mine: Float32Array | undefined;
  try {
    try {
      mine = await scoreImagesCancellable(model, images, split, width, height, kind, batchSize, options.signal);
    } catch (err) {
      await other.catch(() => undefined);
      throw err;
    }
    // Cancelled: the thread's half is dropped (closing the thread ends it).
    if (!mine) {
      other.catch(() => undefined);
      return undefined;
    }
    try {
      await other;
    } catch (err) {
      // Correct scores matter more than the second core: do its half here.
      options.onThreadError?.(err instanceof Error ? err.message : String(err));
      const rest = scoreImages(model, images.subarray(split * pixels), count - split, width, height, kind, batchSize);
      new Float32Array(sharedScores).set(rest, split);
    }
  } finally {
    if (options.thread === undefined) await thread.close();
  }
  if (options.signal?.aborted) return undefined;
  const scores = new Float32Array(count);
  scores.set(new Float32Array(sharedScores));
  scores.set(mine, 0);
  return scores;
}

/** Reconstructions of the first `count` images, in order, `width * height` values each. */
export function reconstructAll(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, batchSize = inferenceBatch(width * height * inputChannels(model)),
): Float32Array {
  const pixels = width * height * inputChannels(model);
  checkImages(images, count, pixels);
  checkBatchSize(batchSize);
  const out = new Float32Array(count * pixels);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const y = tf.tidy(() => applyModel(model, tf.tensor4d(images.subarray(start * pixels, (start + n) * pixels), [n, height, width, inputChannels(model)]), false));
    out.set(y.dataSync(), start * pixels);
    y.dispose();
  }
  return out;
}

/**
 * reconstructAll in batches that yield to the event loop and stop when `signal` is aborted
 * (undefined). Batches as scoring's: 256 MNIST images, a few large ones (200 images of 128x128x3
 * in one batch raised the peak RSS by ~230 MB).
 */
export async function reconstructAllCancellable(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, signal?: AbortSignal,
  batchSize = inferenceBatch(width * height * inputChannels(model)),
): Promise<Float32Array | undefined> {
  const pixels = width * height * inputChannels(model);
  checkImages(images, count, pixels);
  const out = new Float32Array(count * pixels);
  for (let start = 0; start < count; start += batchSize) {
    await yieldToEventLoop();
    if (signal?.aborted) return undefined;
    const n = Math.min(batchSize, count - start);
    out.set(reconstructAll(model, images.subarray(start * pixels, (start + n) * pixels), n, width, height, batchSize), start * pixels);
  }
  return out;
}

/** Reconstructions of the images at `indices`, in that order, `width * height` values each. */
export function reconstruct(model: tfl.LayersModel, images: Float32Array, indices: ArrayLike<number>, width: number, height: number): Float32Array {
  const pixels = width * height * inputChannels(model);
  const available = Math.floor(images.length / pixels);
  const chosen = new Float32Array(indices.length * pixels);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!Number.isInteger(index) || index < 0 || index >= available) throw new Error(`image index ${index} outside 0..${available - 1}`);
    chosen.set(images.subarray(index * pixels, (index + 1) * pixels), k * pixels);
  }
  return reconstructAll(model, chosen, indices.length, width, height);
}
