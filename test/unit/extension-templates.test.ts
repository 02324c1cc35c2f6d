// New Experiment for a newcomer: the small starter is offered first, and the new file's comments
// are written for the person who created it (not the study's steps, CLI hints or timings).
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import { listTemplates, newExperimentText } from '../../src/extension/model/templates';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

describe('extension: templates for a newcomer', () => {
  const templates = listTemplates(EXAMPLES);

  it('offers the small starter first, sized to train in seconds', () => {
    assert.equal(templates[0]?.id, 'quick-start');
    const r = validateExperiment(templates[0].text, templates[0].file);
    assert.equal(r.ok, true);
    const e = r.experiment;
    assert.ok(e && e.data.trainLimit !== undefined && e.data.trainLimit <= 5000, 'at most 5,000 training images');
    assert.ok(e && e.training.epochs <= 3 && e.model.architecture === 'fcn-simple');
    assert.ok(templates.some((t) => t.id === 'cnn'), 'the study examples follow');
  });

  it('replaces the study header with one for the new file, drops timings, keeps the comments that explain keys', () => {
    const fcn = templates.find((t) => t.id === 'fcn-simple');
    const cnn = templates.find((t) => t.id === 'cnn');
    assert.ok(fcn && cnn);
    assert.match(fcn.text, /Step 1 of the study/);
    assert.match(fcn.text, /s per epoch/);
    const out = newExperimentText(fcn, 'my-first');
    assert.doesNotMatch(out, /study|--set|per epoch|Measured/i);
    assert.match(out, /^# my-first: an autoencoder anomaly-detection experiment, started from the "fcn-simple" template\./);
    assert.match(out, /Train it with the ▶ button/);
    assert.match(out, /\n {2}epochs: 20\n/, 'the value stays, its timing comment goes');
    assert.match(newExperimentText(cnn, 'x'), /level: 0\.2 +# noise standard deviation/);
    for (const t of templates) {
      const r = validateExperiment(newExperimentText(t, 'from-template'), t.file);
      assert.equal(r.ok, true, `${t.file}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.experiment?.name, 'from-template');
    }
  });
});
