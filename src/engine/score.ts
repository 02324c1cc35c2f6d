// Anomaly scores and reconstructions, in batches, with the model in inference mode (batch norm
// uses its moving statistics).
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { msePerImage, ssimPerImage } from './losses';
import { applyModel } from './models';

export type ScoreKind = 'mse' | 'ssim';

function checkImages(images: Float32Array, count: number, pixels: number): void {
  if (!Number.isInteger(count) || count < 0) throw new Error(`image count must be a non-negative integer, got ${count}`);
  if (images.length < count * pixels) throw new Error(`expected ${count} images of ${pixels} pixels, got ${images.length} values`);
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
}

/**
 * Per-image anomaly score: MSE between image and reconstruction, or 1 - SSIM. Batch size only
 * bounds memory; it does not change the scores.
 */
export function scoreImages(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, kind: ScoreKind, batchSize = 256,
): Float32Array {
  const pixels = width * height;
  checkImages(images, count, pixels);
  checkBatchSize(batchSize);
  const scores = new Float32Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const batchScores = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * pixels, (start + n) * pixels), [n, height, width, 1]);
      const y = applyModel(model, x, false);
      return kind === 'mse' ? msePerImage(x, y) : tf.sub(1, ssimPerImage(x, y));
    });
    scores.set(batchScores.dataSync(), start);
    batchScores.dispose();
  }
  return scores;
}

/** Reconstructions of the first `count` images, in order, `width * height` values each. */
export function reconstructAll(
  model: tfl.LayersModel, images: Float32Array, count: number, width: number, height: number, batchSize = 256,
): Float32Array {
  const pixels = width * height;
  checkImages(images, count, pixels);
  checkBatchSize(batchSize);
  const out = new Float32Array(count * pixels);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const y = tf.tidy(() => applyModel(model, tf.tensor4d(images.subarray(start * pixels, (start + n) * pixels), [n, height, width, 1]), false));
    out.set(y.dataSync(), start * pixels);
    y.dispose();
  }
  return out;
}

/** Reconstructions of the images at `indices`, in that order, `width * height` values each. */
export function reconstruct(model: tfl.LayersModel, images: Float32Array, indices: ArrayLike<number>, width: number, height: number): Float32Array {
  const pixels = width * height;
  const available = Math.floor(images.length / pixels);
  const chosen = new Float32Array(indices.length * pixels);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!Number.isInteger(index) || index < 0 || index >= available) throw new Error(`image index ${index} outside 0..${available - 1}`);
    chosen.set(images.subarray(index * pixels, (index + 1) * pixels), k * pixels);
  }
  return reconstructAll(model, chosen, indices.length, width, height);
}
