import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import {
  applyOverrides, EXPERIMENT_FILE_GLOB, formatProblem, OVERRIDE_SOURCE, setManualThreshold, validateExperiment,
  type Problem, type ValidationResult,
} from '../../src/core/config';
import { describeKeys, experimentSchema, schemaAt } from '../../src/core/schema';

const root = path.resolve(__dirname, '..', '..');
const examplesDir = path.join(root, 'examples');
const exampleFiles = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.aelab.yaml')).sort();

function only(result: ValidationResult, severity: Problem['severity'] = 'error'): Problem {
  const matching = result.problems.filter((p) => p.severity === severity);
  assert.equal(matching.length, 1, `expected one ${severity}, got:\n${result.problems.map(formatProblem).join('\n')}`);
  return matching[0];
}

function at(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}-${p.endLine}:${p.endColumn}`;
}

function bad(text: string): Problem {
  const result = validateExperiment(text, 'bad.aelab.yaml');
  assert.equal(result.ok, false);
  assert.equal(result.experiment, undefined);
  return only(result);
}

/** Every defaulted property the raw file leaves out must hold the schema's default. */
function assertDefaultsFilled(raw: unknown, resolved: unknown, segs: string[] = []): void {
  for (const key of describeKeys(segs)) {
    const rawObj = (raw ?? {}) as Record<string, unknown>;
    const resObj = resolved as Record<string, unknown>;
    const written = Object.prototype.hasOwnProperty.call(rawObj, key.name);
    if (!written && key.default !== undefined && typeof key.default !== 'object') {
      assert.deepEqual(resObj[key.name], key.default, `${[...segs, key.name].join('.')} should default to ${String(key.default)}`);
    }
    if (key.schema.properties && resObj[key.name] !== undefined) {
      assertDefaultsFilled(rawObj[key.name], resObj[key.name], [...segs, key.name]);
    }
  }
}

describe('experiment files: good', () => {
  it('exports the file glob', () => assert.equal(EXPERIMENT_FILE_GLOB, '**/*.aelab.yaml'));

  it('has the seven study examples and the image-folder one', () => {
    assert.deepEqual(exampleFiles, [
      'cnn.aelab.yaml', 'contaminated-training.aelab.yaml', 'fcn-deep.aelab.yaml', 'fcn-simple.aelab.yaml',
      'mvtec-digits.aelab.yaml', 'one-class-digit.aelab.yaml', 'overlap-low-noise.aelab.yaml', 'ssim-loss.aelab.yaml',
    ]);
  });

  for (const file of exampleFiles) {
    it(`${file} validates without problems, named after its file, defaults from the schema`, () => {
      const text = fs.readFileSync(path.join(examplesDir, file), 'utf8');
      const result = validateExperiment(text, file);
      assert.deepEqual(result.problems.map(formatProblem), []);
      assert.equal(result.ok, true);
      assert.ok(result.experiment);
      assert.equal(result.experiment.name, file.replace(/\.aelab\.yaml$/, ''));
      assert.match(text, /^# .*\n# Question: /, 'starts with a comment header saying which question it answers');
      assertDefaultsFilled(parse(text), result.experiment);
    });
  }

  it('cnn.aelab.yaml is the quick-start default', () => {
    const x = validateExperiment(fs.readFileSync(path.join(examplesDir, 'cnn.aelab.yaml'), 'utf8'), 'cnn').experiment;
    assert.ok(x);
    assert.equal(x.model.architecture, 'cnn');
    assert.equal(x.training.loss, 'mse');
    assert.equal(x.training.optimizer, 'adam');
    assert.equal(x.training.learningRate, 1e-3);
    assert.equal(x.training.batchSize, 64);
    assert.equal(x.training.epochs, 3);
    assert.deepEqual(x.corruption, { fraction: 0.1, type: 'gaussian', level: 0.2 });
    assert.equal(x.data.trainLimit, undefined, 'the default trains on the full training set');
    assert.notEqual(x.evaluation.threshold.strategy, 'max-f1', 'label-free threshold');
    assert.notEqual(x.evaluation.threshold.strategy, 'manual');
  });

  it('fills every default from the schema for a minimal file', () => {
    const result = validateExperiment('name: minimal\n', 'm.aelab.yaml');
    assert.equal(result.ok, true);
    assert.deepEqual(result.problems, []);
    const x = result.experiment;
    assert.ok(x);
    assertDefaultsFilled({ name: 'minimal' }, x);
    // spot checks against the schema itself, not against numbers repeated here
    assert.equal(x.seed, schemaAt('seed')?.default);
    assert.equal(x.training.epochs, schemaAt('training.epochs')?.default);
    assert.equal(x.evaluation.threshold.percentile, schemaAt('evaluation.threshold.percentile')?.default);
    assert.equal(x.training.earlyStopping, undefined, 'objects without a default stay absent');
  });

  it('does not mutate what it was given between calls (structuredClone before defaults)', () => {
    const a = validateExperiment('name: a\ntraining: {epochs: 2}\n', 'a');
    const b = validateExperiment('name: b\n', 'b');
    assert.equal(a.experiment?.training.epochs, 2);
    assert.equal(b.experiment?.training.epochs, schemaAt('training.epochs')?.default);
    assert.notEqual(a.experiment?.training, b.experiment?.training);
  });
});

describe('experiment files: located problems', () => {
  it('unknown key: at the key, with the expected keys and a did-you-mean', () => {
    const p = bad('name: a\ntraining:\n  epoch: 3\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:3-3:8');
    assert.equal(p.path, 'training.epoch');
    assert.equal(p.message, 'unknown key "epoch" in training (expected one of: loss, ssimWeight, optimizer, learningRate, momentum, batchSize, epochs, earlyStopping; did you mean "epochs"?)');
  });

  it('unknown key at the wrong level says where it belongs', () => {
    const p = bad('name: a\nepochs: 3\n');
    assert.equal(at(p), 'bad.aelab.yaml:2:1-2:7');
    assert.match(p.message, /^unknown key "epochs" at the top level \(expected one of: name, description, .*; "epochs" belongs in training\)$/);
  });

  it('wrong type: at the value', () => {
    const p = bad('name: a\ntraining:\n  epochs: three\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:11-3:16');
    assert.equal(p.message, 'training.epochs must be an integer, got "three"');
    assert.equal(bad('name: a\ntraining:\n').message, 'training must be a mapping, got an empty value');
  });

  it('out of range: at the value, with the bound', () => {
    const p = bad('name: a\ntraining:\n  epochs: 0\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:11-3:12');
    assert.equal(p.message, 'training.epochs must be an integer >= 1, got 0');
    assert.equal(p.path, 'training.epochs');
    assert.equal(bad('name: a\ndata:\n  validationSplit: -0.1\n').message, 'data.validationSplit must be a number >= 0, got -0.1');
  });

  it('bad enum: at the value, with the allowed values', () => {
    const p = bad('name: a\nmodel:\n  architecture: cnnn\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:17-3:21');
    assert.ok(p.message.startsWith('model.architecture must be one of fcn-simple, fcn-deep, cnn, got "cnnn"'), p.message);
    assert.match(p.message, /did you mean "cnn"/);
  });

  it('missing required (manual threshold without value): at the parent key, without if/then noise', () => {
    const p = bad('name: a\nevaluation:\n  threshold:\n    strategy: manual\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:3-3:12');
    assert.equal(p.message, 'evaluation.threshold.value is required when evaluation.threshold.strategy is manual');
    assert.equal(p.path, 'evaluation.threshold');
  });

  it('missing required (idx without files): at the parent key', () => {
    const p = bad('name: a\ndata:\n  dataset: idx\n');
    assert.equal(at(p), 'bad.aelab.yaml:2:1-2:5');
    assert.equal(p.message, 'data.files is required when data.dataset is idx');
  });

  it('missing name: at the document start', () => {
    const p = bad('seed: 1\n');
    assert.equal(at(p), 'bad.aelab.yaml:1:1-1:5');
    assert.equal(p.message, 'name is required');
  });

  it('YAML syntax error: at its position', () => {
    const p = bad('name: a\ntraining: [1, 2\n');
    assert.equal(`${p.line}:${p.column}`, '2:11');
    assert.equal(p.message, 'YAML syntax: the list opened with "[" here is not closed: add "]" at its end (on this line)');
    const dup = bad('name: a\nname: b\n');
    assert.equal(at(dup), 'bad.aelab.yaml:2:1-2:5');
    assert.equal(dup.message, 'duplicate key "name": a key may appear only once in a mapping');
  });

  it('empty file and comments-only file', () => {
    for (const text of ['', '# nothing yet\n']) {
      const p = bad(text);
      assert.equal(`${p.line}:${p.column}`, '1:1');
      assert.match(p.message, /^the file is empty/);
    }
  });

  it('NaN and infinities in number fields', () => {
    const p = bad('name: a\ntraining:\n  learningRate: .nan\n');
    assert.equal(at(p), 'bad.aelab.yaml:3:17-3:21');
    assert.equal(p.message, 'training.learningRate must be a finite number, got .nan');
    assert.equal(bad('name: a\ntraining:\n  epochs: .inf\n').message, 'training.epochs must be an integer, got .inf');
    const manual = bad('name: a\nevaluation:\n  threshold:\n    strategy: manual\n    value: -.inf\n');
    assert.equal(at(manual), 'bad.aelab.yaml:5:12-5:17');
    assert.equal(manual.message, 'evaluation.threshold.value must be a finite number, got -.inf');
  });

  it('a document that is not a mapping', () => {
    const list = bad('- name: a\n- name: b\n');
    assert.equal(`${list.line}:${list.column}`, '1:1');
    assert.match(list.message, /must be a mapping of keys .* but this document is a list$/);
    assert.match(bad('just text\n').message, /but this document is a single value \("just text"\)$/);
  });

  it('multiple documents: at the second one', () => {
    const p = bad('name: a\n---\nname: b\n');
    assert.equal(at(p), 'bad.aelab.yaml:2:1-2:4');
    assert.match(p.message, /exactly one YAML document/);
  });

  it('name pattern in plain words, from the schema', () => {
    const p = bad('name: my exp\n');
    assert.equal(at(p), 'bad.aelab.yaml:1:7-1:13');
    assert.equal(p.message, `name ${experimentSchema.properties?.name.patternErrorMessage}, got "my exp"`);
  });

  it('list items: at the item', () => {
    const result = validateExperiment('name: a\ndata:\n  normalClasses: [1, 1, 12]\n', 'f');
    assert.deepEqual(result.problems.map((p) => `${p.line}:${p.column} ${p.message}`), [
      '3:22 data.normalClasses must not repeat values: 1 appears more than once',
      '3:25 data.normalClasses[2] must be an integer <= 9, got 12',
    ]);
  });

  it('reports every error at once', () => {
    const result = validateExperiment('name: a\ntraining:\n  epochs: 0\n  batchSize: x\nmodel:\n  architecture: rnn\n', 'f');
    assert.deepEqual(result.problems.map((p) => p.path), ['training.epochs', 'training.batchSize', 'model.architecture']);
  });

  it('semantic checks: all ten digits normal is a warning; no anomalies at all is an error', () => {
    const all = validateExperiment('name: a\ndata:\n  normalClasses: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n', 'f');
    assert.equal(all.ok, true);
    const w = only(all, 'warning');
    assert.equal(`${w.line}:${w.column}`, '3:18');
    assert.match(w.message, /all 10 digits/);
    assert.match(formatProblem(w), /^f:3:18: warning: data\.normalClasses/);
    const none = bad('name: a\ncorruption:\n  fraction: 0\n');
    assert.equal(at(none), 'bad.aelab.yaml:3:13-3:14');
    assert.match(none.message, /no anomalies/);
  });

  it('corruption level defaults per type; training contamination takes its own type\'s default', () => {
    const level = (yaml: string) => {
      const r = validateExperiment(`name: a\n${yaml}`, 'f');
      assert.ok(r.ok && r.experiment, JSON.stringify(r.problems));
      return r.experiment;
    };
    const expected = { gaussian: 0.2, 'salt-and-pepper': 0.1, speckle: 1, uniform: 0.3, occlusion: 0.4, blur: 1 };
    for (const [type, value] of Object.entries(expected)) {
      assert.equal(level(`corruption: { type: ${type} }\n`).corruption.level, value, type);
    }
    assert.equal(level('corruption: { type: blur, level: 2.5 }\n').corruption.level, 2.5, 'a written level wins');
    const c = level('corruption: { type: blur, level: 2 }\ndata: { trainContamination: { fraction: 0.1, type: speckle } }\n').data.trainContamination;
    assert.deepEqual({ level: c?.level, validation: c?.validation }, { level: 1, validation: 'contaminated' });
    assert.equal(level('corruption: { type: blur, level: 2 }\ndata: { trainContamination: { fraction: 0.1 } }\n').data.trainContamination?.level, 2, 'same type: the test level');
    // The schema's description states each default, and each mean absolute pixel change.
    const description = String(schemaAt(['corruption', 'level'])?.description);
    for (const [type, value] of Object.entries(expected)) assert.match(description, new RegExp(`${type}: [^.]*default ${value}\\b`));
  });

  it('bottleneck activation defaults to relu; validationSplit 0 needs a test-score threshold', () => {
    const r = validateExperiment('name: a\nmodel: { bottleneck: 32 }\n', 'f');
    assert.equal(r.experiment?.model.bottleneckActivation, 'relu');
    const p = bad('name: a\ndata:\n  validationSplit: 0\nevaluation:\n  threshold:\n    strategy: percentile\n');
    assert.equal(at(p), 'bad.aelab.yaml:6:15-6:25');
    assert.match(p.message, /^threshold strategy percentile needs validation images, but data\.validationSplit is 0: use strategy mixture/);
    const q = bad('name: a\ndata: { validationSplit: 0 }\nevaluation:\n  threshold: { strategy: fpr }\n');
    assert.equal(q.line, 4);
    assert.match(q.message, /strategy fpr needs validation images/);
    const ok = validateExperiment('name: a\ndata: { validationSplit: 0 }\n', 'f');
    assert.equal(ok.experiment?.evaluation.threshold.strategy, 'mixture', 'the default strategy needs no validation images');
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    assert.deepEqual(ok.problems, []);
  });

  it('settings the chosen options ignore are warnings', () => {
    const result = validateExperiment('name: a\ntraining:\n  optimizer: adam\n  momentum: 0.9\n', 'f');
    assert.equal(result.ok, true);
    const w = only(result, 'warning');
    assert.equal(`${w.line}:${w.column}`, '4:3');
    assert.equal(w.message, 'training.momentum is only used by optimizer sgd (optimizer is adam)');
  });

  it('formatProblem: file:line:col: message', () => {
    const p: Problem = { file: 'x.aelab.yaml', line: 3, column: 11, endLine: 3, endColumn: 12, message: 'm', path: 'training.epochs', severity: 'error' };
    assert.equal(formatProblem(p), 'x.aelab.yaml:3:11: m');
    assert.equal(formatProblem({ ...p, severity: 'warning' }), 'x.aelab.yaml:3:11: warning: m');
  });
});

describe('experiment files: overrides', () => {
  const base = 'name: base\ntraining:\n  epochs: 5\n';

  it('sets values, creating intermediate mappings, parsing YAML flow values', () => {
    const result = applyOverrides(base, 'b.aelab.yaml', ['training.epochs=1', 'data.normalClasses=[0,1]', 'corruption.type=blur', 'description=two words']);
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.experiment?.training.epochs, 1);
    assert.deepEqual(result.experiment?.data.normalClasses, [0, 1]);
    assert.equal(result.experiment?.corruption.type, 'blur');
    assert.equal(result.experiment?.description, 'two words');
    assert.equal(applyOverrides('', 'empty.aelab.yaml', ['name=from-cli']).ok, true);
  });

  it('a later override wins', () => {
    assert.equal(applyOverrides(base, 'b', ['training.epochs=2', 'training.epochs=3']).experiment?.training.epochs, 3);
  });

  it('bad path: reported on --set at the key, with did-you-mean', () => {
    const p = only(applyOverrides(base, 'b', ['training.epoch=1']));
    assert.equal(p.file, OVERRIDE_SOURCE);
    assert.equal(at(p), '--set:1:10-1:15');
    assert.match(p.message, /^unknown key "epoch" in training .*did you mean "epochs"\?\)$/);
    assert.equal(formatProblem(p).slice(0, 11), '--set:1:10:');
  });

  it('bad value: reported on --set at the value; line is the override index', () => {
    const p = only(applyOverrides(base, 'b', ['seed=1', 'training.epochs=0']));
    assert.equal(at(p), '--set:2:17-2:18');
    assert.equal(p.message, 'training.epochs must be an integer >= 1, got 0');
    const cond = only(applyOverrides(base, 'b', ['data.dataset=idx']));
    assert.equal(at(cond), '--set:1:14-1:17');
    assert.equal(cond.message, 'data.files is required when data.dataset is idx');
    const yamlErr = only(applyOverrides(base, 'b', ['data.normalClasses=[0,1']));
    assert.equal(yamlErr.file, OVERRIDE_SOURCE);
    assert.match(yamlErr.message, /^invalid value in override "data\.normalClasses=\[0,1": /);
  });

  it('problems of the file stay located in the file', () => {
    const p = only(applyOverrides('name: a\ntraining:\n  epochs: 0\n', 'f.aelab.yaml', ['training.batchSize=32']));
    assert.equal(at(p), 'f.aelab.yaml:3:11-3:12');
  });

  it('malformed overrides are clear problems', () => {
    const result = applyOverrides(base, 'b', ['=1', 'foo', 'training..epochs=1', 'training.epochs=']);
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.map((p) => `${p.file}:${p.line}:${p.column}`), ['--set:1:1', '--set:2:1', '--set:3:10', '--set:4:16']);
    assert.match(result.problems[0].message, /^malformed override "=1": no path before "="/);
    assert.match(result.problems[1].message, /^malformed override "foo": no "=" \(expected path=value, e\.g\. training\.epochs=1/);
    assert.match(result.problems[2].message, /empty key in the path/);
    assert.match(result.problems[3].message, /no value after "="/);
  });

  it('cannot set below a scalar', () => {
    const result = applyOverrides('name: a\nseed: 1\n', 'f', ['seed.x=1']);
    assert.equal(result.ok, false);
    assert.match(only(result).message, /^cannot set seed\.x: seed is not a mapping/);
  });
});

describe('experiment files: setManualThreshold', () => {
  const text = [
    '# my experiment: keep this comment',
    'name: keep   # aligned comment',
    'seed: 0x2A',
    'data:',
    '  normalClasses: [0,1]',
    'training:',
    '  learningRate: 1.0e-3',
    'evaluation:',
    '  threshold:',
    '    strategy: percentile   # label-free',
    '    percentile: 99.9',
    '  samples: 8',
    '# the end',
    '',
  ].join('\n');

  it('switches to manual and sets the value, touching nothing else', () => {
    const out = setManualThreshold(text, 0.0123);
    assert.equal(out, text.replace('strategy: percentile', 'strategy: manual').replace('    percentile: 99.9\n', '    percentile: 99.9\n    value: 0.0123\n'));
    const result = validateExperiment(out, 'f');
    assert.equal(result.ok, true);
    assert.equal(result.experiment?.evaluation.threshold.strategy, 'manual');
    assert.equal(result.experiment?.evaluation.threshold.value, 0.0123);
    // again: replaces the value in place
    const again = setManualThreshold(out, 0.5);
    assert.equal(again, out.replace('value: 0.0123', 'value: 0.5'));
  });

  it('adds the missing sections, in the file\'s indentation and line endings', () => {
    assert.equal(setManualThreshold('name: t\ntraining:\n    epochs: 2', 0.01), 'name: t\ntraining:\n    epochs: 2\nevaluation:\n    threshold:\n        strategy: manual\n        value: 0.01\n');
    assert.equal(setManualThreshold('name: t\r\nevaluation:\r\n  samples: 4\r\n', 1e-7), 'name: t\r\nevaluation:\r\n  samples: 4\r\n  threshold:\r\n    strategy: manual\r\n    value: 1e-7\r\n');
  });

  it('handles flow mappings through the Document API', () => {
    const out = setManualThreshold('name: t # c\nevaluation: {threshold: {strategy: mean-std, k: 2}}\n', 0.25);
    assert.match(out, /# c/);
    const x = validateExperiment(out, 'f').experiment;
    assert.equal(x?.evaluation.threshold.strategy, 'manual');
    assert.equal(x?.evaluation.threshold.value, 0.25);
    assert.equal(x?.evaluation.threshold.k, 2);
  });

  it('throws on a non-finite value or an invalid experiment', () => {
    assert.throws(() => setManualThreshold(text, Number.NaN), /finite/);
    assert.throws(() => setManualThreshold(text, Infinity), /finite/);
    assert.throws(() => setManualThreshold('name: a\ntraining:\n  epochs: 0\n', 0.1), /invalid[\s\S]*training\.epochs must be an integer >= 1/);
  });
});

describe('experiment schema', () => {
  it('describeKeys lists keys with descriptions, types, enums and defaults', () => {
    const top = describeKeys('');
    assert.deepEqual(top.map((k) => k.name), ['name', 'description', 'seed', 'data', 'corruption', 'model', 'training', 'evaluation', 'sweep']);
    assert.equal(top.find((k) => k.name === 'name')?.required, true);
    const corruption = describeKeys('corruption');
    const type = corruption.find((k) => k.name === 'type');
    assert.ok(type?.enum?.includes('gaussian'), 'follows $ref');
    assert.equal(type?.default, 'gaussian');
    const threshold = describeKeys(['evaluation', 'threshold']);
    assert.match(threshold.find((k) => k.name === 'percentile')?.description ?? '', /percentile/);
    assert.deepEqual(describeKeys('training.epochs'), []);
    assert.deepEqual(describeKeys('nope'), []);
    assert.equal(schemaAt('data.normalClasses.0')?.type, 'integer');
  });

  it('generated types match the schema (node scripts/generate-types.mjs --check)', () => {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'generate-types.mjs'), '--check'], { cwd: root, stdio: 'pipe' });
  });
});
