import { strict as assert } from 'node:assert';
import { validateExperiment } from '../../src/core/config';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import type { RunSummary } from '../../src/core/runFormat';
import { metricVsParameter } from '../../src/core/study/metricVsParameter';
import { questionCoverage } from '../../src/core/study/studyQuestions';
import { buildStudyTable, differingParameters, flattenParameters, shownTable, StudyRun } from '../../src/core/study/studyTable';
import { latexEscape, toCsv, toLatex, toMarkdown } from '../../src/core/study/tableExport';

function experiment(yaml: string): ResolvedExperiment {
  const v = validateExperiment(yaml, 'x.aelab.yaml');
  assert.ok(v.ok && v.experiment, JSON.stringify(v.problems));
  return v.experiment;
}

function summary(auroc: number, f1: number, trainSeconds = 10): RunSummary {
  return {
    formatVersion: 1, runId: 'r', experimentName: 'e', testCount: 100, anomalyCount: 10, auroc, averagePrecision: auroc - 0.1,
    meanScoreNormal: 1, meanScoreAnomalous: 2, scoreRatio: 2, thresholds: [], chosen: 'percentile',
    operatingPoint: { threshold: 0.1, tp: 5, tn: 80, fp: 10, fn: 5, precision: 0.5, recall: 0.5, f1, accuracy: 0.85, fpr: 0.11 },
    epochsRun: 3, bestEpoch: 2, stoppedEarly: false, trainSeconds, totalSeconds: trainSeconds + 1, backend: 'wasm',
  };
}

const run = (id: string, arch: string, level: number, seed: number, auroc: number, f1: number): StudyRun => ({
  runId: id, experiment: experiment(`name: s\nseed: ${seed}\ncorruption: { level: ${level} }\nmodel: { architecture: ${arch} }\n`), summary: summary(auroc, f1),
});

const RUNS = [
  run('a1', 'cnn', 0.1, 1, 0.90, 0.50), run('a2', 'cnn', 0.1, 2, 0.94, 0.70),
  run('b1', 'cnn', 0.3, 1, 0.99, 0.80), run('b2', 'cnn', 0.3, 2, 0.97, 0.60),
  run('c1', 'fcn-simple', 0.1, 1, 0.80, 0.40), run('c2', 'fcn-simple', 0.1, 2, 0.60, 0.20),
];

describe('study table', () => {
  it('flattens the experiment to dotted paths and finds the parameters that differ', () => {
    const flat = flattenParameters(RUNS[0].experiment);
    assert.equal(flat['corruption.level'], 0.1);
    assert.equal(flat['model.architecture'], 'cnn');
    assert.equal(flat['name'], undefined, 'the name labels rows, it is not a parameter');
    assert.deepEqual(differingParameters(RUNS), ['corruption.level', 'model.architecture', 'seed']);
  });

  it('one row per run, or per setting over seeds with mean ± sample std', () => {
    const perRun = buildStudyTable(RUNS);
    assert.equal(perRun.rows.length, 6);
    assert.deepEqual(perRun.columns.filter((c) => c.kind === 'param').map((c) => c.key), ['corruption.level', 'model.architecture', 'seed']);
    const grouped = buildStudyTable(RUNS, { groupBySeed: true });
    assert.equal(grouped.rows.length, 3);
    assert.ok(!grouped.columns.some((c) => c.key === 'seed'));
    const a = grouped.rows.find((r) => r.runIds.includes('a1'));
    assert.ok(a);
    assert.deepEqual(a.runIds, ['a1', 'a2']);
    assert.ok(Math.abs(a.metrics.auroc.mean - 0.92) < 1e-12);
    assert.ok(Math.abs(a.metrics.auroc.std - Math.SQRT2 * 0.02) < 1e-12, 'sample std of 0.90 and 0.94');
    assert.equal(a.metrics.f1.min, 0.5);
    assert.equal(a.metrics.f1.max, 0.7);
    const c = grouped.rows.find((r) => r.runIds.includes('c1'));
    assert.deepEqual(c?.changed, ['model.architecture'], 'fcn-simple differs from the common cnn');
    const shown = shownTable(grouped);
    const rowA = shown.cells[shown.rows.findIndex((r) => r === a)];
    assert.equal(rowA[shown.columns.findIndex((col) => col.key === 'auroc')], '0.9200 ± 0.0283');
    assert.equal(rowA[shown.columns.findIndex((col) => col.key === 'runs')], '2');
  });

  it('sorts by a metric or a parameter, filters on shown text, hides columns', () => {
    const table = buildStudyTable(RUNS);
    const byAuroc = shownTable(table, { sort: { key: 'auroc', descending: true } });
    assert.deepEqual(byAuroc.rows.map((r) => r.runIds[0]), ['b1', 'b2', 'a2', 'a1', 'c1', 'c2']);
    const byLevel = shownTable(table, { sort: { key: 'corruption.level', descending: false } });
    assert.deepEqual(byLevel.rows.map((r) => Number(r.params['corruption.level'])), [0.1, 0.1, 0.1, 0.1, 0.3, 0.3]);
    const filtered = shownTable(table, { filter: 'FCN' });
    assert.deepEqual(filtered.rows.map((r) => r.runIds[0]), ['c1', 'c2']);
    const hidden = shownTable(table, { hidden: ['seed', 'averagePrecision'], filter: '0.9900' });
    assert.ok(!hidden.columns.some((c) => c.key === 'seed' || c.key === 'averagePrecision'));
    assert.deepEqual(hidden.rows.map((r) => r.runIds[0]), ['b1']);
    // A filter matches shown cells only: b1's AP (0.89) is hidden, so "0.8900" finds nothing.
    assert.equal(shownTable(table, { hidden: ['averagePrecision'], filter: '0.8900' }).rows.length, 0);
  });

  it('CSV, Markdown and LaTeX hold exactly the shown cells', () => {
    const shown = shownTable(buildStudyTable(RUNS, { groupBySeed: true }), { sort: { key: 'f1', descending: false }, hidden: ['trainSeconds'] });
    const csv = toCsv(shown);
    const lines = csv.trimEnd().split('\r\n').map((l) => l.split(','));
    assert.deepEqual(lines[0], shown.columns.map((c) => c.label));
    assert.deepEqual(lines.slice(1), shown.cells);
    const md = toMarkdown(shown).trimEnd().split('\n');
    assert.equal(md.length, 2 + shown.cells.length);
    assert.equal(md[2], `| ${shown.cells[0].join(' | ')} |`);
    const tex = toLatex(shown);
    assert.match(tex, /\\begin\{tabular\}\{lll?r+\}/);
    assert.ok(tex.includes('0.7000 $\\pm$ 0.1414'));
    assert.equal(latexEscape('a_b & 10% #1'), 'a\\_b \\& 10\\% \\#1');
    assert.equal(toCsv({ columns: [{ key: 'x', label: 'x', kind: 'param' }], rows: [], cells: [['a,"b"']] }), 'x\r\n"a,""b"""\r\n');
  });
});

