// The experiments table of a study: one row per run, or per setting grouped over seeds (mean ±
// std), a column for every parameter that differs between the runs and one per metric. Numbers
// are the runs' own summary.json values; grouping only averages them. What the table shows
// (sorted, filtered, columns hidden) is computed once here and exported from the same cells.
import type { ResolvedExperiment } from '../experiment.generated';
import type { RunSummary } from '../runFormat';
import { stats } from '../sweep/table';

export type ParamValue = string | number | boolean | undefined;

/** A completed run as the study sees it (webview-safe: no paths needed). */
export interface StudyRun {
  runId: string;
  experiment: ResolvedExperiment;
  summary: RunSummary;
}

export const STUDY_METRICS = [
  { key: 'auroc', label: 'AUROC', digits: 4, of: (s: RunSummary) => s.auroc },
  { key: 'averagePrecision', label: 'AP', digits: 4, of: (s: RunSummary) => s.averagePrecision },
  { key: 'precision', label: 'precision', digits: 4, of: (s: RunSummary) => s.operatingPoint.precision },
  { key: 'recall', label: 'recall', digits: 4, of: (s: RunSummary) => s.operatingPoint.recall },
  { key: 'f1', label: 'F1', digits: 4, of: (s: RunSummary) => s.operatingPoint.f1 },
  { key: 'bestEpoch', label: 'best epoch', digits: 0, of: (s: RunSummary) => s.bestEpoch },
  { key: 'trainSeconds', label: 'train s', digits: 1, of: (s: RunSummary) => s.trainSeconds },
] as const;
export type MetricKey = (typeof STUDY_METRICS)[number]['key'];

/** Parameters never shown as columns: the name labels the row, and the seed is what groups repeat. */
const NOT_PARAMETERS = new Set(['name', 'description']);

/** The experiment as dotted paths (`corruption.level` -> 0.2); lists become their JSON text. */
export function flattenParameters(experiment: ResolvedExperiment): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, prefix ? `${prefix}.${k}` : k);
    } else if (!NOT_PARAMETERS.has(prefix)) {
      out[prefix] = Array.isArray(value) ? JSON.stringify(value) : (value as ParamValue);
    }
  };
  walk(experiment, '');
  return out;
}

/** Dotted paths whose values are not the same in every run, in a stable order. */
export function differingParameters(runs: readonly StudyRun[]): string[] {
  const flat = runs.map((r) => flattenParameters(r.experiment));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return keys.filter((k) => new Set(flat.map((f) => String(f[k]))).size > 1);
}

export interface MetricCell { mean: number; std: number; min: number; max: number; n: number }

export interface StudyRow {
  /** Stable id: the run id, or the setting's parameters for a group. */
  id: string;
  /** Experiment name(s) of the runs behind the row. */
  label: string;
  runIds: string[];
  params: Record<string, ParamValue>;
  metrics: Record<MetricKey, MetricCell>;
  /** Parameters whose value here differs from the most common one (highlighted). */
  changed: string[];
}

export interface StudyColumn { key: string; label: string; kind: 'label' | 'param' | 'metric' | 'count' }

export interface StudyTable { columns: StudyColumn[]; rows: StudyRow[]; grouped: boolean }

/** Mean, sample standard deviation (n - 1; 0 for one value), min and max: the sweep table's statistics. */
export function describe(values: readonly number[]): MetricCell {
  if (values.length === 0) return { mean: NaN, std: 0, min: NaN, max: NaN, n: 0 };
  return { ...stats(values), n: values.length };
}

