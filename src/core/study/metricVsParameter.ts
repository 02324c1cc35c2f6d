// Metric-versus-parameter series: one line per value of the series parameter, one point per
// value of the x parameter, the mean over the runs there (seeds) with a min-max or ± std band.
import type { LineSeries } from '../svg/charts';
import { describe, flattenParameters, MetricKey, ParamValue, STUDY_METRICS, StudyRun } from './studyTable';

export interface MetricVsParameterOptions {
  x: string;
  metric: MetricKey;
  /** Parameter that splits the runs into lines; none: one line. */
  series?: string;
  band?: 'min-max' | 'std';
}

export interface MetricVsParameter {
  series: LineSeries[];
  /** Set when x is not numeric: x = index into these names. */
  xCategories?: string[];
  xLabel: string;
  yLabel: string;
}

export function metricVsParameter(runs: readonly StudyRun[], o: MetricVsParameterOptions): MetricVsParameter {
  const metric = STUDY_METRICS.find((m) => m.key === o.metric);
  if (!metric) throw new Error(`unknown metric "${o.metric}"`);
  const rows = runs.map((r) => ({ flat: flattenParameters(r.experiment), value: metric.of(r.summary) }));
  const xValues = rows.map((r) => r.flat[o.x]);
  const numeric = xValues.every((v) => typeof v === 'number');
  const xCategories = numeric ? undefined : [...new Set(xValues.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const xOf = (v: ParamValue) => (numeric ? (v as number) : (xCategories as string[]).indexOf(String(v)));
  const bySeries = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    const name = o.series ? `${o.series} = ${String(r.flat[o.series])}` : metric.label;
    const points = bySeries.get(name) ?? new Map<number, number[]>();
    const x = xOf(r.flat[o.x]);
    points.set(x, [...(points.get(x) ?? []), r.value]);
    bySeries.set(name, points);
  }
  const series: LineSeries[] = [...bySeries.entries()].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true })).map(([name, points]) => {
    const xs = [...points.keys()].sort((a, b) => a - b);
    const stats = xs.map((x) => ({ x, d: describe(points.get(x) as number[]) }));
    const withBand = stats.some((s) => s.d.n > 1);
    return {
      name,
      points: stats.map((s) => [s.x, s.d.mean] as [number, number]),
      band: withBand ? stats.map((s) => (o.band === 'std' ? [s.x, s.d.mean - s.d.std, s.d.mean + s.d.std] : [s.x, s.d.min, s.d.max]) as [number, number, number]) : undefined,
    };
  });
  return { series, xCategories, xLabel: o.x, yLabel: `${metric.label} (mean${series.some((s) => s.band) ? `, band: ${o.band ?? 'min-max'} over seeds` : ''})` };
}
