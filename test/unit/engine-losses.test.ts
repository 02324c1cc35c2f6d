// SSIM and MSE as TensorFlow.js ops: scikit-image reference values on both backends, agreement
// with the core (tfjs-free) SSIM, the combined loss, and usable gradients.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedTrainingConfig } from '../../src/core/experiment.generated';
import { Rng } from '../../src/core/rng';
import { ssim as coreSsim } from '../../src/core/ssim';
import { initBackend } from '../../src/engine/backend';
import { lossFunction, msePerImage, ssimPerImage } from '../../src/engine/losses';

interface SsimCase {
  a: number[];
  b: number[];
  ssim: number;
}

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ssim-reference.json'), 'utf8')) as { cases: SsimCase[] };

interface RgbCase { kind: string; a: number[]; b: number[]; ssim: number }
const rgb = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ssim-rgb-reference.json'), 'utf8')) as { height: number; width: number; cases: RgbCase[] };

const training = (loss: ResolvedTrainingConfig['loss'], ssimWeight = 0.5): ResolvedTrainingConfig => ({
  loss, ssimWeight, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize: 64, epochs: 1,
});

/** Smooth random images in [0, 1]: a few Gaussian blobs, like pen strokes. */
function blobs(count: number, width: number, height: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * width * height);
  for (let n = 0; n < count; n++) {
    const spots = Array.from({ length: 3 }, () => ({ x: rng.next() * width, y: rng.next() * height, r2: 2 + 8 * rng.next() }));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let v = 0;
        for (const s of spots) v += Math.exp(-((x - s.x) ** 2 + (y - s.y) ** 2) / (2 * s.r2));
        out[(n * height + y) * width + x] = Math.min(1, v);
      }
    }
  }
  return out;
}