function mostCommon(values: ParamValue[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

export function buildStudyTable(runs: readonly StudyRun[], options: { groupBySeed?: boolean } = {}): StudyTable {
  const grouped = options.groupBySeed ?? false;
  const params = differingParameters(runs).filter((k) => !(grouped && k === 'seed'));
  const groups = new Map<string, StudyRun[]>();
  for (const run of runs) {
    const flat = flattenParameters(run.experiment);
    const key = grouped ? JSON.stringify([run.experiment.name, ...params.map((p) => flat[p])]) : run.runId;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows: StudyRow[] = [...groups.entries()].map(([id, members]) => {
    const flat = flattenParameters(members[0].experiment);
    const metrics = {} as Record<MetricKey, MetricCell>;
    for (const m of STUDY_METRICS) metrics[m.key] = describe(members.map((r) => m.of(r.summary)));
    return {
      id, label: [...new Set(members.map((r) => r.experiment.name))].join(', '), runIds: members.map((r) => r.runId),
      params: Object.fromEntries(params.map((p) => [p, flat[p]])), metrics, changed: [],
    };
  });
  for (const p of params) {
    const common = mostCommon(rows.map((r) => r.params[p]));
    for (const r of rows) if (String(r.params[p]) !== common) r.changed.push(p);
  }
  const columns: StudyColumn[] = [
    { key: 'label', label: grouped ? 'experiment' : 'run', kind: 'label' },
    ...params.map((p) => ({ key: p, label: p, kind: 'param' as const })),
    ...(grouped ? [{ key: 'runs', label: 'runs', kind: 'count' as const }] : []),
    ...STUDY_METRICS.map((m) => ({ key: m.key, label: m.label, kind: 'metric' as const })),
  ];
  return { columns, rows, grouped };
}

export function formatMetric(key: MetricKey, cell: MetricCell): string {
  const digits = STUDY_METRICS.find((m) => m.key === key)?.digits ?? 4;
  if (!Number.isFinite(cell.mean)) return '';
  return cell.n > 1 ? `${cell.mean.toFixed(digits)} ± ${cell.std.toFixed(digits)}` : cell.mean.toFixed(digits);
}

/** The text of one cell, as the table shows it and every export writes it. */
export function cellText(table: StudyTable, row: StudyRow, column: StudyColumn): string {
  switch (column.kind) {
    case 'label': return table.grouped ? row.label : `${row.label} ${row.runIds[0]}`;
    case 'count': return String(row.runIds.length);
    case 'param': { const v = row.params[column.key]; return v === undefined ? '' : String(v); }
    case 'metric': return formatMetric(column.key as MetricKey, row.metrics[column.key as MetricKey]);
  }
}

/** Sort key of a cell: metrics by mean, numeric parameters as numbers, the rest as text. */
function sortValue(row: StudyRow, column: StudyColumn): number | string {
  if (column.kind === 'metric') return row.metrics[column.key as MetricKey].mean;
  if (column.kind === 'count') return row.runIds.length;
  if (column.kind === 'param') { const v = row.params[column.key]; return typeof v === 'number' ? v : String(v ?? ''); }
  return row.label + row.runIds[0];
}

export interface TableView {
  sort?: { key: string; descending: boolean };
  /** Case-insensitive text every shown row contains in some shown cell. */
  filter?: string;
  hidden?: string[];
}

export interface ShownTable {
  columns: StudyColumn[];
  rows: StudyRow[];
  cells: string[][];
}

/** Exactly what the table shows for this view: the panel renders it and the exports write it. */
export function shownTable(table: StudyTable, view: TableView = {}): ShownTable {
  const hidden = new Set(view.hidden ?? []);
  const columns = table.columns.filter((c) => !hidden.has(c.key));
  let rows = [...table.rows];
  const needle = view.filter?.trim().toLowerCase();
  if (needle) rows = rows.filter((r) => columns.some((c) => cellText(table, r, c).toLowerCase().includes(needle)));
  const sortColumn = view.sort && table.columns.find((c) => c.key === view.sort?.key);
  if (sortColumn && view.sort) {
    const sign = view.sort.descending ? -1 : 1;
    rows.sort((a, b) => {
      const va = sortValue(a, sortColumn), vb = sortValue(b, sortColumn);
      const cmp = typeof va === 'number' && typeof vb === 'number'
        ? (Number.isNaN(va) ? 1 : Number.isNaN(vb) ? -1 : va - vb)
        : String(va).localeCompare(String(vb), undefined, { numeric: true });
      return sign * cmp;
    });
  }
  return { columns, rows, cells: rows.map((r) => columns.map((c) => cellText(table, r, c))) };
}
