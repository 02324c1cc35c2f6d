// What-if scoring: a finished run's test set corrupted another way and scored with its model
// gives the same bytes as a `run` with modelFrom and that corruption, and writes nothing.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { validateExperiment } from '../../src/core/config';
import { readRun, readScores } from '../../src/core/runFolder';
import { runExperiment } from '../../src/engine/run';
import { scoreWhatIf } from '../../src/engine/whatIf';
import { tempDir } from './support/tempDir';

function experiment(yaml: string) {
  const result = validateExperiment(yaml, 'tiny.aelab.yaml');
  assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
  return result.experiment;
}

const TINY = (corruption: string) => `
name: tiny-whatif
seed: 11
data: { trainLimit: 300, testLimit: 200, validationSplit: 0.25 }
corruption: ${corruption}
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 32 }
evaluation: { samples: 2 }
`;

/** The scores' bytes, as text that compares exactly. */
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

describe('engine: what-if scoring with a run\'s model', function () {
  this.timeout(120_000);
  const runsDir = tempDir('aelab-whatif-');

  it('equals a run with modelFrom and the same corruption, byte for byte, and writes no run', async () => {
    const source = await runExperiment({ experiment: experiment(TINY('{ fraction: 0.2, type: gaussian, level: 0.2 }')), runsDir, backend: 'wasm', threads: 1 });
    assert.equal(source.state, 'completed', source.error);
    const blur = experiment(TINY('{ fraction: 0.2, type: blur, level: 1.0 }'));
    const before = fs.readdirSync(`${runsDir}/tiny-whatif`).length;
    const preview = await scoreWhatIf({ experiment: blur, runsDir, backend: 'wasm', threads: 1, modelFrom: source.runDir });
    assert.ok(preview);
    assert.equal(fs.readdirSync(`${runsDir}/tiny-whatif`).length, before, 'the preview wrote no run folder');

    const saved = await runExperiment({ experiment: blur, runsDir, backend: 'wasm', threads: 1, modelFrom: source.runDir });
    assert.equal(saved.state, 'completed', saved.error);
    assert.equal(readRun(saved.runDir).config?.modelFrom, source.runDir);
    const savedScores = readScores(saved.runDir);
    assert.equal(bytes(preview.scores), bytes(savedScores.scores), 'scores byte-equal');
    assert.deepEqual([...preview.labels], [...savedScores.labels]);
    assert.equal(preview.auroc, saved.summary?.auroc);
    assert.deepEqual(preview.operatingPoint, saved.summary?.operatingPoint);

    // The corruption did change what was scored: the anomalies' scores differ from the source's.
    const sourceScores = readScores(source.runDir).scores;
    assert.notEqual(bytes(preview.scores), bytes(sourceScores), 'blur scores differ from gaussian scores');
  });

  it('refuses a source run without a model, writing nothing', async () => {
    const empty = tempDir('aelab-whatif-empty-');
    await assert.rejects(scoreWhatIf({ experiment: experiment(TINY('{ type: blur }')), runsDir, backend: 'wasm', threads: 1, modelFrom: empty }), /has no model\/model.json/);
  });
});
