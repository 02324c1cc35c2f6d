// YAML syntax errors in plain words, at the line to change, with the schema problems of the
// parts that did parse still reported.
import { strict as assert } from 'node:assert';
import { formatProblem, validateExperiment } from '../../src/core/config';

function problems(text: string): string[] {
  const result = validateExperiment(text, 'f.aelab.yaml');
  assert.equal(result.ok, false);
  return result.problems.map(formatProblem);
}

describe('config: YAML syntax errors say what to do', () => {
  const cases: [string, string, string[]][] = [
    ['no space after the colon', 'name: a\ntraining:\n  epochs:2\n  batchSize: 4\n',
      ['f.aelab.yaml:3:3: YAML syntax: "epochs:2" is read as plain text, not as a key and its value: add a space after the colon (epochs: 2)']],
    ['no space after the colon, alone in the file', 'name:a\n',
      ['f.aelab.yaml:1:1: YAML syntax: "name:a" is read as plain text: add a space after the colon (name: a)']],
    ['an over-indented line is reported on itself, not the line above', 'name: a\ntraining:\n  epochs: 2\n    batchSize: 4\n',
      ['f.aelab.yaml:4:5: YAML syntax: this line is indented 2 spaces more than "epochs" above it, which already has a value: remove 2 spaces so it lines up with "epochs"']],
    ['an under-indented key', 'name: a\ntraining:\n  epochs: 2\n batchSize: 4\n',
      ['f.aelab.yaml:4:2: YAML syntax: this key starts at column 2, but the keys of the mapping above start at column 3: indent it to line up with them (or to column 1 if it belongs at the top level)']],
    ['a tab', 'name: a\ntraining:\n\tepochs: 2\n',
      ['f.aelab.yaml:3:1: YAML syntax: this line is indented with a tab: YAML indents with spaces only (replace the tab with spaces, 2 per level)']],
    ['no colon', 'name: a\ntraining:\n  epochs 2\n  batchSize: 4\n',
      ['f.aelab.yaml:3:3: YAML syntax: "epochs 2" has no colon: write a key, a colon and a space before the value (epochs: 2)']],
    ['an unclosed quote is reported where it opens', 'name: "a\ntraining:\n  epochs: 2\n',
      ['f.aelab.yaml:1:7: YAML syntax: the value quoted with " here is never closed: add the closing " at the end of the value (the rest of the file is read as part of it)']],
    ['an unclosed list is reported where it opens', 'name: a\ndata:\n  normalClasses: [1, 2\ntraining:\n  epochs: 2\n',
      ['f.aelab.yaml:3:18: YAML syntax: the list opened with "[" here is not closed: add "]" at its end (on this line)']],
    ['a key and value after a key on one line', 'name: a\ntraining: epochs: 2\n',
      ['f.aelab.yaml:2:1: YAML syntax: "epochs: 2" after "training:" is itself a key and a value: put it on its own line below "training:", indented by 2 spaces']],
  ];
  for (const [title, text, expected] of cases) {
    it(title, () => assert.deepEqual(problems(text), expected));
  }

  it('no space after the colon on the only key of a mapping (no syntax error: the value is text)', () => {
    assert.deepEqual(problems('name: a\ntraining:\n  epochs:2\n'), [
      'f.aelab.yaml:3:3: training must be a mapping, got "epochs:2": "epochs:2" is read as plain text: add a space after the colon (epochs: 2)',
    ]);
  });

  it('schema problems in the parts that parsed are still shown; the damaged part gives none', () => {
    const text = 'name: a\ntraining:\n  epochs:2\n  batchSize: 4\n  optimizer: adamm\nmodel:\n  architecture: cnnn\n';
    assert.deepEqual(problems(text), [
      'f.aelab.yaml:3:3: YAML syntax: "epochs:2" is read as plain text, not as a key and its value: add a space after the colon (epochs: 2)',
      'f.aelab.yaml:5:14: training.optimizer must be one of sgd, adam, got "adamm" (did you mean "adam"?)',
      'f.aelab.yaml:7:17: model.architecture must be one of fcn-simple, fcn-deep, cnn, got "cnnn" (did you mean "cnn"?)',
    ]);
  });
});
