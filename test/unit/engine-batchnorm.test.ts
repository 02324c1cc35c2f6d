// The fused batch-norm layer (src/engine/layers/batchNormalization.ts) against tfjs-layers' stock
// BatchNormalization with the same weights: outputs in training and inference mode, gradients for
// x, gamma and beta, and the moving statistics, on cpu and wasm with aelab's kernels; then fcn-deep
// built with it trains, and saves and loads with the same outputs.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/engine/backend';
import { createAdam, installKernels, uninstallKernels } from '../../src/engine/kernels';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL } from '../../src/engine/kernels/batchNorm';
import { findKernel } from '../../src/engine/kernels/registry';
import { FastBatchNormalization, fastBatchNormalization } from '../../src/engine/layers/batchNormalization';
import { applyModel, buildModel } from '../../src/engine/models';
import { loadModel, saveModel } from '../../src/engine/modelIo';
import { deterministicValues as data } from './support/deterministic';


function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tolerance = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(1, Math.abs(e[i])));
  assert.ok(worst <= tolerance, `${what}: max difference ${worst} > ${tolerance}`);
}

interface Step {
  y: tf.Tensor;
  dx: tf.Tensor;
  dgamma: tf.Tensor;
  dbeta: tf.Tensor;
}

/** One training-mode forward and backward of sum(y * w). */
function trainStep(layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor): Step {
  const [gamma, beta] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const xv = tf.variable(x, true);
  let y: tf.Tensor | undefined;
  const { grads } = tf.variableGrads(() => {
    const out = layer.apply(xv, { training: true }) as tf.Tensor;
    y = tf.keep(out.clone());
    return tf.sum(tf.mul(out, w));
  }, [xv, gamma, beta]);
  const step = { y: y as tf.Tensor, dx: grads[xv.name], dgamma: grads[gamma.name], dbeta: grads[beta.name] };
  xv.dispose();
  return step;
}

function twinLayers(channels: number, seed: number): [tfl.layers.Layer, tfl.layers.Layer] {
  const stock = tfl.layers.batchNormalization({ momentum: 0.9 });
  const fast = fastBatchNormalization({ momentum: 0.9 });
  const weights = [
    tf.tensor1d(data(channels, seed + 1, 0.5, 1.5)), tf.tensor1d(data(channels, seed + 2)),
    tf.tensor1d(data(channels, seed + 3)), tf.tensor1d(data(channels, seed + 4, 0.5, 2)),
  ];
  for (const layer of [stock, fast]) {
    layer.build([null, channels]);
    layer.setWeights(weights);
  }
  tf.dispose(weights);
  return [stock, fast];
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`fused batch normalization (${backend})`, function () {
    this.timeout(60_000);

    before(async () => {
      await initBackend(backend);
      installKernels(backend);
      assert.ok(findKernel(BATCH_NORM_TRAIN_KERNEL, backend) && findKernel(BATCH_NORM_GRAD_KERNEL, backend));
    });

    // [64, 512] and [7, 16] take wasm's SIMD path, [1, 3] its JS path; 'stock ops' is the layer
    // without the kernels (as on tfjs-node).
    for (const [n, c, withKernels] of [[64, 512, true], [7, 16, true], [1, 3, true], [7, 16, false]] as const) {
      it(`matches the stock layer on [${n}, ${c}]${withKernels ? '' : ' (stock ops)'}: training output, gradients, moving statistics, inference`, () => {
        if (!withKernels) uninstallKernels(backend, [BATCH_NORM_TRAIN_KERNEL, BATCH_NORM_GRAD_KERNEL]);
        const [stock, fast] = twinLayers(c, n * 1000 + c);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          for (let step = 0; step < 3; step++) {
            const x = tf.tensor2d(data(n * c, 10 + step, -2, 3), [n, c]);
            const w = tf.tensor2d(data(n * c, 20 + step), [n, c]);
            const expected = trainStep(stock, x, w);
            const actual = trainStep(fast, x, w);
            for (const k of ['y', 'dx', 'dgamma', 'dbeta'] as const) assertClose(actual[k], expected[k], `step ${step} ${k}`);
            tf.dispose([expected.y, actual.y]); // kept past variableGrads' tidy
          }
          const [, , stockMean, stockVariance] = stock.getWeights();
          const [, , fastMean, fastVariance] = fast.getWeights();
          assertClose(fastMean, stockMean, 'moving mean');
          assertClose(fastVariance, stockVariance, 'moving variance');
          const x = tf.tensor2d(data(n * c, 99, -2, 3), [n, c]);
          assertClose(fast.apply(x, { training: false }) as tf.Tensor, stock.apply(x, { training: false }) as tf.Tensor, 'inference');
        });
        assert.equal(tf.memory().numTensors, before, 'no tensors leak');
        // Layer.dispose() refuses layers never applied symbolically; free the weights directly.
        for (const v of [...stock.weights, ...fast.weights]) v.dispose();
        installKernels(backend);
      });
    }
  });
}

describe('fcn-deep with the fused batch norm', function () {
  this.timeout(120_000);

  before(async () => {
    await initBackend('wasm');
  });

  it('uses it, trains (loss decreases) and round-trips through saveModel / loadModel', async () => {
    const model = buildModel({ architecture: 'fcn-deep', latentSize: 16, bottleneckActivation: 'relu' }, 7);
    assert.equal(model.layers.filter((l) => l instanceof FastBatchNormalization).length, 7);
    const x = tf.tensor4d(data(32 * 784, 5, 0, 1), [32, 28, 28, 1]);
    const optimizer = createAdam(1e-3);
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(x, applyModel(model, x, true)), true);
      losses.push(loss?.dataSync()[0] ?? NaN);
      loss?.dispose();
    }
    assert.ok(losses[losses.length - 1] < losses[0] * 0.9, `loss ${losses[0]} -> ${losses[losses.length - 1]}`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-bn-'));
    try {
      await saveModel(model, path.join(dir, 'model'));
      const loaded = await loadModel(path.join(dir, 'model'));
      assert.equal(loaded.countParams(), model.countParams());
      const expected = applyModel(model, x, false);
      const actual = applyModel(loaded, x, false);
      assertClose(actual, expected, 'loaded model output', 0);
      tf.dispose([expected, actual]);
      loaded.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    optimizer.dispose();
    x.dispose();
    model.dispose();
  });
});
