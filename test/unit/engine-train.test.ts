// The training loop on tiny synthetic data: learning, progress reports, cancelling, early
// stopping, determinism and flat tensor counts.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../../src/core/experiment.generated';
import { Rng } from '../../src/core/rng';
import type { EpochMetrics } from '../../src/core/runFormat';
import { initBackend } from '../../src/engine/backend';
import { buildModel } from '../../src/engine/models';
import { scoreImages } from '../../src/engine/score';
import { trainAutoencoder, type BatchProgress, type TrainingData } from '../../src/engine/train';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** MNIST-like images: two or three soft strokes (short Gaussian segments) on black. */
function strokes(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(count * PIXELS);
  for (let n = 0; n < count; n++) {
    const segments = 2 + rng.int(2);
    for (let s = 0; s < segments; s++) {
      const [x0, y0] = [6 + 16 * rng.next(), 6 + 16 * rng.next()];
      const [x1, y1] = [6 + 16 * rng.next(), 6 + 16 * rng.next()];
      for (let t = 0; t <= 1; t += 0.05) {
        const cx = x0 + (x1 - x0) * t;
        const cy = y0 + (y1 - y0) * t;
        for (let y = Math.max(0, Math.floor(cy - 3)); y <= Math.min(SIDE - 1, Math.ceil(cy + 3)); y++) {
          for (let x = Math.max(0, Math.floor(cx - 3)); x <= Math.min(SIDE - 1, Math.ceil(cx + 3)); x++) {
            const i = n * PIXELS + y * SIDE + x;
            out[i] = Math.max(out[i], Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 1.5));
          }
        }
      }
    }
  }
  return out;
}

function dataset(trainCount: number, validationCount: number, seed = 11): TrainingData & { validation: Float32Array } {
  return { train: strokes(trainCount, seed), trainCount, validation: strokes(validationCount, seed + 1), validationCount, width: SIDE, height: SIDE };
}

function training(overrides: Partial<ResolvedTrainingConfig> = {}): ResolvedTrainingConfig {
  return { loss: 'mse', ssimWeight: 0.5, optimizer: 'adam', learningRate: 3e-3, momentum: 0, batchSize: 32, epochs: 3, ...overrides };
}

const FCN: ResolvedModelConfig = { architecture: 'fcn-simple', latentSize: 16, bottleneckActivation: 'relu' };

