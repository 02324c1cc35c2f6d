// The results table of a sweep: one row per distinct setting (the swept values without the seed),
// each metric as mean, std, min and max over the completed points (the seeds) of that setting.
import type { RunSummary } from '../runFormat';
import type { ManifestPoint } from './sweepFormat';
import { canonicalJson } from './trainingKey';

/** Metrics named as in summary.json (operating-point ones at the chosen strategy). */
export const TABLE_METRICS = ['auroc', 'averagePrecision', 'precision', 'recall', 'f1'] as const;
export type TableMetric = (typeof TABLE_METRICS)[number];

export interface MetricStats { mean: number; std: number; min: number; max: number }

export interface TableRow {
  /** Swept path -> value (seed excluded unless seed itself is a swept parameter). */
  setting: Record<string, unknown>;
  /** Points of this setting in the sweep. */
  points: number;
  /** Completed runs the statistics are over. */
  runs: number;
  metrics: Partial<Record<TableMetric, MetricStats>>;
}

function metricOf(s: RunSummary, m: TableMetric): number {
  switch (m) {
    case 'auroc': return s.auroc;
    case 'averagePrecision': return s.averagePrecision;
    default: return s.operatingPoint[m];
  }
}

/** Sample standard deviation (n - 1); 0 for a single run. */
export function stats(values: readonly number[]): MetricStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Rows in sweep order. `parameters` are the swept paths; `summaries` gives the summary of each
 * completed point (by index). Settings with no completed run have runs 0 and no metrics.
 */
export function sweepTable(parameters: readonly string[], points: readonly ManifestPoint[], summaries: ReadonlyMap<number, RunSummary>): TableRow[] {
  const rows = new Map<string, { row: TableRow; values: Record<TableMetric, number[]> }>();
  for (const point of points) {
    const setting: Record<string, unknown> = {};
    for (const p of parameters) setting[p] = point.overrides[p];
    const key = canonicalJson(setting);
    let entry = rows.get(key);
    if (!entry) {
      entry = { row: { setting, points: 0, runs: 0, metrics: {} }, values: { auroc: [], averagePrecision: [], precision: [], recall: [], f1: [] } };
      rows.set(key, entry);
    }
    entry.row.points += 1;
    const summary = summaries.get(point.index);
    if (!summary) continue;
    entry.row.runs += 1;
    for (const m of TABLE_METRICS) entry.values[m].push(metricOf(summary, m));
  }
  return [...rows.values()].map(({ row, values }) => {
    if (row.runs > 0) for (const m of TABLE_METRICS) row.metrics[m] = stats(values[m]);
    return row;
  });
}

/** The json form of `aelab sweep table`: swept parameters under their dotted paths, `runs`, and per metric its stats. */
export function tableJson(rows: readonly TableRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({ ...r.setting, runs: r.runs, ...r.metrics }));
}

function cell(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Header and cells: the swept values, runs, then `mean ± std` per metric (empty without runs). */
export function tableCells(parameters: readonly string[], rows: readonly TableRow[], digits = 4): string[][] {
  const header = [...parameters, 'runs', ...TABLE_METRICS];
  const body = rows.map((r) => [
    ...parameters.map((p) => cell(r.setting[p])),
    String(r.runs),
    ...TABLE_METRICS.map((m) => {
      const s = r.metrics[m];
      if (!s) return '';
      return r.runs > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
    }),
  ]);
  return [header, ...body];
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with separate mean/std/min/max columns per metric (numbers, for spreadsheets). */
export function tableCsv(parameters: readonly string[], rows: readonly TableRow[]): string {
  const header = [...parameters, 'runs', ...TABLE_METRICS.flatMap((m) => [`${m}_mean`, `${m}_std`, `${m}_min`, `${m}_max`])];
  const lines = rows.map((r) => [
    ...parameters.map((p) => cell(r.setting[p])),
    String(r.runs),
    ...TABLE_METRICS.flatMap((m) => {
      const s = r.metrics[m];
      return s ? [s.mean, s.std, s.min, s.max].map(String) : ['', '', '', ''];
    }),
  ]);
  return [header, ...lines].map((l) => l.map(csvField).join(',')).join('\n') + '\n';
}

export function tableMarkdown(parameters: readonly string[], rows: readonly TableRow[]): string {
  const [header, ...body] = tableCells(parameters, rows);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| ${header.map(esc).join(' | ')} |`, `|${header.map((_, i) => (i < parameters.length ? '---' : '---:')).join('|')}|`];
  for (const r of body) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n') + '\n';
}
