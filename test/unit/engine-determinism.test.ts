// Same seed, same bytes on one thread or two (wasm): one thread computes every step in the two
// halves data-parallel training uses (train.ts halvesStep; batch norm over both halves as the
// threads synchronise it), so the trained weights and the test scores do not depend on the
// thread count. And without the halves, one thread's bytes do differ (what the replay buys).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { validateExperiment } from '../../src/core/config';
import { readRun } from '../../src/core/runFolder';
import { initBackend } from '../../src/engine/backend';
import { buildModel } from '../../src/engine/models';
import { runExperiment } from '../../src/engine/run';
import { EngineThread } from '../../src/engine/thread/spawn';
import { trainAutoencoder, type TrainResult } from '../../src/engine/train';
import { deterministicValues } from './support/deterministic';

function experiment(architecture: string, name: string) {
  const result = validateExperiment(`
name: ${name}
seed: 11
data: { trainLimit: 330, testLimit: 300, validationSplit: 0.1 }
corruption: { fraction: 0.2 }
model: { architecture: ${architecture} }
training: { epochs: 1, batchSize: 32 }
`, 'det.aelab.yaml');
  assert.ok(result.experiment, JSON.stringify(result.problems));
  return result.experiment;
}

/** Index of the first differing byte, -1 when equal (length counts as a difference). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('engine: thread count does not change the result (wasm)', function () {
  this.timeout(120_000);
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-det-'));

  // fcn-simple: 'auto' trains it on one thread on every machine (threads.ts), so it needs no halves.
  for (const architecture of ['cnn', 'fcn-deep']) {
    it(`${architecture}: byte-identical scores.bin and weights on 1 and 2 threads`, async () => {
      const bytes = async (threads: 1 | 2) => {
        const outcome = await runExperiment({ experiment: experiment(architecture, `${architecture}-${threads}`), runsDir, backend: 'wasm', threads });
        assert.equal(outcome.state, 'completed', outcome.error);
        assert.equal(readRun(outcome.runDir).summary?.trainingThreads, threads);
        return {
          scores: new Uint8Array(fs.readFileSync(path.join(outcome.runDir, 'scores.bin'))),
          weights: new Uint8Array(fs.readFileSync(path.join(outcome.runDir, 'model', 'weights.bin'))),
          losses: readRun(outcome.runDir).metrics.map((m) => [m.trainLoss, m.valLoss]),
        };
      };
      const one = await bytes(1);
      const two = await bytes(2);
      assert.ok(one.scores.length === 4 * (300 + 33) && one.weights.length > 1000);
      assert.equal(firstDifference(one.scores, two.scores), -1, 'scores.bin differs at this byte');
      assert.equal(firstDifference(one.weights, two.weights), -1, 'weights.bin differs at this byte');
      assert.deepEqual(one.losses, two.losses);
    });
  }
});

describe('engine: one thread replays two threads\' halves (fcn-deep, wasm)', function () {
  this.timeout(120_000);
  let thread: EngineThread;

  before(async () => {
    await initBackend('wasm', { log: () => undefined });
    thread = new EngineThread();
  });

  after(async () => {
    await thread.close();
  });

  it('bit-identical weights (moving statistics too) on two threads and in halves; whole batches differ', async () => {
    const side = 28;
    // 81 images, batch 16: halves of 8 + 8 and a last batch of one row, which both threads take.
    const trainCount = 81;
    const data = {
      train: deterministicValues(trainCount * side * side, 7, 0, 1), trainCount,
      validation: deterministicValues(8 * side * side, 8, 0, 1), validationCount: 8, width: side, height: side,
    };
    const cfg = { loss: 'mse' as const, ssimWeight: 0.5, optimizer: 'adam' as const, learningRate: 1e-3, momentum: 0, batchSize: 16, epochs: 1 };
    // latent 10: the code layer's batch norm takes the kernels' JS path, the others their SIMD path.
    const train = async (opts: { thread?: EngineThread; halves?: false }): Promise<{ result: TrainResult; bytes: Uint8Array }> => {
      const model = buildModel({ architecture: 'fcn-deep', latentSize: 10, bottleneckActivation: 'relu' }, 4);
      try {
        const before = tf.memory().numTensors;
        const result = await trainAutoencoder(model, data, cfg, { seed: 2, ...opts, onThreadError: (m) => assert.fail(m) });
        assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
        const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
        const all = new Float32Array(weights.reduce((sum, w) => sum + w.length, 0));
        weights.reduce((at, w) => (all.set(w, at), at + w.length), 0);
        return { result, bytes: new Uint8Array(all.buffer) };
      } finally {
        model.dispose();
      }
    };
    const two = await train({ thread });
    const halves = await train({});
    const whole = await train({ halves: false });
    assert.deepEqual([two.result.threads, two.result.inHalves], [2, false]);
    assert.deepEqual([halves.result.threads, halves.result.inHalves], [1, true]);
    assert.deepEqual([whole.result.threads, whole.result.inHalves], [1, false]);
    assert.ok(two.bytes.length > 4 * 500_000, `${two.bytes.length} weight bytes`);
    assert.equal(firstDifference(halves.bytes, two.bytes), -1, 'halves and two threads differ at this byte');
    assert.notEqual(firstDifference(whole.bytes, two.bytes), -1, 'whole batches gave two threads\' bytes: the test cannot tell');
    assert.deepEqual(halves.result.history.map((m) => m.trainLoss), two.result.history.map((m) => m.trainLoss));
  });
});