describe('engine: training loop', function () {
  this.timeout(60_000);
  const small = dataset(320, 64);

  before(async () => {
    await initBackend('wasm', { log: () => undefined });
  });

  it('lowers the loss and reports every epoch and the last batch of each', async () => {
    const model = buildModel(FCN, 1);
    const epochs: (EpochMetrics & { epochs: number })[] = [];
    const batches: BatchProgress[] = [];
    try {
      const result = await trainAutoencoder(model, small, training(), {
        seed: 1, onEpoch: (m) => epochs.push(m), onBatch: (b) => batches.push(b),
      });
      assert.equal(result.cancelled, false);
      assert.equal(result.stoppedEarly, false);
      assert.equal(result.history.length, 3);
      assert.deepEqual(epochs.map((m) => m.epoch), [1, 2, 3]);
      for (const m of epochs) {
        assert.equal(m.epochs, 3);
        for (const v of [m.trainLoss, m.valLoss, m.seconds]) assert.ok(Number.isFinite(v) && v > 0, `bad metric ${v}`);
      }
      assert.deepEqual(result.history, epochs.map(({ epochs: _, ...m }) => m));
      const [first, , last] = result.history;
      assert.ok(last.trainLoss < first.trainLoss * 0.9, `train loss ${first.trainLoss} -> ${last.trainLoss}`);
      assert.ok(last.valLoss < first.valLoss, `validation loss ${first.valLoss} -> ${last.valLoss}`);
      assert.equal(result.bestEpoch, result.history.reduce((b, m) => (m.valLoss < b.valLoss ? m : b)).epoch);

      // 10 batches per epoch; reports are throttled but the last batch always comes.
      for (let epoch = 1; epoch <= 3; epoch++) {
        const mine = batches.filter((b) => b.epoch === epoch);
        assert.ok(mine.length >= 1 && mine.length <= 10);
        const lastReport = mine[mine.length - 1];
        assert.deepEqual([lastReport.batch, lastReport.batches, lastReport.epochs], [10, 10, 3]);
        for (const b of mine) assert.ok(Number.isFinite(b.loss) && b.loss > 0);
      }
    } finally {
      model.dispose();
    }
  });

  const leakCases: { name: string; model: ResolvedModelConfig; cfg: ResolvedTrainingConfig }[] = [
    {
      name: 'fcn-deep (batch norm), adam, mse+ssim, early stopping with restoreBest',
      model: { architecture: 'fcn-deep', latentSize: 16, bottleneckActivation: 'relu' },
      cfg: training({ loss: 'mse+ssim', earlyStopping: { patience: 5, minDelta: 0, restoreBest: true } }),
    },
    {
      name: 'cnn, sgd with momentum, ssim',
      model: { architecture: 'cnn', latentSize: 16, bottleneckActivation: 'relu' },
      cfg: training({ loss: 'ssim', optimizer: 'sgd', momentum: 0.9, learningRate: 0.05 }),
    },
    {
      name: 'cnn with bottleneck, plain sgd, mse',
      model: { architecture: 'cnn', latentSize: 16, bottleneck: 16, bottleneckActivation: 'relu' },
      cfg: training({ optimizer: 'sgd', learningRate: 0.05 }),
    },
  ];
  for (const c of leakCases) {
    it(`keeps the tensor count flat: ${c.name}`, async () => {
      const data = dataset(128, 40);
      const model = buildModel(c.model, 2);
      try {
        const before = tf.memory().numTensors;
        const perEpoch: number[] = [];
        const result = await trainAutoencoder(model, data, c.cfg, { seed: 2, onEpoch: () => perEpoch.push(tf.memory().numTensors) });
        assert.equal(result.history.length, 3);
        for (const m of result.history) assert.ok(Number.isFinite(m.trainLoss) && Number.isFinite(m.valLoss));
        assert.equal(perEpoch[2], perEpoch[0], `tensors after epochs 1..3: ${perEpoch}`);
        // Only the model's own weights remain (optimizer slots and weight copies are gone).
        assert.equal(tf.memory().numTensors, before, 'tensors left after training');
      } finally {
        model.dispose();
      }
    });
  }

  it('stops within the epoch when cancelled from a progress callback', async () => {
    const model = buildModel(FCN, 3);
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    try {
      let batchesAfterAbort = 0;
      const result = await trainAutoencoder(model, small, training({ epochs: 5 }), {
        seed: 3,
        signal: controller.signal,
        onBatch: (b) => {
          if (controller.signal.aborted) batchesAfterAbort++;
          if (b.epoch === 2) controller.abort();
        },
      });
      assert.equal(result.cancelled, true);
      assert.equal(result.history.length, 1);
      assert.equal(batchesAfterAbort, 0);
      assert.equal(tf.memory().numTensors, before, 'tensors left after cancelling');
    } finally {
      model.dispose();
    }
  });

  it('notices an abort that arrives from the event loop while it trains', async () => {
    const model = buildModel(FCN, 4);
    const controller = new AbortController();
    try {
      const started = performance.now();
      const timer = setTimeout(() => controller.abort(), 150);
      const result = await trainAutoencoder(model, small, training({ epochs: 500 }), { seed: 4, signal: controller.signal });
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(result.cancelled, true);
      assert.ok(result.history.length < 500);
      assert.ok(seconds < 2, `took ${seconds} s to notice the abort`);
    } finally {
      model.dispose();
    }
  });

  it('returns at once when the signal is already aborted', async () => {
    const model = buildModel(FCN, 5);
    try {
      const result = await trainAutoencoder(model, small, training(), { seed: 5, signal: AbortSignal.abort() });
      assert.deepEqual(result, { history: [], bestEpoch: undefined, stoppedEarly: false, cancelled: true, threads: 1, inHalves: false });
    } finally {
      model.dispose();
    }
  });

  it('stops early once patience runs out without improvement', async () => {
    const model = buildModel(FCN, 6);
    const reported: number[] = [];
    try {
      // Learning rate 0: the weights never move, so no epoch beats the first.
      const result = await trainAutoencoder(model, small, training({
        learningRate: 0, epochs: 10, earlyStopping: { patience: 2, minDelta: 0, restoreBest: false },
      }), { seed: 6, onEpoch: (m) => reported.push(m.epoch) });
      assert.equal(result.cancelled, false);
      assert.equal(result.stoppedEarly, true);
      assert.deepEqual(reported, [1, 2, 3]);
      assert.equal(result.bestEpoch, 1);
      const vals = result.history.map((m) => m.valLoss);
      assert.ok(vals.every((v) => v === vals[0]), `validation loss moved with learning rate 0: ${vals}`);
    } finally {
      model.dispose();
    }
  });

  it('restores the best epoch\'s weights with restoreBest', async () => {
    const meanScore = (model: ReturnType<typeof buildModel>) =>
      scoreImages(model, small.validation, small.validationCount, SIDE, SIDE, 'mse').reduce((s, v) => s + v, 0) / small.validationCount;
    // minDelta 1 is more than any MSE can improve by: epoch 1 stays the best, training goes on
    // (and improves) for `patience` more epochs, then stops.
    const cfg = (restoreBest: boolean) => training({ epochs: 10, earlyStopping: { patience: 2, minDelta: 1, restoreBest } });
    for (const restoreBest of [true, false]) {
      const model = buildModel(FCN, 7);
      try {
        const result = await trainAutoencoder(model, small, cfg(restoreBest), { seed: 7 });
        assert.equal(result.stoppedEarly, true);
        assert.equal(result.history.length, 3);
        assert.equal(result.bestEpoch, 1);
        const [first, , last] = result.history;
        assert.ok(last.valLoss < first.valLoss * 0.95, 'training should have improved the model after epoch 1');
        const now = meanScore(model);
        const expected = restoreBest ? first.valLoss : last.valLoss;
        assert.ok(Math.abs(now - expected) < 1e-6, `restoreBest ${restoreBest}: validation MSE ${now}, expected ${expected}`);
      } finally {
        model.dispose();
      }
    }
  });

  describe('on the cpu backend', () => {
    before(async () => {
      await initBackend('cpu', { log: () => undefined });
    });
    after(async () => {
      await initBackend('wasm', { log: () => undefined });
    });

    it('is deterministic: same seed, same first-epoch losses; another seed differs', async () => {
      const data = dataset(96, 32, 21);
      const firstEpoch = async (seed: number): Promise<EpochMetrics> => {
        const model = buildModel(FCN, seed);
        try {
          const result = await trainAutoencoder(model, data, training({ epochs: 1 }), { seed });
          return result.history[0];
        } finally {
          model.dispose();
        }
      };
      const a = await firstEpoch(5);
      const b = await firstEpoch(5);
      const c = await firstEpoch(6);
      assert.equal(a.trainLoss, b.trainLoss);
      assert.equal(a.valLoss, b.valLoss);
      assert.notEqual(a.trainLoss, c.trainLoss);
    });
  });

  it('rejects data that does not hold the stated number of images', async () => {
    const model = buildModel(FCN, 8);
    try {
      await assert.rejects(trainAutoencoder(model, { ...small, trainCount: 1000 }, training(), { seed: 1 }), /training data holds/);
      await assert.rejects(trainAutoencoder(model, { ...small, trainCount: 0 }, training(), { seed: 1 }), /no training images/);
    } finally {
      model.dispose();
    }
  });
});
