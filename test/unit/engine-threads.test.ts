// When a run trains on two threads: wasm with a spare core, architectures where it pays, enough
// images, a batch worth splitting; --threads 1 / 2 override.
import * as assert from 'node:assert/strict';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import { validateExperiment } from '../../src/core/config';
import { spareCores } from '../../src/engine/thread/spawn';
import { trainingThreads, wantsEngineThread } from '../../src/engine/threads';

function experiment(architecture: string, batchSize = 64, epochs = 3): ResolvedExperiment {
  const result = validateExperiment(`name: t\nmodel:\n  architecture: ${architecture}\ntraining:\n  batchSize: ${batchSize}\n  epochs: ${epochs}\n`, 't.aelab.yaml');
  assert.ok(result.experiment, JSON.stringify(result.problems));
  return result.experiment;
}

describe('engine: how many threads a run uses', () => {
  const spare = spareCores() > 0;

  it('auto: two for cnn and fcn-deep on wasm with a spare core, one for fcn-simple', function () {
    if (!spare) this.skip();
    assert.equal(trainingThreads('auto', 'wasm', experiment('cnn'), 54000), 2);
    assert.equal(trainingThreads('auto', 'wasm', experiment('fcn-deep'), 54000), 2);
    assert.equal(trainingThreads('auto', 'wasm', experiment('fcn-deep', 64, 2), 20_000), 2);
    assert.equal(trainingThreads('auto', 'wasm', experiment('fcn-simple'), 54000), 1);
  });

  it('auto: one for few images x epochs, small batches and the other backends', () => {
    assert.equal(trainingThreads('auto', 'wasm', experiment('cnn', 64, 1), 20_000), 1);
    assert.equal(trainingThreads('auto', 'wasm', experiment('cnn', 64, 3), 10_000), 1);
    assert.equal(trainingThreads('auto', 'wasm', experiment('cnn', 8), 54000), 1);
    assert.equal(trainingThreads('auto', 'cpu', experiment('cnn'), 54000), 1);
    assert.equal(trainingThreads('auto', 'tensorflow', experiment('cnn'), 54000), 1);
    assert.equal(wantsEngineThread('auto', 'cpu'), false);
  });

  it('1 never starts a thread; 2 forces two on wasm for cnn and fcn-deep (not elsewhere, not for batch 1, never fcn-simple)', () => {
    assert.equal(wantsEngineThread(1, 'wasm'), false);
    assert.equal(trainingThreads(1, 'wasm', experiment('cnn'), 54000), 1);
    assert.equal(wantsEngineThread(2, 'wasm'), true);
    assert.equal(trainingThreads(2, 'wasm', experiment('cnn', 4), 100), 2);
    assert.equal(trainingThreads(2, 'wasm', experiment('fcn-deep', 4), 100), 2);
    // Two threads only slow fcn-simple down, and its one-thread steps are whole batches: one thread keeps the bytes.
    assert.equal(trainingThreads(2, 'wasm', experiment('fcn-simple', 4), 100), 1);
    assert.equal(trainingThreads(2, 'wasm', experiment('cnn', 1), 100), 1);
    assert.equal(trainingThreads(2, 'cpu', experiment('cnn'), 54000), 1);
  });
});
