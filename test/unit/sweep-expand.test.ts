// Grid expansion of the `sweep:` section: order, seeds, short forms, training keys, and every
// problem located at the value in the sweep section that causes it, before anything runs.
import { strict as assert } from 'node:assert';
import { expandSweep, MAX_POINTS_WITHOUT_YES } from '../../src/core/sweep/expand';
import { needsRun, pointState } from '../../src/core/sweep/sweepFormat';
import { stats, sweepTable, tableCsv } from '../../src/core/sweep/table';
import type { RunSummary } from '../../src/core/runFormat';

const BASE = `name: study
seed: 7
corruption: { level: 0.2 }
`;

function problemsOf(text: string, set: string[] = [], yes = false): string[] {
  const r = expandSweep(text, 'f.aelab.yaml', set, { yes });
  assert.equal(r.ok, false, 'expected problems');
  return r.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
}

describe('sweep grid expansion', () => {
  it('a file without sweep: is one experiment, as before', () => {
    const r = expandSweep(BASE, 'f.aelab.yaml');
    assert.equal(r.ok, true);
    assert.equal(r.plan, undefined);
    assert.equal(r.base?.corruption.level, 0.2);
  });

  it('cartesian product in declared key order, last key fastest, seeds fastest of all', () => {
    const r = expandSweep(`${BASE}sweep:
  method: grid
  parameters:
    model.architecture: [fcn-simple, cnn]
    corruption.level: { values: [0.1, 0.4, 0.8] }
  seeds: [1, 2]
`, 'f.aelab.yaml');
    assert.ok(r.plan, JSON.stringify(r.problems));
    assert.deepEqual(r.plan.parameters, ['model.architecture', 'corruption.level']);
    assert.deepEqual(r.plan.seeds, [1, 2]);
    const got = r.plan.points.map((p) => `${p.index}:${String(p.overrides['model.architecture'])}/${String(p.overrides['corruption.level'])}/${String(p.overrides.seed)}`);
    assert.deepEqual(got, [
      '0:fcn-simple/0.1/1', '1:fcn-simple/0.1/2', '2:fcn-simple/0.4/1', '3:fcn-simple/0.4/2', '4:fcn-simple/0.8/1', '5:fcn-simple/0.8/2',
      '6:cnn/0.1/1', '7:cnn/0.1/2', '8:cnn/0.4/1', '9:cnn/0.4/2', '10:cnn/0.8/1', '11:cnn/0.8/2',
    ]);
    const p9 = r.plan.points[9].experiment;
    assert.equal(p9.model.architecture, 'cnn');
    assert.equal(p9.corruption.level, 0.4);
    assert.equal(p9.seed, 2);
    assert.equal('sweep' in p9, false, 'a point is a plain experiment');
  });

  it('points differing only in test corruption share a training key; training settings and seeds do not', () => {
    const r = expandSweep(`${BASE}sweep:
  parameters:
    training.learningRate: [0.001, 0.01]
    corruption.level: [0.1, 0.4]
    evaluation.threshold.percentile: [99, 99.9]
  repeats: 2
`, 'f.aelab.yaml');
    assert.ok(r.plan, JSON.stringify(r.problems));
    assert.deepEqual(r.plan.seeds, [7, 8], 'repeats derive seeds from seed');
    const keys = new Map<string, number[]>();
    for (const p of r.plan.points) keys.set(p.trainingKey, [...(keys.get(p.trainingKey) ?? []), p.index]);
    // 2 learning rates x 2 seeds = 4 trainings, each scored for 2 levels x 2 percentiles.
    assert.equal(keys.size, 4);
    assert.deepEqual([...keys.values()].map((v) => v.length), [4, 4, 4, 4]);
    assert.deepEqual(keys.get(r.plan.points[0].trainingKey), [0, 2, 4, 6]);
  });

  it('contamination that borrows the test corruption level makes that level a training setting', () => {
    const r = expandSweep(`${BASE}data: { trainContamination: { fraction: 0.1 } }
sweep:
  parameters:
    corruption.level: [0.1, 0.4]
`, 'f.aelab.yaml');
    assert.ok(r.plan, JSON.stringify(r.problems));
    assert.notEqual(r.plan.points[0].trainingKey, r.plan.points[1].trainingKey);
  });

  it('range(a,b) gives the integers a..b-1, and a single value for a list setting is a one-element list', () => {
    const r = expandSweep(`${BASE}sweep:
  parameters:
    data.normalClasses: range(0,10)
`, 'f.aelab.yaml');
    assert.ok(r.plan, JSON.stringify(r.problems));
    assert.deepEqual(r.plan.points.map((p) => p.experiment.data.normalClasses), [[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]]);
  });

  it('--set applies to every point', () => {
    const r = expandSweep(`${BASE}sweep:\n  parameters:\n    corruption.level: [0.1, 0.3]\n`, 'f.aelab.yaml', ['training.epochs=1']);
    assert.ok(r.plan);
    assert.deepEqual(r.plan.points.map((p) => p.experiment.training.epochs), [1, 1]);
  });

  it('problems are located at the sweep value: unknown path, bad value, repeats, empty grid', () => {
    assert.deepEqual(problemsOf(`${BASE}sweep:
  parameters:
    training.epoch: [1, 2]
`), ['6:5 unknown setting "training.epoch" in sweep.parameters: not a path of the experiment format (did you mean "training.epochs"?)']);

    const bad = problemsOf(`${BASE}sweep:
  parameters:
    model.architecture: [cnn, fcn-simple]
    corruption.level: [0.1, -0.5]
`);
    assert.equal(bad.length, 1, bad.join('\n'));
    assert.match(bad[0], /^7:29 sweep point 1 \(model\.architecture="cnn", corruption\.level=-0\.5, seed=7\): .*corruption\.level.*>= 0/);

    assert.deepEqual(problemsOf(`${BASE}sweep:
  parameters:
    corruption.level: [0.1, 0.2, 0.1]
`), ['6:34 corruption.level repeats the value 0.1 (value 1 and 3): every point of a sweep must differ']);

    assert.match(problemsOf(`${BASE}sweep:\n  parameters:\n    corruption.level: []\n`)[0], /^6:23 corruption\.level has no values: an empty grid/);
    assert.match(problemsOf(`${BASE}sweep:\n  parameters: {}\n`)[0], /^5:3 the sweep has no parameters/);
    assert.match(problemsOf(`${BASE}sweep:\n  parameters:\n    data.normalClasses: range(3,3)\n`)[0], /^6:25 data\.normalClasses has no values.*b must be greater than a/);
    assert.match(problemsOf(`${BASE}sweep:\n  parameters:\n    name: [a, b]\n`)[0], /^6:5 name cannot be swept/);
    assert.match(problemsOf(`${BASE}sweep:\n  parameters:\n    seed: [1, 2]\n  repeats: 2\n`)[0], /^6:5 seed is swept here and also by sweep\.seeds/);
  });

  it('two values that make the same experiment are a repeated point', () => {
    // A list setting written two ways: caught as a repeated value.
    const p = problemsOf(`${BASE}sweep:\n  parameters:\n    data.normalClasses: [3, [3]]\n`);
    assert.match(p[0], /^6:29 data\.normalClasses repeats the value \[3\]/);
    // Different values that resolve to the same experiment once defaults are filled in.
    const q = problemsOf(`${BASE}sweep:\n  parameters:\n    training.earlyStopping: [{ patience: 2 }, { patience: 2, minDelta: 0 }]\n`);
    assert.deepEqual(q, ['6:47 sweep point 1 (training.earlyStopping={"patience":2,"minDelta":0}, seed=7) is the same experiment as point 0: every point of a sweep must differ']);
  });

  it(`more than ${MAX_POINTS_WITHOUT_YES} points need --yes`, () => {
    const text = `${BASE}sweep:\n  parameters:\n    training.epochs: range(1,101)\n    evaluation.samples: range(1,12)\n`;
    const p = problemsOf(text);
    assert.match(p[0], /^4:1 this sweep has 1100 points \(100 x 11 settings x 1 seed\(s\)\), more than 1000: pass --yes/);
    const r = expandSweep(text, 'f.aelab.yaml', [], { yes: true });
    assert.equal(r.plan?.points.length, 1100);
  });
});

