// CSV exports of the Results panel: metrics (every strategy and the marker) and per-image scores.
import type { PanelRunData } from '../../core/protocol';
import type { OperatingPoint } from '../../core/runFormat';
import type { SortedScores } from '../../core/metrics';
import { toCsv } from '../shared/csv';

const POINT_COLUMNS = ['threshold', 'tp', 'tn', 'fp', 'fn', 'precision', 'recall', 'f1', 'accuracy', 'fpr'] as const;

function pointCells(p: OperatingPoint): number[] {
  return POINT_COLUMNS.map((c) => p[c]);
}

export function metricsCsv(run: PanelRunData, sorted: SortedScores, marker: number, strategies: { strategy: string; value: number }[]): string {
  const rows: (string | number | undefined)[][] = [['marker', ...pointCells(sorted.operatingPoint(marker))]];
  for (const s of strategies) rows.push([s.strategy, ...pointCells(sorted.operatingPoint(s.value))]);
  const s = run.summary;
  if (s) {
    rows.push(['auroc', s.auroc], ['average_precision', s.averagePrecision], ...(s.pixelAuroc === undefined ? [] : [['pixel_auroc', s.pixelAuroc] as [string, number]]), ['mean_score_normal', s.meanScoreNormal], ['mean_score_anomalous', s.meanScoreAnomalous]);
  }
  return toCsv(['row', ...POINT_COLUMNS], rows);
}

export function scoresCsv(run: PanelRunData, marker: number): string {
  const s = run.scores;
  if (!s) return toCsv(['index'], []);
  const rows = Array.from(s.values, (v, i) => [i, s.labels[i], s.classes?.[i], v, v >= marker ? 1 : 0]);
  return toCsv(['index', 'label_anomaly', 'digit', 'score', `flagged_at_${marker}`], rows);
}
