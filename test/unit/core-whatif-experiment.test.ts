// The experiment a what-if scores: the run's own with only the test corruption changed, or a
// located refusal for a level the schema does not allow.
import { strict as assert } from 'node:assert';
import { validateExperiment } from '../../src/core/config';
import { whatIfExperiment } from '../../src/core/whatIfExperiment';

const run = validateExperiment('name: src\nseed: 5\ncorruption: { fraction: 0.3, type: gaussian, level: 0.2 }\nmodel: { architecture: cnn }\n', 'src.aelab.yaml').experiment;

describe('core: what-if experiment', () => {
  it('changes the test corruption type and level and nothing else', () => {
    assert.ok(run);
    const made = whatIfExperiment(run, { type: 'blur', level: 1.5 });
    assert.ok('experiment' in made, JSON.stringify(made));
    assert.deepEqual(made.experiment.corruption, { fraction: 0.3, type: 'blur', level: 1.5 });
    assert.deepEqual({ ...made.experiment, corruption: run.corruption }, run);
  });

  it('refuses a negative level, naming the key', () => {
    assert.ok(run);
    const made = whatIfExperiment(run, { type: 'gaussian', level: -1 });
    assert.ok('error' in made);
    assert.equal(made.error, 'corruption.level must be a number >= 0, got -1');
  });
});