function fixtureBatch(which: 'a' | 'b'): tf.Tensor4D {
  const values = Float32Array.from(fixture.cases.flatMap((c) => c[which].map((v) => v / 255)));
  return tf.tensor4d(values, [fixture.cases.length, 28, 28, 1]);
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`engine: losses on ${backend}`, function () {
    this.timeout(30_000);

    before(async () => {
      await initBackend(backend, { log: () => undefined });
    });

    it(`matches scikit-image SSIM on ${fixture.cases.length} MNIST pairs within 1e-4`, () => {
      assert.ok(fixture.cases.length >= 30);
      const values = tf.tidy(() => ssimPerImage(fixtureBatch('a'), fixtureBatch('b')).dataSync());
      fixture.cases.forEach((c, i) => {
        assert.ok(Math.abs(values[i] - c.ssim) <= 1e-4, `case ${i}: ${values[i]} vs scikit-image ${c.ssim}`);
      });
    });

    it(`matches scikit-image's channel_axis SSIM on ${rgb.cases.length} RGB pairs (20x24) within 1e-4`, () => {
      const batch = (which: 'a' | 'b') => tf.tensor4d(Float32Array.from(rgb.cases.flatMap((c) => c[which].map((v) => v / 255))), [rgb.cases.length, rgb.height, rgb.width, 3]);
      const values = tf.tidy(() => ssimPerImage(batch('a'), batch('b')).dataSync());
      rgb.cases.forEach((c, i) => assert.ok(Math.abs(values[i] - c.ssim) <= 1e-4, `${c.kind}: ${values[i]} vs scikit-image ${c.ssim}`));
    });

    it('gives 1 for identical images, blank ones included', () => {
      const images = new Float32Array(3 * 784);
      images.set(blobs(2, 28, 28, 1), 784); // image 0 stays blank
      const values = tf.tidy(() => {
        const x = tf.tensor4d(images, [3, 28, 28, 1]);
        return ssimPerImage(x, tf.clone(x)).dataSync();
      });
      for (const v of values) assert.ok(Math.abs(v - 1) < 1e-6, `SSIM of an image with itself: ${v}`);
    });

    it('agrees with the core SSIM on non-square images and averages channels', () => {
      const [width, height] = [30, 17];
      const a = blobs(4, width, height, 2);
      const b = blobs(4, width, height, 3);
      const values = tf.tidy(() => ssimPerImage(tf.tensor4d(a, [4, height, width, 1]), tf.tensor4d(b, [4, height, width, 1])).dataSync());
      const px = width * height;
      for (let i = 0; i < 4; i++) {
        const expected = coreSsim(a.subarray(i * px, (i + 1) * px), b.subarray(i * px, (i + 1) * px), width, height);
        assert.ok(Math.abs(values[i] - expected) < 1e-5, `image ${i}: ${values[i]} vs core ${expected}`);
      }
      // Two channels: images 0 and 1 interleaved as channels of one image.
      const twoChannel = (src: Float32Array) => {
        const out = new Float32Array(2 * px);
        for (let p = 0; p < px; p++) {
          out[2 * p] = src[p];
          out[2 * p + 1] = src[px + p];
        }
        return tf.tensor4d(out, [1, height, width, 2]);
      };
      const combined = tf.tidy(() => ssimPerImage(twoChannel(a), twoChannel(b)).dataSync()[0]);
      assert.ok(Math.abs(combined - (values[0] + values[1]) / 2) < 1e-6, `two-channel SSIM ${combined}`);
      assert.throws(() => tf.tidy(() => ssimPerImage(tf.zeros([1, 10, 28, 1]), tf.zeros([1, 10, 28, 1]))), /at least 11x11/);
    });

    it('computes per-image MSE and the three training losses', () => {
      const a = blobs(5, 28, 28, 4);
      const b = blobs(5, 28, 28, 5);
      const expectedMse = Array.from({ length: 5 }, (_, n) => {
        let s = 0;
        for (let p = 0; p < 784; p++) s += (a[n * 784 + p] - b[n * 784 + p]) ** 2;
        return s / 784;
      });
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(a, [5, 28, 28, 1]);
      const y = tf.tensor4d(b, [5, 28, 28, 1]);
      const mse = tf.tidy(() => msePerImage(x, y).dataSync());
      expectedMse.forEach((e, i) => assert.ok(Math.abs(mse[i] - e) < 1e-6 * Math.max(1, e), `image ${i}: ${mse[i]} vs ${e}`));
      const ssims = tf.tidy(() => ssimPerImage(x, y).dataSync());
      const meanMse = expectedMse.reduce((s, v) => s + v, 0) / 5;
      const meanDissimilarity = 1 - Array.from(ssims).reduce((s, v) => s + v, 0) / 5;
      const value = (cfg: ResolvedTrainingConfig) => tf.tidy(() => lossFunction(cfg)(x, y).dataSync()[0]);
      assert.ok(Math.abs(value(training('mse')) - meanMse) < 1e-6);
      assert.ok(Math.abs(value(training('ssim')) - meanDissimilarity) < 1e-6);
      assert.ok(Math.abs(value(training('mse+ssim', 0.3)) - (0.7 * meanMse + 0.3 * meanDissimilarity)) < 1e-6);
      tf.dispose([x, y]);
      assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    });

    for (const loss of ['ssim', 'mse+ssim', 'mse'] as const) {
      it(`has a finite, non-zero gradient for ${loss} that matches a finite difference`, () => {
        const target = tf.tensor4d(blobs(3, 28, 28, 6), [3, 28, 28, 1]);
        const pred = tf.tensor4d(blobs(3, 28, 28, 7).map((v) => 0.1 + 0.8 * v), [3, 28, 28, 1]);
        const direction = tf.tensor4d(blobs(3, 28, 28, 8).map((v) => v - 0.5), [3, 28, 28, 1]);
        const f = lossFunction(training(loss));
        try {
          const grad = tf.grad((p: tf.Tensor) => f(target, p as tf.Tensor4D))(pred);
          const g = grad.dataSync();
          let nonZero = 0;
          for (const v of g) {
            assert.ok(Number.isFinite(v), `non-finite gradient ${v}`);
            if (v !== 0) nonZero++;
          }
          assert.ok(nonZero > g.length / 2, `only ${nonZero} of ${g.length} gradient values are non-zero`);
          // Central difference along `direction` against <grad, direction>.
          const eps = 1e-2;
          const [analytic, numeric] = tf.tidy(() => {
            const along = tf.sum(tf.mul(grad, direction)).dataSync()[0];
            const up = f(target, tf.add(pred, tf.mul(direction, eps))).dataSync()[0];
            const down = f(target, tf.sub(pred, tf.mul(direction, eps))).dataSync()[0];
            return [along, (up - down) / (2 * eps)];
          });
          assert.ok(Math.abs(analytic - numeric) <= 5e-3 * Math.abs(analytic) + 1e-5, `directional derivative ${analytic} vs finite difference ${numeric}`);
          grad.dispose();
        } finally {
          tf.dispose([target, pred, direction]);
        }
      });
    }
  });
}
