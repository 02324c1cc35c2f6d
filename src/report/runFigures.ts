// The figures of one run, from its own files: loss curves (metrics.jsonl), error histograms
// with every threshold (scores.bin + summary.json), the confusion matrix and P/R/F1 against the
// threshold (summary.json, scores.bin), and the sample grid (samples.bin).
import { PNG } from 'pngjs';
import { histogram } from '../core/histogram';
import { precisionRecallVsThreshold, SortedScores } from '../core/metrics';
import { readSamples, readScores } from '../core/runFolder';
import { confusionMatrixChart, histogramChart, lineChart, sampleGridChart } from '../core/svg/charts';
import type { ReportRun } from './reportRuns';

export interface Figure {
  /** File name without extension, unique in the report. */
  id: string;
  title: string;
  svg: string;
}

/** A grayscale image (values in [0, 1]) as a PNG data: URI, for the sample grid. */
export function grayPngDataUri(pixels: ArrayLike<number>, width: number, height: number): string {
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < width * height; i++) data[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  png.data = data;
  return `data:image/png;base64,${PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }).toString('base64')}`;
}

export function lossFigure(run: ReportRun, id: string): Figure | undefined {
  const m = run.contents.metrics;
  if (m.length === 0) return undefined;
  const title = `${run.experiment.name}: loss per epoch`;
  return {
    id, title,
    svg: lineChart({
      title, xLabel: 'epoch', yLabel: `${run.experiment.training.loss} loss`, logY: m.every((e) => e.trainLoss > 0 && e.valLoss > 0),
      series: [{ name: 'training', points: m.map((e) => [e.epoch, e.trainLoss]) }, { name: 'validation', points: m.map((e) => [e.epoch, e.valLoss]), dashed: true }],
    }),
  };
}

export function histogramFigure(run: ReportRun, id: string): Figure | undefined {
  let scores;
  try { scores = readScores(run.dir); } catch { return undefined; }
  const positive = Array.from(scores.scores).every((s) => s > 0);
  const h = histogram(scores.scores, scores.labels, { bins: 60, log: positive });
  const title = `${run.experiment.name}: ${scores.header.score} error of normal and anomalous test images`;
  return {
    id, title,
    svg: histogramChart({
      title, edges: h.edges, normal: h.normal, anomalous: h.anomalous, logX: positive, xLabel: `${scores.header.score} score${positive ? ' (log)' : ''}`,
      thresholds: run.summary.thresholds.map((t) => ({ label: t.strategy, value: t.value, chosen: t.strategy === run.summary.chosen })),
    }),
  };
}

export function thresholdSweepFigure(run: ReportRun, id: string): Figure | undefined {
  let scores;
  try { scores = readScores(run.dir); } catch { return undefined; }
  const sweep = precisionRecallVsThreshold(new SortedScores(scores.scores, scores.labels), 120);
  const at = (ys: number[]) => sweep.thresholds.map((t, i) => [t, ys[i]] as [number, number]);
  const title = `${run.experiment.name}: precision, recall and F1 as the threshold moves`;
  return {
    id, title,
    // 120 points per curve: lines without point markers (a quarter of the file, the same curves).
    svg: lineChart({ title, xLabel: 'threshold', yLabel: 'value', markers: false, series: [{ name: 'precision', points: at(sweep.precision) }, { name: 'recall', points: at(sweep.recall) }, { name: 'F1', points: at(sweep.f1) }] }),
  };
}

export function confusionFigure(run: ReportRun, id: string): Figure {
  const p = run.summary.operatingPoint;
  const title = `${run.experiment.name}: confusion matrix (${run.summary.chosen})`;
  return { id, title, svg: confusionMatrixChart({ title, tp: p.tp, fn: p.fn, fp: p.fp, tn: p.tn }) };
}

export function samplesFigure(run: ReportRun, id: string, perGroup = 4): Figure | undefined {
  let samples;
  try { samples = readSamples(run.dir); } catch { return undefined; }
  const { header, pixels } = samples;
  const plane = header.width * header.height;
  const planes = header.planes.length;
  // A few normal and anomalous samples (4 of each by default) keep the grid a page tall.
  const picked = [...header.samples.map((s, k) => ({ s, k })).filter((e) => e.s.group === 'normal').slice(0, perGroup),
    ...header.samples.map((s, k) => ({ s, k })).filter((e) => e.s.group === 'anomalous').slice(0, perGroup)];
  const rows = picked.map(({ s, k }) => ({
    label: `${s.group} #${s.index}, digit ${s.label}, score ${s.score.toPrecision(3)}`,
    images: Array.from({ length: planes }, (_, p) => grayPngDataUri(pixels.subarray((k * planes + p) * plane, (k * planes + p + 1) * plane), header.width, header.height)),
  }));
  const title = `${run.experiment.name}: samples`;
  return { id, title, svg: sampleGridChart({ title, columns: ['original', 'corrupted', 'reconstruction', 'difference'], rows }) };
}
