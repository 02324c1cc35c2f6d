// Scoring on two threads (a worker with its own wasm backend) gives the single-threaded scores.
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/engine/backend';
import { buildModel } from '../../src/engine/models';
import { scoreImages, scoreImagesParallel } from '../../src/engine/score';
import { EngineThread } from '../../src/engine/thread/spawn';

describe('engine: two-thread scoring', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const architecture of ['cnn', 'fcn-deep'] as const) {
    for (const kind of ['mse', 'ssim'] as const) {
      it(`${architecture} ${kind}: same scores as one thread`, async function () {
        this.timeout(60000);
        const count = 600;
        const images = new Float32Array(count * 784);
        for (let i = 0; i < images.length; i++) images[i] = ((i * 2654435761) % 1000) / 1000;
        const model = buildModel({ architecture, latentSize: 16, bottleneckActivation: 'relu' }, 7);
        try {
          const single = scoreImages(model, images, count, 28, 28, kind, 128);
          const before = tf.memory().numTensors;
          const parallel = await scoreImagesParallel(model, images, count, 28, 28, kind, { threads: 2, batchSize: 128, onThreadError: (m) => assert.fail(`fell back to one thread: ${m}`) });
          assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
          assert.equal(parallel.length, count);
          for (let i = 0; i < count; i++) assert.ok(Math.abs(parallel[i] - single[i]) <= 1e-6, `image ${i}: ${parallel[i]} vs ${single[i]}`);
        } finally {
          model.dispose();
        }
      });
    }
  }

  it('a thread started early serves several calls, then closes', async function () {
    this.timeout(60000);
    const count = 300;
    const images = new Float32Array(count * 784).map((_, i) => (i % 97) / 97);
    const model = buildModel({ architecture: 'fcn-simple', latentSize: 16, bottleneckActivation: 'relu' }, 3);
    const thread = new EngineThread();
    try {
      const single = scoreImages(model, images, count, 28, 28, 'mse', 64);
      for (let round = 0; round < 2; round++) {
        const parallel = await scoreImagesParallel(model, images, count, 28, 28, 'mse', { threads: 2, batchSize: 64, thread, onThreadError: (m) => assert.fail(`fell back to one thread: ${m}`) });
        for (let i = 0; i < count; i++) assert.ok(Math.abs(parallel[i] - single[i]) <= 1e-6, `round ${round} image ${i}`);
      }
    } finally {
      await thread.close();
      model.dispose();
    }
    await assert.rejects(thread.score({
      model: { modelTopology: {}, weightSpecs: [], weightData: new ArrayBuffer(0) }, images: new SharedArrayBuffer(4), scores: new SharedArrayBuffer(4),
      from: 0, to: 0, width: 1, height: 1, score: 'mse', batchSize: 1,
    }), /exited/);
  });

  it('a failed thread: this thread scores its half, and says so', async function () {
    this.timeout(60000);
    const count = 200;
    const images = new Float32Array(count * 784).map((_, i) => (i % 89) / 89);
    const model = buildModel({ architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' }, 5);
    const thread = new EngineThread();
    await thread.close();
    try {
      const errors: string[] = [];
      const parallel = await scoreImagesParallel(model, images, count, 28, 28, 'mse', { threads: 2, batchSize: 64, thread, onThreadError: (m) => errors.push(m) });
      assert.equal(errors.length, 1);
      assert.deepEqual(parallel, scoreImages(model, images, count, 28, 28, 'mse', 64));
    } finally {
      model.dispose();
    }
  });
});
