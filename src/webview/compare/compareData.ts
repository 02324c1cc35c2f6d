// The numbers of the Compare panel, pure: unit-tested in test/unit/panel-logic.test.ts.
import { histogramEdges, binOf } from '../../core/histogram';
import { rocCurve, SortedScores } from '../../core/metrics';
import type { PanelRunData } from '../../core/protocol';
import type { ThresholdStrategy } from '../../core/runFormat';

/** Which threshold the table's F1 column uses: the one each run chose, or one strategy for all. */
export type F1Choice = 'chosen' | ThresholdStrategy;

/** Short, unique labels: the experiment name, with the run id where names repeat. */
export function runLabels(runs: readonly PanelRunData[]): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.experimentName, (counts.get(r.experimentName) ?? 0) + 1);
  return runs.map((r) => ((counts.get(r.experimentName) ?? 0) > 1 ? `${r.experimentName} ${r.runId}` : r.experimentName));
}

/** The threshold a run would use for `choice`, if it has it. */
export function thresholdFor(run: PanelRunData, choice: F1Choice): number | undefined {
  const s = run.summary;
  if (!s) return undefined;
  if (choice === 'chosen') return s.operatingPoint.threshold;
  return s.thresholds.find((t) => t.strategy === choice)?.value;
}

/** F1 at the chosen threshold, recomputed from the scores (or the summary's when there are none). */
export function f1At(run: PanelRunData, choice: F1Choice, sorted?: SortedScores): number | undefined {
  const t = thresholdFor(run, choice);
  if (t === undefined) return undefined;
  if (sorted) return sorted.operatingPoint(t).f1;
  return choice === 'chosen' ? run.summary?.operatingPoint.f1 : undefined;
}

/** Loss curves on one epoch axis (1..longest run): null where a run has no such epoch. */
export function alignedLoss(runs: readonly PanelRunData[]): { epochs: number[]; train: (number | null)[][]; validation: (number | null)[][] } {
  const longest = Math.max(1, ...runs.map((r) => Math.max(r.metrics.length, ...r.metrics.map((m) => m.epoch))));
  const epochs = Array.from({ length: longest }, (_, i) => i + 1);
  const column = (r: PanelRunData, key: 'trainLoss' | 'valLoss') => {
    const byEpoch = new Map(r.metrics.map((m) => [m.epoch, m[key]]));
    return epochs.map((e) => (byEpoch.has(e) ? (byEpoch.get(e) as number) : null));
  };
  return { epochs, train: runs.map((r) => column(r, 'trainLoss')), validation: runs.map((r) => column(r, 'valLoss')) };
}

/**
 * A ROC curve read off at the given FPR values, so several runs share one x axis: at each FPR,
 * the highest TPR reached with a false-positive rate no larger (the curve as a step function).
 */
export function resampleRoc(fpr: readonly number[], tpr: readonly number[], grid: readonly number[]): number[] {
  const out: number[] = [];
  let k = 0;
  let best = 0;
  for (const g of grid) {
    while (k < fpr.length && fpr[k] <= g + 1e-12) {
      if (tpr[k] > best) best = tpr[k];
      k++;
    }
    out.push(best);
  }
  return out;
}

export function rocGrid(points = 501): number[] {
  return Array.from({ length: points }, (_, i) => i / (points - 1));
}

export function resampledRoc(run: PanelRunData, grid: readonly number[]): number[] | undefined {
  const s = run.scores;
  if (!s) return undefined;
  const c = rocCurve(s.values, s.labels);
  return resampleRoc(c.fpr, c.tpr, grid);
}

/**
 * Score distributions of several runs on shared bin edges, as the fraction of each group's
 * images per bin (runs of different sizes compare). Runs without scores get no series.
 */
export function sharedDistributions(runs: readonly PanelRunData[], bins: number, log: boolean): { edges: number[]; normal: (number[] | undefined)[]; anomalous: (number[] | undefined)[] } {
  const all: number[] = [];
  for (const r of runs) if (r.scores) for (const v of r.scores.values) if (Number.isFinite(v) && (!log || v > 0)) all.push(v);
  const edges = histogramEdges(all, { bins, log });
  const fractions = (r: PanelRunData, anomalous: boolean): number[] | undefined => {
    const s = r.scores;
    if (!s) return undefined;
    const counts = new Array<number>(bins).fill(0);
    let total = 0;
    for (let i = 0; i < s.values.length; i++) {
      if ((s.labels[i] !== 0) !== anomalous) continue;
      total++;
      const b = binOf(s.values[i], edges);
      if (b >= 0) counts[b]++;
    }
    return counts.map((c) => (total ? c / total : 0));
  };
  return { edges, normal: runs.map((r) => fractions(r, false)), anomalous: runs.map((r) => fractions(r, true)) };
}
