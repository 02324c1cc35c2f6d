// A tiny end-to-end run (a few hundred real MNIST images, one epoch) through the same
// orchestration the CLI and the worker use, checked against the run-folder contract.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import { averagePrecision, confusionAt, rocAuc } from '../../src/core/metrics';
import type { RunEvent } from '../../src/core/protocol';
import { listRuns, readMetrics, readRun, readSamples, readScores } from '../../src/core/runFolder';
import { loadModel } from '../../src/engine/modelIo';
import { InputError, runExperiment } from '../../src/engine/run';
import { EngineThread } from '../../src/engine/thread/spawn';
import { tempDir } from './support/tempDir';

function experiment(yaml: string) {
  const result = validateExperiment(yaml, 'tiny.aelab.yaml');
  assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
  return result.experiment;
}

const TINY = `
name: tiny
seed: 7
data: { trainLimit: 400, testLimit: 200, validationSplit: 0.25 }
corruption: { fraction: 0.2, type: gaussian, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 32, learningRate: 0.003 }
evaluation: { samples: 3 }
`;

describe('engine: one whole run', function () {
  this.timeout(120_000);
  const runsDir = tempDir('aelab-run-');

  it('threads 1 scores on one thread even where auto would use two; threads 2 scores on two', async () => {
    const scoreCalls: number[] = [];
    const original = EngineThread.prototype.score;
    EngineThread.prototype.score = function (this: EngineThread, ...args: Parameters<EngineThread['score']>) {
      scoreCalls.push(1);
      return original.apply(this, args);
    };
    try {
      // 2,100 test images: at least PARALLEL_SCORE_MIN, so 'auto' would score on two threads.
      const big = TINY.replace('testLimit: 200', 'testLimit: 2100');
      const one = await runExperiment({ experiment: experiment(big), runsDir, backend: 'wasm', threads: 1 });
      assert.equal(one.state, 'completed', one.error);
      assert.equal(scoreCalls.length, 0, 'no scoring request went to a thread');
      const warnings: string[] = [];
      const two = await runExperiment({ experiment: experiment(big), runsDir, backend: 'wasm', threads: 2 }, {
        onEvent: (e) => { if (e.type === 'log' && e.level === 'warn') warnings.push(e.message); },
      });
      assert.equal(two.state, 'completed', two.error);
      assert.ok(scoreCalls.length > 0, 'scoring used the thread');
      assert.deepEqual(warnings.filter((w) => /thread failed/.test(w)), [], 'the thread did its half: no fallback to one core');
    } finally {
      EngineThread.prototype.score = original;
    }
  });

  it('writes a complete, self-consistent run folder', async () => {
    const events: RunEvent[] = [];
    const outcome = await runExperiment({ experiment: experiment(TINY), runsDir, backend: 'auto' }, { onEvent: (e) => events.push(e) });
    assert.equal(outcome.state, 'completed', outcome.error);
    const run = readRun(outcome.runDir);
    assert.equal(run.status.state, 'completed');
    assert.equal(run.status.pid, undefined);
    assert.equal(run.config?.experiment.name, 'tiny');
    assert.equal(run.metrics.length, 1);
    assert.ok(Number.isFinite(run.metrics[0].trainLoss) && run.metrics[0].trainLoss > 0);

    const scores = readScores(outcome.runDir);
    assert.equal(scores.header.count, 200);
    assert.equal(scores.validationScores.length, 100);
    assert.equal(scores.labels.reduce((s, v) => s + v, 0), 40, '20% of 200 test images corrupted');
    const summary = run.summary;
    assert.ok(summary);
    // The summary agrees with what core recomputes from the stored scores.
    assert.equal(summary.auroc, rocAuc(scores.scores, scores.labels));
    assert.equal(summary.averagePrecision, averagePrecision(scores.scores, scores.labels));
    const c = confusionAt(scores.scores, scores.labels, summary.operatingPoint.threshold);
    assert.deepEqual([c.tp, c.tn, c.fp, c.fn], [summary.operatingPoint.tp, summary.operatingPoint.tn, summary.operatingPoint.fp, summary.operatingPoint.fn]);
    assert.deepEqual(summary.thresholds.map((t) => t.strategy).sort(), ['fpr', 'max-f1', 'mean-std', 'mixture', 'percentile']);
    // Noise of std 0.5 is far from anything MNIST looks like: even a one-epoch model separates it.
    assert.ok(summary.auroc > 0.9, `AUROC ${summary.auroc}`);

    const samples = readSamples(outcome.runDir);
    assert.equal(samples.header.samples.length, 6);
    assert.deepEqual(samples.header.samples.map((s) => s.group), ['normal', 'normal', 'normal', 'anomalous', 'anomalous', 'anomalous']);
    for (const s of samples.header.samples) assert.equal(s.score, scores.scores[s.index]);

    const model = await loadModel(path.join(outcome.runDir, 'model'));
    assert.deepEqual(model.outputs[0].shape, [null, 28, 28, 1]);
    model.dispose();

    const types = events.map((e) => e.type);
    assert.equal(types[types.length - 1], 'completed');
    assert.ok(types.includes('started') && types.includes('epoch') && types.includes('batch'));
    assert.equal(summary.warnings, undefined, 'noise of std 0.5 changes every image: no warning');
  });

  it('trains on every image with validationSplit 0, and warns when corrupted images equal their originals', async () => {
    // Blur of sigma 0.2 px leaves MNIST images unchanged (centre weight 0.99999).
    const yaml = TINY.replace('name: tiny', 'name: all-train-blur').replace('validationSplit: 0.25', 'validationSplit: 0')
      .replace('type: gaussian, level: 0.5', 'type: blur, level: 0.2').replace('evaluation: {', 'evaluation: { threshold: { strategy: mixture },');
    const events: RunEvent[] = [];
    const outcome = await runExperiment({ experiment: experiment(yaml), runsDir, backend: 'auto' }, { onEvent: (e) => events.push(e) });
    assert.equal(outcome.state, 'completed', outcome.error);
    const scores = readScores(outcome.runDir);
    assert.equal(scores.validationScores.length, 0, 'no validation images');
    assert.ok(events.some((e) => e.type === 'log' && /400 training, 0 validation/.test(e.message)));
    const summary = readRun(outcome.runDir).summary;
    assert.ok(summary);
    assert.equal(summary.chosen, 'mixture');
    assert.deepEqual(summary.thresholds.map((t) => t.strategy).sort(), ['max-f1', 'mixture']);
    assert.equal(summary.warnings?.length, 1);
    assert.match(summary.warnings[0], /^40 of 40 corrupted test images are \(nearly\) identical/);
    const warned = events.filter((e) => e.type === 'log' && e.level === 'warn').map((e) => (e as { message: string }).message);
    assert.deepEqual(warned, summary.warnings);
  });

  it('is reproducible: the same seed gives the same losses and scores', async () => {
    const a = await runExperiment({ experiment: experiment(TINY.replace('name: tiny', 'name: twin')), runsDir, backend: 'auto' });
    const b = await runExperiment({ experiment: experiment(TINY.replace('name: tiny', 'name: twin')), runsDir, backend: 'auto' });
    assert.deepEqual(readMetrics(a.runDir).map((m) => m.trainLoss), readMetrics(b.runDir).map((m) => m.trainLoss));
    assert.deepEqual(Array.from(readScores(a.runDir).scores), Array.from(readScores(b.runDir).scores));
  });

  it('cancelling leaves a consistent cancelled run without results', async () => {
    const controller = new AbortController();
    const outcome = await runExperiment({ experiment: experiment(TINY.replace('name: tiny', 'name: cancelled').replace('epochs: 1', 'epochs: 3')), runsDir, backend: 'auto' }, {
      signal: controller.signal,
      onEvent: (e) => { if (e.type === 'batch') controller.abort(); },
    });
    assert.equal(outcome.state, 'cancelled');
    const run = readRun(outcome.runDir);
    assert.equal(run.status.state, 'cancelled');
    assert.equal(run.summary, undefined);
    assert.ok(!fs.existsSync(path.join(outcome.runDir, 'summary.json')));
    assert.ok(!fs.existsSync(path.join(outcome.runDir, 'scores.json')));
    assert.ok(run.metrics.length < 3);
  });

  it('bad input writes nothing (the engine guard, validation without its dataset checks)', async () => {
    const bad = experiment(TINY.replace('name: tiny', 'name: nothing-normal').replace('data: {', 'data: { normalClasses: [3],').replace('trainLimit: 400', 'trainLimit: 2'));
    await assert.rejects(runExperiment({ experiment: bad, runsDir, backend: 'auto' }), (err: Error) => err instanceof InputError && /normalClasses \[3\] leaves no training images/.test(err.message));
    assert.deepEqual(listRuns(runsDir, 'nothing-normal'), []);
    assert.ok(!fs.existsSync(path.join(runsDir, 'nothing-normal')));
  });
});