describe('metric vs parameter', () => {
  it('one line per series value, mean over seeds with a min-max band', () => {
    const chart = metricVsParameter(RUNS, { x: 'corruption.level', metric: 'auroc', series: 'model.architecture' });
    assert.deepEqual(chart.series.map((s) => s.name), ['model.architecture = cnn', 'model.architecture = fcn-simple']);
    const cnn = chart.series[0];
    assert.deepEqual(cnn.points.map((p) => p[0]), [0.1, 0.3]);
    assert.ok(Math.abs(cnn.points[0][1] - 0.92) < 1e-12 && Math.abs(cnn.points[1][1] - 0.98) < 1e-12);
    assert.deepEqual(cnn.band, [[0.1, 0.90, 0.94], [0.3, 0.97, 0.99]]);
    const std = metricVsParameter(RUNS, { x: 'corruption.level', metric: 'f1', band: 'std' }).series[0];
    assert.ok(Math.abs((std.band?.[0][2] ?? 0) - (0.45 + Math.sqrt(0.13 / 3))) < 1e-9, 'mean 0.45 + sample std of 0.5, 0.7, 0.4, 0.2');
  });

  it('a non-numeric x becomes categories', () => {
    const chart = metricVsParameter(RUNS, { x: 'model.architecture', metric: 'auroc' });
    assert.deepEqual(chart.xCategories, ['cnn', 'fcn-simple']);
    assert.deepEqual(chart.series[0].points.map((p) => p[0]), [0, 1]);
  });
});

describe('study questions', () => {
  it('says which questions the runs answer and which have no runs yet', () => {
    const oneClass: StudyRun = { runId: 'o', experiment: experiment('name: o\ndata: { normalClasses: [3] }\n'), summary: summary(0.9, 0.5) };
    const byId = Object.fromEntries(questionCoverage([...RUNS, oneClass]).map((c) => [c.question.id, c]));
    assert.equal(byId['architectures'].status, 'answered');
    assert.equal(byId['architectures'].runs.length, 6, 'the one-class run is not an architecture comparison');
    assert.equal(byId['noise'].status, 'answered');
    assert.equal(byId['ssim-vs-mse'].status, 'one-setting');
    assert.match(byId['ssim-vs-mse'].note, /Only one setting .*mse \/ mse/);
    assert.equal(byId['contaminated-training'].status, 'one-setting');
    assert.equal(byId['threshold'].status, 'answered');
    assert.equal(byId['one-class'].status, 'one-setting');
    const none = Object.fromEntries(questionCoverage(RUNS).map((c) => [c.question.id, c]));
    assert.equal(none['one-class'].status, 'no-runs');
    assert.match(none['one-class'].note, /No runs yet/);
  });
});
