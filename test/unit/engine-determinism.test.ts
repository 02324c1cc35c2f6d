// Same seed, same bytes on one thread or two (wasm): one thread computes every step in the two
// halves data-parallel training uses (train.ts halvesStep), so the trained weights and the test
// scores do not depend on the thread count.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import { readRun } from '../../src/core/runFolder';
import { runExperiment } from '../../src/engine/run';

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
  for (const architecture of ['cnn']) {
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
