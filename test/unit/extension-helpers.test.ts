import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import { etaSeconds, formatDuration, formatF1, formatLoss, trainingFraction } from '../../src/extension/model/format';
import { corruptionTypeFor, hoverMarkdown, keyCompletions, parentPathAt, valueCompletions, valueHoverMarkdown } from '../../src/extension/model/schemaHelp';
import { instantiateTemplate, isValidExperimentName, listTemplates, uniqueExperimentName } from '../../src/extension/model/templates';
import { keyAtOffset } from '../../src/extension/model/yamlPath';


describe('extension: formatting', () => {
  it('formats losses, durations and progress', () => {
    assert.equal(formatLoss(0.012345), '0.0123');
    assert.equal(formatLoss(0.0001234), '1.234e-4');
    assert.equal(formatLoss(undefined), '–');
    assert.equal(formatDuration(59.4), '59s');
    assert.equal(formatDuration(125), '2m 05s');
    assert.equal(formatDuration(7300), '2h 01m');
    assert.equal(trainingFraction(1, 2, 5, 10), 0.25);
    assert.equal(trainingFraction(0, 2, 0, 10), 0);
    assert.equal(etaSeconds(10, 0.25), 30);
    assert.equal(etaSeconds(10, 0), undefined);
  });
});

describe('extension: F1 with its strategy', () => {
  it('names the strategy, and says when it used the test labels', () => {
    const point = { threshold: 0.1, tp: 1, tn: 1, fp: 0, fn: 0, precision: 1, recall: 1, f1: 0.91234, accuracy: 1, fpr: 0 };
    const thresholds = [
      { strategy: 'percentile' as const, value: 0.2, usesLabels: false, description: '' },
      { strategy: 'max-f1' as const, value: 0.1, usesLabels: true, description: '' },
    ];
    assert.equal(formatF1({ operatingPoint: point, chosen: 'percentile', thresholds }), 'F1 0.912 (percentile)');
    assert.equal(formatF1({ operatingPoint: point, chosen: 'max-f1', thresholds }, 4), 'F1 0.9123 (max-f1, uses test labels)');
    assert.equal(formatF1(undefined), 'F1 –');
  });
});

describe('extension: templates', () => {
  it('replaces only the name, keeping comments and layout', () => {
    const text = '# my template\nname: cnn   # the name\ntraining:\n  epochs: 3\n';
    const out = instantiateTemplate(text, 'renamed');
    assert.equal(out, '# my template\nname: renamed   # the name\ntraining:\n  epochs: 3\n');
    assert.equal(validateExperiment(out, 'x').experiment?.name, 'renamed');
  });

  it('lists only templates that validate, and finds a free name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-templates-'));
    try {
      fs.writeFileSync(path.join(dir, 'good.aelab.yaml'), 'name: good\ndescription: fine\n');
      fs.writeFileSync(path.join(dir, 'bad.aelab.yaml'), 'name: bad\ntraining:\n  epochs: 0\n');
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
      const t = listTemplates(dir);
      assert.deepEqual(t.map((x) => [x.id, x.name, x.description]), [['good', 'good', 'fine']]);
      assert.equal(uniqueExperimentName('good', new Set(), dir), 'good-2');
      assert.equal(uniqueExperimentName('fresh', new Set(['fresh', 'fresh-2']), dir), 'fresh-3');
      assert.deepEqual(listTemplates(path.join(dir, 'missing')), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(isValidExperimentName('ok-1.x_y'), true);
    assert.equal(isValidExperimentName('-no'), false);
    assert.equal(isValidExperimentName('has space'), false);
  });

  it('every shipped example is a usable template', () => {
    const examples = path.join(__dirname, '..', '..', 'examples');
    for (const t of listTemplates(examples)) {
      const out = instantiateTemplate(t.text, 'from-template');
      const r = validateExperiment(out, t.file);
      assert.equal(r.ok, true, `${t.file}: ${JSON.stringify(r.problems)}`);
      assert.equal(r.experiment?.name, 'from-template');
    }
  });
});

