// Words and numbers shown in the tree, progress notifications and status bar. vscode-free.
import type { RunSummary } from '../../core/runFormat';

export function formatLoss(loss: number | undefined): string {
  if (loss === undefined || !Number.isFinite(loss)) return '–';
  if (loss === 0) return '0';
  const a = Math.abs(loss);
  return a >= 0.01 && a < 1000 ? loss.toFixed(4) : loss.toExponential(3);
}

export function formatMetric(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** The strategy that chose a run's threshold: "percentile"; "max-f1, uses test labels" when it looked at the labels. */
export function formatStrategy(summary: Pick<RunSummary, 'chosen' | 'thresholds'>): string {
  const usesLabels = summary.thresholds.find((t) => t.strategy === summary.chosen)?.usesLabels ?? summary.chosen === 'max-f1';
  return usesLabels ? `${summary.chosen}, uses test labels` : summary.chosen;
}

/** "F1 0.995 (percentile)", "F1 0.914 (max-f1, uses test labels)": an F1 is never shown without what chose its threshold. */
export function formatF1(summary: Pick<RunSummary, 'operatingPoint' | 'chosen' | 'thresholds'> | undefined, digits = 3): string {
  return summary ? `F1 ${formatMetric(summary.operatingPoint.f1, digits)} (${formatStrategy(summary)})` : 'F1 –';
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Fraction of the training done, 0..1: finished epochs plus the part of the current one.
 * `epoch` is 1-based (the epoch in progress, or the last finished one when batch === batches).
 */
export function trainingFraction(epoch: number, epochs: number, batch: number, batches: number): number {
  if (epochs <= 0) return 0;
  const within = batches > 0 ? Math.min(1, Math.max(0, batch / batches)) : 0;
  return Math.min(1, Math.max(0, (Math.max(1, epoch) - 1 + within) / epochs));
}

/** Seconds left, extrapolated from the time spent so far; undefined until there is a basis. */
export function etaSeconds(elapsedSeconds: number, fraction: number): number | undefined {
  if (fraction <= 0.001 || elapsedSeconds <= 0) return undefined;
  return Math.max(0, (elapsedSeconds * (1 - fraction)) / fraction);
}

/** "3.4 s" style for activation/measurements. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** An ISO time (UTC) as local wall time, "2026-01-01 13:05:00": what a person compares with their clock. */
export function formatLocalTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Absolute file paths in a message cut to their file names, for one-line descriptions (the tooltip keeps them whole). */
export function withFileNames(text: string): string {
  return text.replace(/(?:[A-Za-z]:)?[\\/](?:[^\s:\\/]+[\\/])+([^\s:\\/]+)/g, '$1');
}
