// The report's content: the experiments table, one section per study question (answered by
// the runs that exist, or saying it has none yet), and one section per run. Every number is
// the run's own summary.json value.
import { barChart, lineChart } from '../core/svg/charts';
import { metricVsParameter } from '../core/study/metricVsParameter';
import { PUBLISHED_OMITTED, PUBLISHED_ONE_CLASS_MNIST } from '../core/study/publishedBaselines';
import { QuestionCoverage, questionCoverage } from '../core/study/studyQuestions';
import {
  buildStudyTable, describe, differingParameters, flattenParameters, MetricKey, shownTable, StudyRun, StudyTable,
} from '../core/study/studyTable';
import type { Block } from './reportDocument';
import { confusionFigure, Figure, histogramFigure, lossFigure, samplesFigure, thresholdSweepFigure } from './runFigures';
import { DEFAULT_REPORT_OPTIONS, ReportOptions } from './reportOptions';
import type { ReportInput, ReportRun } from './reportRuns';

function tableBlock(table: StudyTable): Block {
  const shown = shownTable(table);
  const values = shown.rows.map((row) => shown.columns.map((c) => (c.kind === 'metric' ? row.metrics[c.key as MetricKey].mean : undefined)));
  const highlight = shown.rows.map((row) => shown.columns.map((c) => row.changed.includes(c.key)));
  return { kind: 'table', table: shown, values, highlight };
}

/** Group over seeds when some setting was repeated; else one row per run. */
function studyTableOf(runs: readonly StudyRun[]): StudyTable {
  const grouped = buildStudyTable(runs, { groupBySeed: true });
  return grouped.rows.length < runs.length ? grouped : buildStudyTable(runs);
}

let figureCount = 0;
const figureId = (name: string) => `${String(++figureCount).padStart(2, '0')}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;

function metricChart(runs: readonly StudyRun[], title: string, x: string, metric: MetricKey, series?: string): Figure {
  const data = metricVsParameter(runs, { x, metric, series, band: 'min-max' });
  return { id: figureId(title), title, svg: lineChart({ title, xLabel: data.xLabel, yLabel: data.yLabel, series: data.series, xCategories: data.xCategories }) };
}

/** A varying setting other than `except`, to split lines by (the first one, if any). */
function seriesParameter(runs: readonly StudyRun[], except: string[]): string | undefined {
  return buildStudyTable(runs).columns.find((c) => c.kind === 'param' && c.key !== 'seed' && !except.includes(c.key))?.key;
}

function withContamination(runs: readonly StudyRun[]): StudyRun[] {
  // Absent contamination is a fraction of 0, so clean and contaminated runs share one axis.
  return runs.map((r) => ({ ...r, experiment: { ...r.experiment, data: { ...r.experiment.data, trainContamination: { validation: 'contaminated', ...r.experiment.data.trainContamination, fraction: r.experiment.data.trainContamination?.fraction ?? 0 } } } }));
}

function questionBlocks(c: QuestionCoverage, byRunId: Map<string, ReportRun>, perRun: ReportOptions['perRun']): Block[] {
  const q = c.question;
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: q.title, id: `q-${q.id}` }, { kind: 'paragraph', text: `**${q.question}**` }];
  blocks.push({ kind: 'paragraph', text: c.note, className: c.status === 'answered' ? undefined : 'missing' });
  if (c.status === 'no-runs') return blocks;
  const runs = c.runs;
  if (c.status !== 'answered') return blocks;
  if (q.compared) blocks.push(tableBlock(studyTableOf(runs)));
  switch (q.id) {
    case 'architectures': {
      const curves = runs.map((r) => byRunId.get(r.runId)).filter((r): r is ReportRun => !!r && r.contents.metrics.length > 0);
      const title = 'Validation loss per epoch, by architecture';
      blocks.push({ kind: 'figure', figure: { id: figureId(title), title, svg: lineChart({
        title, xLabel: 'epoch', yLabel: 'validation loss', logY: curves.every((r) => r.contents.metrics.every((m) => m.valLoss > 0)),
        series: curves.map((r) => ({ name: `${r.experiment.model.architecture} (${r.runId})`, points: r.contents.metrics.map((m) => [m.epoch, m.valLoss] as [number, number]) })),
      }) } });
      blocks.push({ kind: 'figure', figure: metricChart(runs, 'AUROC by architecture', 'model.architecture', 'auroc', seriesParameter(runs, ['model.architecture'])) });
      break;
    }
    case 'noise': {
      const series = new Set(runs.map((r) => r.experiment.corruption.type)).size > 1 ? 'corruption.type' : seriesParameter(runs, ['corruption.level', 'corruption.type']);
      blocks.push({ kind: 'figure', figure: metricChart(runs, 'AUROC against the noise level', 'corruption.level', 'auroc', series) });
      blocks.push({ kind: 'figure', figure: metricChart(runs, 'F1 at the chosen threshold against the noise level', 'corruption.level', 'f1', series) });
      break;
    }
    case 'ssim-vs-mse':
      blocks.push({ kind: 'figure', figure: metricChart(runs, 'AUROC by training loss', 'training.loss', 'auroc', seriesParameter(runs, ['training.loss', 'evaluation.score'])) });
      break;
    case 'contaminated-training':
      blocks.push({ kind: 'figure', figure: metricChart(withContamination(runs), 'AUROC against the contaminated share of training data', 'data.trainContamination.fraction', 'auroc') });
      break;
    case 'threshold': {
      for (const r of runs) {
        blocks.push({ kind: 'paragraph', text: `**${r.experiment.name} ${r.runId}**: ${r.summary.thresholds.map((t) => `${t.strategy}${t.strategy === r.summary.chosen ? ' (chosen)' : ''} ${t.value.toPrecision(4)}${t.usesLabels ? ' (uses test labels)' : ''}`).join('; ')}.` });
      }
      blocks.push({ kind: 'paragraph', text: {
        all: 'Each run\'s section below shows its histogram with every threshold and precision, recall and F1 as the threshold moves.',
        representative: 'The section of each setting\'s representative run below shows its histogram with every threshold and precision, recall and F1 as the threshold moves.',
        summary: 'This report has no per-run sections (`--per-run summary`): generate it with `--per-run all` or `representative` for the histograms and the precision, recall and F1 curves.',
      }[perRun] });
      break;
    }
    case 'one-class':
      blocks.push(...oneClassBlocks(runs));
      break;
  }
  return blocks;
}

/**
 * One-class runs split by their setting apart from the normal digit and the seed: runs made with
 * different settings (say an older sweep beside the final one) are never averaged together.
 * `name` labels the bars; `setting` spells out what differs.
 */
export function oneClassSettings(runs: readonly StudyRun[]): { name: string; setting: string; runs: StudyRun[] }[] {
  const keys = differingParameters(runs).filter((k) => k !== 'seed' && k !== 'data.normalClasses');
  const groups = new Map<string, StudyRun[]>();
  for (const run of runs) {
    const flat = flattenParameters(run.experiment);
    const key = keys.map((k) => `\`${k}\` ${flat[k] === undefined ? 'unset' : String(flat[k])}`).join(', ');
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const many = groups.size > 1;
  return [...groups.entries()].map(([setting, members], i) => ({ name: `this study${many ? ` (${i + 1})` : ''}, mean over seeds`, setting, runs: members }));
}