describe('extension: hover and completion', () => {
  const text = 'name: x\ntraining:\n  epochs: 3\n  \ncorruption:\n  type: gau\n';

  it('finds the key under the cursor', () => {
    assert.deepEqual(keyAtOffset(text, text.indexOf('epochs') + 2)?.path, ['training', 'epochs']);
    assert.deepEqual(keyAtOffset(text, text.indexOf('3')), { path: ['training', 'epochs'], start: text.indexOf('3'), end: text.indexOf('3') + 1, value: 3 });
    assert.equal(keyAtOffset(text, text.indexOf('\n  \n') + 2), undefined);
    assert.match(hoverMarkdown(['training', 'epochs']) ?? '', /^\*\*training\.epochs\*\*: integer \(≥ 1, ≤ 10000\)/);
    assert.equal(hoverMarkdown(['nope']), undefined);
  });

  it('completes the keys of the enclosing mapping that are not there yet', () => {
    const lines = text.split('\n');
    assert.deepEqual(parentPathAt(lines, 3, 2), ['training']);
    const keys = keyCompletions(text, 3, 2).map((k) => k.key.name);
    assert.ok(keys.includes('learningRate') && keys.includes('earlyStopping'));
    assert.ok(!keys.includes('epochs'));
    const top = keyCompletions('name: x\n\n', 1, 0).map((k) => k.key.name);
    assert.ok(top.includes('training') && !top.includes('name'));
    assert.equal(keyCompletions('name: x\n\n', 1, 0).find((k) => k.key.name === 'training')?.insertText, 'training:\n  ');
  });

  it('completes enum values, each with what it does (from the schema)', () => {
    const types = valueCompletions(text, 5, 11);
    assert.deepEqual(types.map((v) => v.value), ['gaussian', 'salt-and-pepper', 'speckle', 'uniform', 'occlusion', 'blur']);
    assert.match(types.find((v) => v.value === 'occlusion')?.documentation ?? '', /`level`: the square's side as a fraction of the image side .* at most 1/);
    assert.deepEqual(valueCompletions('training:\n  earlyStopping:\n    restoreBest: ', 2, 17), [{ value: 'true' }, { value: 'false' }]);
    assert.deepEqual(valueCompletions(text, 2, 11), []);
    const strategies = valueCompletions('evaluation:\n  threshold:\n    strategy: ', 2, 14);
    assert.match(strategies.find((v) => v.value === 'mean-std')?.documentation ?? '', /^Mean \+ `k` standard deviations/);
    assert.match(strategies.find((v) => v.value === 'fpr')?.documentation ?? '', /flags at most `targetFpr`/);
    assert.match(strategies.find((v) => v.value === 'max-f1')?.documentation ?? '', /uses the labels/);
  });

  it('hovers explain every enum value, a value under the cursor, and level in the units of the file\'s corruption type', () => {
    const strategy = hoverMarkdown(['evaluation', 'threshold', 'strategy']) ?? '';
    for (const v of ['manual', 'percentile', 'mean-std', 'max-f1', 'fpr']) assert.match(strategy, new RegExp(`^- \`${v}\`: \\S`, 'm'));
    assert.match(valueHoverMarkdown(['evaluation', 'threshold', 'strategy'], 'percentile') ?? '', /^\*\*evaluation\.threshold\.strategy: percentile\*\*\n\nThat `percentile` \(default 99\.9\)/);
    assert.equal(valueHoverMarkdown(['training', 'epochs'], 3), undefined);
    const file = { corruption: { type: 'occlusion', level: 0.3 }, data: { trainContamination: { fraction: 0.1, type: 'blur' } } };
    assert.equal(corruptionTypeFor(['corruption', 'level'], file), 'occlusion');
    assert.equal(corruptionTypeFor(['data', 'trainContamination', 'level'], file), 'blur');
    assert.equal(corruptionTypeFor(['corruption', 'level'], {}), 'gaussian');
    assert.equal(corruptionTypeFor(['training', 'epochs'], file), undefined);
    assert.match(hoverMarkdown(['corruption', 'level'], { corruptionType: 'occlusion' }) ?? '', /Here the type is `occlusion`: .*`level`: the square's side as a fraction of the image side/);
    assert.match(hoverMarkdown(['corruption', 'level'], { corruptionType: 'blur' }) ?? '', /Here the type is `blur`: .*the blur sigma, in pixels/);
  });
});
