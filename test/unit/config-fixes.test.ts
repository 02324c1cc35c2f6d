// "Did you mean" problems carry the replacement a quick fix applies; applying it fixes the file.
import { strict as assert } from 'node:assert';
import { formatProblem, validateExperiment, type Problem } from '../../src/core/config';

/** Replaces the problem's range (1-based line/column, end exclusive) with its fix. */
function applyFix(text: string, p: Problem): string {
  assert.ok(p.fix, `no fix for ${formatProblem(p)}`);
  const lines = text.split('\n');
  const offset = (line: number, col: number) => lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + col - 1;
  return text.slice(0, offset(p.line, p.column)) + p.fix.replacement + text.slice(offset(p.endLine, p.endColumn));
}

describe('config: quick-fix replacements for "did you mean" problems', () => {
  it('an unknown key with a close name: rename the key', () => {
    const text = 'name: a\ntraining:\n  optimiser: adam\n  epochs: 1\n';
    const [p] = validateExperiment(text, 'f.aelab.yaml').problems;
    assert.deepEqual(p.fix, { title: 'Change "optimiser" to "optimizer"', replacement: 'optimizer' });
    assert.equal(`${p.line}:${p.column}-${p.endLine}:${p.endColumn}`, '3:3-3:12');
    const fixed = applyFix(text, p);
    assert.equal(fixed, 'name: a\ntraining:\n  optimizer: adam\n  epochs: 1\n');
    assert.deepEqual(validateExperiment(fixed, 'f.aelab.yaml').problems, []);
  });

  it('an enum value with a typo, quoted or not: replace the value', () => {
    for (const [value, written] of [['fp', 'fp'], ['"mean_std"', '"mean_std"']]) {
      const text = `name: a\nevaluation:\n  threshold:\n    strategy: ${value}\n`;
      const [p] = validateExperiment(text, 'f.aelab.yaml').problems;
      const expected = value === 'fp' ? 'fpr' : 'mean-std';
      assert.deepEqual(p.fix, { title: `Change "${written.replace(/"/g, '')}" to "${expected}"`, replacement: expected });
      const fixed = applyFix(text, p);
      assert.equal(fixed, `name: a\nevaluation:\n  threshold:\n    strategy: ${expected}\n`);
      assert.equal(validateExperiment(fixed, 'f.aelab.yaml').ok, true);
    }
  });

  it('no fix without a clear candidate, nor for a key that belongs elsewhere', () => {
    const far = validateExperiment('name: a\ntraining:\n  zzzzzz: 1\n', 'f.aelab.yaml').problems;
    assert.equal(far[0].fix, undefined);
    const elsewhere = validateExperiment('name: a\nepochs: 3\n', 'f.aelab.yaml').problems;
    assert.match(elsewhere[0].message, /"epochs" belongs in training/);
    assert.equal(elsewhere[0].fix, undefined);
    const enumFar = validateExperiment('name: a\nmodel:\n  architecture: transformer\n', 'f.aelab.yaml').problems;
    assert.equal(enumFar[0].fix, undefined);
  });
});