function oneClassBlocks(runs: readonly StudyRun[]): Block[] {
  const digits = Array.from({ length: 10 }, (_, d) => d);
  const measured = oneClassSettings(runs).map((setting) => ({
    name: setting.name,
    values: digits.map((d) => {
      const values = setting.runs.filter((r) => r.experiment.data.normalClasses?.length === 1 && r.experiment.data.normalClasses[0] === d).map((r) => r.summary.auroc * 100);
      return values.length ? describe(values).mean : undefined;
    }),
  }));
  const title = 'Per-digit AUROC (%) of one-class runs beside published results';
  const figure: Figure = { id: figureId(title), title, svg: barChart({
    title, categories: digits.map(String), xLabel: 'normal digit', yLabel: 'AUROC %', yMin: 50, yMax: 100,
    groups: [...measured, ...PUBLISHED_ONE_CLASS_MNIST.map((b) => ({ name: b.method, values: b.aurocPercentByDigit, published: true }))],
  }) };
  const settings = oneClassSettings(runs);
  return [
    { kind: 'figure', figure },
    ...(settings.length > 1 ? settings.map((s): Block => ({ kind: 'paragraph', text: `**${s.name}** (${s.runs.length} runs): ${s.setting}.` })) : []),
    ...PUBLISHED_ONE_CLASS_MNIST.map((b): Block => ({ kind: 'paragraph', className: 'published', text: `Published, not measured here: ${b.method}. ${b.source}. Protocol: ${b.protocol}.` })),
    { kind: 'paragraph', className: 'published', text: PUBLISHED_OMITTED },
  ];
}

/** One run per setting (seeds grouped): the one whose AUROC is closest to its setting's mean, with the others' ids. */
export function representativeRuns<R extends StudyRun>(runs: readonly R[]): { run: R; others: R[] }[] {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  return buildStudyTable(runs, { groupBySeed: true }).rows.map((row) => {
    const members = row.runIds.map((id) => byId.get(id) as R);
    const mean = row.metrics.auroc.mean;
    const run = members.reduce((best, r) => (Math.abs(r.summary.auroc - mean) < Math.abs(best.summary.auroc - mean) ? r : best));
    return { run, others: members.filter((r) => r !== run) };
  });
}

