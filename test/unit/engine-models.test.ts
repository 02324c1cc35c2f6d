// The autoencoder factories: shapes, parameter counts worked out by hand, output range, seeding.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig } from '../../src/core/experiment.generated';
import { initBackend } from '../../src/engine/backend';
import { applyModel, buildModel, describeModel } from '../../src/engine/models';

/** Weights and bias of a dense layer. */
const dense = (inputs: number, units: number, bias = true) => inputs * units + (bias ? units : 0);
/** Gamma, beta, moving mean, moving variance. */
const batchNorm = (units: number) => 4 * units;
/** Dense without bias, then batch norm. */
const denseBn = (inputs: number, units: number) => dense(inputs, units, false) + batchNorm(units);
/** 3x3 kernel plus bias; the same count for a transposed convolution. */
const conv3x3 = (inputs: number, filters: number) => 3 * 3 * inputs * filters + filters;

interface Case {
  name: string;
  cfg: ResolvedModelConfig;
  parameters: number;
}

const cases: Case[] = [
  {
    name: 'fcn-simple, latent 16',
    cfg: { architecture: 'fcn-simple', latentSize: 16, bottleneckActivation: 'relu' },
    // 784*128+128 + 128*64+64 + 64*16+16 + 16*64+64 + 64*128+128 + 128*784+784
    parameters: dense(784, 128) + dense(128, 64) + dense(64, 16) + dense(16, 64) + dense(64, 128) + dense(128, 784),
  },
  {
    name: 'fcn-simple, latent 8',
    cfg: { architecture: 'fcn-simple', latentSize: 8, bottleneckActivation: 'relu' },
    parameters: dense(784, 128) + dense(128, 64) + dense(64, 8) + dense(8, 64) + dense(64, 128) + dense(128, 784),
  },
  {
    name: 'fcn-deep, latent 16',
    cfg: { architecture: 'fcn-deep', latentSize: 16, bottleneckActivation: 'relu' },
    parameters: denseBn(784, 512) + denseBn(512, 256) + denseBn(256, 128) + denseBn(128, 16)
      + denseBn(16, 128) + denseBn(128, 256) + denseBn(256, 512) + dense(512, 784),
  },
  {
    name: 'cnn',
    cfg: { architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' },
    // 160 + 4640 + 4624 + 145 = 9569
    parameters: conv3x3(1, 16) + conv3x3(16, 32) + conv3x3(32, 16) + conv3x3(16, 1),
  },
  {
    name: 'cnn with a 32-unit dense bottleneck',
    cfg: { architecture: 'cnn', latentSize: 16, bottleneck: 32, bottleneckActivation: 'relu' },
    parameters: conv3x3(1, 16) + conv3x3(16, 32) + dense(7 * 7 * 32, 32) + dense(32, 7 * 7 * 32) + conv3x3(32, 16) + conv3x3(16, 1),
  },
];

/** Two smooth, MNIST-like images (values in [0, 1]). */
function twoImages(): tf.Tensor4D {
  const values = new Float32Array(2 * 784);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const cx = n === 0 ? 12 : 16;
        values[n * 784 + y * 28 + x] = Math.exp(-((x - cx) ** 2 + (y - 14) ** 2) / 18);
      }
    }
  }
  return tf.tensor4d(values, [2, 28, 28, 1]);
}

function weightValues(model: ReturnType<typeof buildModel>): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

describe('engine: models', function () {
  this.timeout(30_000);

  before(async () => {
    await initBackend('wasm', { log: () => undefined });
  });

  for (const c of cases) {
    describe(c.name, () => {
      it('maps [2,28,28,1] images into (0,1) with the hand-computed parameter count', () => {
        const before = tf.memory().numTensors;
        const model = buildModel(c.cfg, 1);
        try {
          assert.deepEqual(model.inputs[0].shape, [null, 28, 28, 1]);
          assert.equal(model.countParams(), c.parameters);
          const description = describeModel(model);
          assert.equal(description.parameters, c.parameters);
          assert.equal(description.layers.length, model.layers.length);
          const x = twoImages();
          const y = applyModel(model, x, false);
          assert.deepEqual(y.shape, [2, 28, 28, 1]);
          const values = y.dataSync();
          for (const v of values) assert.ok(v > 0 && v < 1, `output ${v} outside (0, 1)`);
          tf.dispose([x, y]);
        } finally {
          model.dispose();
        }
        assert.equal(tf.memory().numTensors, before, 'tensors left after dispose');
      });

      it('draws the same initial weights from the same seed, different ones from another', () => {
        const a = buildModel(c.cfg, 7);
        const b = buildModel(c.cfg, 7);
        const other = buildModel(c.cfg, 8);
        try {
          const wa = weightValues(a);
          const wb = weightValues(b);
          const wo = weightValues(other);
          assert.equal(wa.length, wb.length);
          wa.forEach((w, i) => assert.deepEqual(w, wb[i], `weight ${a.weights[i].originalName} differs for the same seed`));
          // Every kernel (rank >= 2) is random; biases and batch-norm weights start as constants.
          a.weights.forEach((w, i) => {
            if (w.shape.length >= 2) assert.notDeepEqual(wa[i], wo[i], `weight ${w.originalName} is the same for seeds 7 and 8`);
          });
        } finally {
          a.dispose();
          b.dispose();
          other.dispose();
        }
      });
    });
  }

  it('seeds each layer differently (no two kernels start alike)', () => {
    const model = buildModel({ architecture: 'cnn', latentSize: 16, bottleneck: 32, bottleneckActivation: 'relu' }, 3);
    try {
      const firsts = model.getWeights().filter((w) => w.rank >= 2).map((w) => w.dataSync()[0]);
      assert.equal(new Set(firsts).size, firsts.length);
    } finally {
      model.dispose();
    }
  });

  it('fcn-deep uses batch statistics in training mode and moving statistics in inference mode', () => {
    const model = buildModel({ architecture: 'fcn-deep', latentSize: 16, bottleneckActivation: 'relu' }, 1);
    const x = twoImages();
    try {
      const [inference, training] = tf.tidy(() => [applyModel(model, x, false), applyModel(model, x, true)]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(inference, training))).dataSync()[0]);
      assert.ok(diff > 1e-3, `training and inference outputs differ by only ${diff}`);
      tf.dispose([inference, training]);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('builds for other image sizes; the cnn needs sides divisible by 4', () => {
    const model = buildModel({ architecture: 'fcn-simple', latentSize: 4, bottleneckActivation: 'relu' }, 1, { width: 20, height: 12 });
    try {
      const y = tf.tidy(() => applyModel(model, tf.zeros([3, 12, 20, 1]), false));
      assert.deepEqual(y.shape, [3, 12, 20, 1]);
      y.dispose();
    } finally {
      model.dispose();
    }
    const cnn = buildModel({ architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' }, 1, { width: 32, height: 16 });
    try {
      const y = tf.tidy(() => applyModel(cnn, tf.zeros([1, 16, 32, 1]), false));
      assert.deepEqual(y.shape, [1, 16, 32, 1]);
      y.dispose();
    } finally {
      cnn.dispose();
    }
    assert.throws(() => buildModel({ architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' }, 1, { width: 30, height: 28 }), /divisible by 4/);
  });
});
