// Plain-text tables for the terminal: summaries, threshold comparisons, confusion matrices.
import type { RunSummary } from '../core/runFormat';

export function table(rows: string[][], rightAlign: boolean[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((row) => row.map((cell, i) => (rightAlign[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

export const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export function formatSummary(s: RunSummary): string {
  const p = s.operatingPoint;
  const lines: string[] = [];
  lines.push(`AUROC ${fmt(s.auroc)}   average precision ${fmt(s.averagePrecision)}   ` +
    (s.pixelAuroc === undefined ? '' : `pixel AUROC ${fmt(s.pixelAuroc)}   `) +
    `mean score normal ${fmt(s.meanScoreNormal, 5)} / anomalous ${fmt(s.meanScoreAnomalous, 5)} (x${fmt(s.scoreRatio, 2)})`);
  lines.push('');
  lines.push('Thresholds (score >= threshold means anomaly):');
  lines.push(table([
    ['', 'strategy', 'threshold', 'uses labels', 'how'],
    ...s.thresholds.map((t) => [t.strategy === s.chosen ? '*' : '', t.strategy, fmt(t.value, 6), t.usesLabels ? 'yes' : 'no', t.description]),
  ], [false, false, true, false, false]));
  lines.push('');
  lines.push(`Confusion matrix at ${s.chosen} threshold ${fmt(p.threshold, 6)} (${s.testCount} test images, ${s.anomalyCount} anomalous):`);
  lines.push(table([
    ['', 'predicted anomaly', 'predicted normal'],
    ['actual anomaly', `TP ${p.tp}`, `FN ${p.fn}`],
    ['actual normal', `FP ${p.fp}`, `TN ${p.tn}`],
  ]));
  lines.push('');
  const usesLabels = s.thresholds.find((t) => t.strategy === s.chosen)?.usesLabels ?? false;
  lines.push(`precision ${fmt(p.precision)}   recall ${fmt(p.recall)}   F1 ${fmt(p.f1)} (${s.chosen}${usesLabels ? ', uses test labels' : ''})   accuracy ${fmt(p.accuracy)}   false-positive rate ${pct(p.fpr)}`);
  lines.push(`epochs ${s.epochsRun} (best ${s.bestEpoch}${s.stoppedEarly ? ', stopped early' : ''})   training ${fmt(s.trainSeconds, 1)} s   total ${fmt(s.totalSeconds, 1)} s   backend ${s.backend}${s.trainingThreads === 2 ? ' (2 threads)' : ''}${s.peakMemoryMB ? `   peak memory ${s.peakMemoryMB} MB` : ''}`);
  for (const warning of s.warnings ?? []) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