function runBlocks(run: ReportRun, options: ReportOptions, others: readonly ReportRun[] = []): Block[] {
  const s = run.summary;
  const p = s.operatingPoint;
  const e = run.experiment;
  const flat = flattenParameters(e);
  const base = `${e.name}-${run.runId}`;
  const figures = [lossFigure(run, figureId(`${base}-loss`)), histogramFigure(run, figureId(`${base}-histogram`)), confusionFigure(run, figureId(`${base}-confusion`)),
    thresholdSweepFigure(run, figureId(`${base}-threshold-sweep`)), options.samples > 0 ? samplesFigure(run, figureId(`${base}-samples`), options.samples) : undefined].filter((f): f is Figure => !!f);
  return [
    { kind: 'heading', level: 3, text: `${e.name} · ${run.runId}`, id: `run-${run.runId}` },
    ...(options.perRun === 'representative' ? [{ kind: 'paragraph', text: others.length
      ? `Representative of ${others.length + 1} runs with this setting (its AUROC is the closest to their mean); the other seeds' runs: ${others.map((o) => `${o.runId} (seed ${o.experiment.seed}, AUROC ${o.summary.auroc.toFixed(4)})`).join(', ')}.`
      : 'The only run with this setting.' } as Block] : []),
    { kind: 'paragraph', text: `**Settings**: ${Object.entries(flat).filter(([, v]) => v !== undefined).map(([k, v]) => `\`${k}\` ${String(v)}`).join(', ')}.` },
    { kind: 'paragraph', text: `**Metrics** (summary.json): AUROC ${s.auroc.toFixed(4)}, average precision ${s.averagePrecision.toFixed(4)}; threshold ${p.threshold.toPrecision(4)} (${s.chosen}): TP ${p.tp}, FN ${p.fn}, FP ${p.fp}, TN ${p.tn}; precision ${p.precision.toFixed(4)}, recall ${p.recall.toFixed(4)}, F1 ${p.f1.toFixed(4)}, accuracy ${p.accuracy.toFixed(4)}, FPR ${p.fpr.toFixed(4)}. ${s.epochsRun} epoch(s), best ${s.bestEpoch}${s.stoppedEarly ? ' (stopped early)' : ''}; training ${s.trainSeconds.toFixed(1)} s on ${s.backend}.` },
    ...figures.map((figure): Block => ({ kind: 'figure', figure })),
  ];
}

export interface StudyReport { title: string; blocks: Block[]; figures: Figure[] }

function runsSection(runs: readonly ReportRun[], options: ReportOptions): Block[] {
  switch (options.perRun) {
    case 'all': return runs.flatMap((r) => runBlocks(r, options));
    case 'representative': return [
      { kind: 'paragraph', text: 'One section per setting (`--per-run representative`): the run whose AUROC is closest to the mean over its seeds. Every run is a row of the experiments table above.' },
      ...representativeRuns(runs).flatMap(({ run, others }) => runBlocks(run, options, others)),
    ];
    case 'summary': return [{ kind: 'paragraph', text: `No per-run sections (\`--per-run summary\`): the ${runs.length} run(s) are the rows of the experiments table above.` }];
  }
}

export function buildStudyReport(input: ReportInput, generatedAt = new Date(), options: ReportOptions = DEFAULT_REPORT_OPTIONS): StudyReport {
  figureCount = 0;
  const byRunId = new Map(input.runs.map((r) => [r.runId, r]));
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `Report: ${input.title}` },
    { kind: 'paragraph', text: `Generated by aelab on ${generatedAt.toISOString()} from ${input.runs.length} completed run(s)${input.skipped.length ? `; ${input.skipped.length} skipped (listed at the end)` : ''}. Every number is the run's own summary.json value; rows over several seeds show mean ± sample standard deviation.` },
    { kind: 'heading', level: 2, text: 'Experiments', id: 'experiments' },
    tableBlock(studyTableOf(input.runs)),
    { kind: 'heading', level: 2, text: 'The study\'s questions', id: 'questions' },
    ...questionCoverage(input.runs).flatMap((c) => questionBlocks(c, byRunId, options.perRun)),
    { kind: 'heading', level: 2, text: 'Runs', id: 'runs' },
    ...runsSection(input.runs, options),
  ];
  if (input.skipped.length) {
    blocks.push({ kind: 'heading', level: 2, text: 'Skipped runs' });
    blocks.push({ kind: 'paragraph', text: input.skipped.map((s) => `\`${s.dir}\`: ${s.reason}`).join('; ') });
  }
  const figures = blocks.flatMap((b) => (b.kind === 'figure' ? [b.figure] : []));
  return { title: `Report: ${input.title}`, blocks, figures };
}
