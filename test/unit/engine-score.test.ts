// Scoring and reconstruction: scores recomputed by hand from the reconstructions, agreement with
// the training loss, independence from batch size and batch composition.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from '../../src/core/experiment.generated';
import { Rng } from '../../src/core/rng';
import { ssim as coreSsim } from '../../src/core/ssim';
import { initBackend } from '../../src/engine/backend';
import { lossFunction } from '../../src/engine/losses';
import { applyModel, buildModel } from '../../src/engine/models';
import { reconstruct, reconstructAll, scoreImages } from '../../src/engine/score';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Soft blobs in [0, 1], a little like digits. */
function images(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * PIXELS);
  for (let n = 0; n < count; n++) {
    const spots = Array.from({ length: 3 }, () => ({ x: 7 + 14 * rng.next(), y: 7 + 14 * rng.next(), r2: 2 + 6 * rng.next() }));
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        let v = 0;
        for (const s of spots) v += Math.exp(-((x - s.x) ** 2 + (y - s.y) ** 2) / (2 * s.r2));
        out[n * PIXELS + y * SIDE + x] = Math.min(1, v);
      }
    }
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('engine: scoring', function () {
  this.timeout(30_000);
  const count = 40;
  const data = images(count, 1);
  let model: ReturnType<typeof buildModel>;

  before(async () => {
    await initBackend('wasm', { log: () => undefined });
    model = buildModel({ architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' }, 1);
  });
  after(() => model.dispose());

  it('scores MSE and 1 - SSIM as recomputed by hand from the reconstructions', () => {
    const recon = reconstructAll(model, data, count, SIDE, SIDE);
    assert.equal(recon.length, count * PIXELS);
    const mse = scoreImages(model, data, count, SIDE, SIDE, 'mse');
    const dissimilarity = scoreImages(model, data, count, SIDE, SIDE, 'ssim');
    for (const i of [0, 1, 17, count - 1]) {
      const x = data.subarray(i * PIXELS, (i + 1) * PIXELS);
      const y = recon.subarray(i * PIXELS, (i + 1) * PIXELS);
      let sum = 0;
      for (let p = 0; p < PIXELS; p++) sum += (x[p] - y[p]) ** 2;
      close([mse[i]], [sum / PIXELS], 1e-5, `mse of image ${i}`);
      close([dissimilarity[i]], [1 - coreSsim(x, y, SIDE, SIDE)], 1e-5, `1 - ssim of image ${i}`);
    }
  });

  it('agrees with the training loss functions', () => {
    for (const kind of ['mse', 'ssim'] as const) {
      const scores = scoreImages(model, data, count, SIDE, SIDE, kind);
      const mean = scores.reduce((s, v) => s + v, 0) / count;
      const loss = tf.tidy(() => {
        const x = tf.tensor4d(data, [count, SIDE, SIDE, 1]);
        const f = lossFunction({ loss: kind, ssimWeight: 0.5, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize: 64, epochs: 1 });
        return f(x, applyModel(model, x, false)).dataSync()[0];
      });
      close([mean], [loss], 1e-5, `mean ${kind} score vs loss`);
    }
  });

  it('gives the same scores and reconstructions for any batch size', () => {
    for (const kind of ['mse', 'ssim'] as const) {
      const reference = scoreImages(model, data, count, SIDE, SIDE, kind);
      for (const batchSize of [1, 7, 1000]) close(scoreImages(model, data, count, SIDE, SIDE, kind, batchSize), reference, 1e-5, `${kind}, batch ${batchSize}`);
    }
    close(reconstructAll(model, data, count, SIDE, SIDE, 3), reconstructAll(model, data, count, SIDE, SIDE), 1e-5, 'reconstructions');
  });

  it('reconstructs chosen images in the order asked', () => {
    const all = reconstructAll(model, data, count, SIDE, SIDE);
    const indices = [5, 0, 39, 5];
    const chosen = reconstruct(model, data, indices, SIDE, SIDE);
    assert.equal(chosen.length, indices.length * PIXELS);
    indices.forEach((index, k) => close(chosen.subarray(k * PIXELS, (k + 1) * PIXELS), all.subarray(index * PIXELS, (index + 1) * PIXELS), 1e-5, `image ${index}`));
    assert.equal(reconstruct(model, data, [], SIDE, SIDE).length, 0);
    assert.throws(() => reconstruct(model, data, [count], SIDE, SIDE), /outside/);
  });

  it('scores in inference mode: an image scores the same alone as in a batch (batch norm)', () => {
    const deepCfg: ResolvedModelConfig = { architecture: 'fcn-deep', latentSize: 16, bottleneckActivation: 'relu' };
    const deep = buildModel(deepCfg, 2);
    try {
      const together = scoreImages(deep, data, count, SIDE, SIDE, 'mse');
      const alone = scoreImages(deep, data.subarray(3 * PIXELS, 4 * PIXELS), 1, SIDE, SIDE, 'mse');
      close(alone, [together[3]], 1e-5, 'image 3 alone vs in a batch');
    } finally {
      deep.dispose();
    }
  });

  it('handles no images, rejects short data, and leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    assert.equal(scoreImages(model, data, 0, SIDE, SIDE, 'mse').length, 0);
    assert.throws(() => scoreImages(model, data, count + 1, SIDE, SIDE, 'mse'), /expected 41 images/);
    assert.throws(() => scoreImages(model, data, count, SIDE, SIDE, 'mse', 0), /batch size/);
    scoreImages(model, data, count, SIDE, SIDE, 'ssim', 16);
    reconstruct(model, data, [1, 2], SIDE, SIDE);
    assert.equal(tf.memory().numTensors, before);
  });
});