describe('sweep resume and cancel rules', () => {
  it('a point state comes from its run folder first, and a run whose writer died is failed', () => {
    const file = { index: 0, runDir: '/r', state: 'running' as const, updatedAt: '' };
    assert.equal(pointState(undefined, undefined), 'queued');
    assert.equal(pointState(file, { state: 'running', stale: false }), 'running');
    assert.equal(pointState(file, { state: 'running', stale: true }), 'failed');
    assert.equal(pointState(file, { state: 'cancelled', stale: false }), 'cancelled');
    assert.equal(pointState(file, undefined), 'failed', 'points file says running but the run folder is gone');
    assert.equal(pointState({ ...file, state: 'completed' }, { state: 'completed', stale: false }), 'completed');
  });

  it('completed points are kept, failed/cancelled/queued run again, a completed point of an edited experiment runs again', () => {
    assert.equal(needsRun('completed', true), false);
    assert.equal(needsRun('completed', false), true);
    assert.equal(needsRun('failed', true), true);
    assert.equal(needsRun('cancelled', true), true);
    assert.equal(needsRun('queued', false), true);
    assert.equal(needsRun('running', false), false, 'left to the process running it');
  });
});

describe('sweep table', () => {
  const summary = (auroc: number, f1: number): RunSummary => ({ auroc, averagePrecision: auroc / 2, operatingPoint: { precision: 0.5, recall: f1, f1 } } as unknown as RunSummary);
  it('one row per setting, mean / sample std / min / max over the completed seeds', () => {
    const points = [
      { index: 0, overrides: { 'corruption.level': 0.1, seed: 1 }, trainingKey: 'a' },
      { index: 1, overrides: { 'corruption.level': 0.1, seed: 2 }, trainingKey: 'b' },
      { index: 2, overrides: { 'corruption.level': 0.1, seed: 3 }, trainingKey: 'c' },
      { index: 3, overrides: { 'corruption.level': 0.4, seed: 1 }, trainingKey: 'a' },
      { index: 4, overrides: { 'corruption.level': 0.4, seed: 2 }, trainingKey: 'b' },
    ];
    const rows = sweepTable(['corruption.level'], points, new Map([[0, summary(0.8, 0.5)], [1, summary(0.9, 0.6)], [2, summary(1.0, 0.7)], [3, summary(0.95, 0.2)]]));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0].setting, { 'corruption.level': 0.1 });
    assert.equal(rows[0].runs, 3);
    const a = rows[0].metrics.auroc!;
    assert.ok(Math.abs(a.mean - 0.9) < 1e-12 && Math.abs(a.std - 0.1) < 1e-12 && a.min === 0.8 && a.max === 1.0, JSON.stringify(a));
    assert.equal(rows[1].runs, 1, 'the failed seed of 0.4 is not counted');
    assert.equal(rows[1].points, 2);
    assert.deepEqual(rows[1].metrics.f1, { mean: 0.2, std: 0, min: 0.2, max: 0.2 });
    assert.deepEqual(stats([2, 4]), { mean: 3, std: Math.SQRT2, min: 2, max: 4 });
    const csv = tableCsv(['corruption.level'], rows).split('\n');
    assert.equal(csv[0].split(',').length, 2 + 5 * 4);
    assert.match(csv[2], /^0\.4,1,0\.95,0,0\.95,0\.95,/);
  });
});
