// The figures of the report and the study panel as SVG strings: line charts (loss curves,
// metric vs parameter with a band over seeds), error histograms with threshold markers, the
// confusion matrix, grouped bars (per-digit AUROC beside published results) and sample grids.
import {
  axes, ChartTheme, escapeXml, formatTick, legend, LIGHT_THEME, linearScale, logScale, n2, PlotArea, Scale, svgDocument,
} from './svgBasics';

export interface LineSeries {
  name: string;
  points: [number, number][];
  /** [x, low, high]: a shaded band (min-max or ± std over seeds). */
  band?: [number, number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  logY?: boolean;
  logX?: boolean;
  /** Category names for x = 0, 1, 2... (a parameter with non-numeric values). */
  xCategories?: string[];
  /** A dot at every point (default); off for dense curves, where the line says it all. */
  markers?: boolean;
  theme?: ChartTheme;
}

function plotArea(width: number, height: number, legendRows: number): PlotArea {
  return { left: 64, top: 30 + legendRows * 16, right: width - 16, bottom: height - 44 };
}

function finite(values: number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

export function lineChart(o: LineChartOptions): string {
  const theme = o.theme ?? LIGHT_THEME;
  const width = o.width ?? 640, height = o.height ?? 360;
  const key = legend(o.series.map((s, i) => ({ label: s.name, color: theme.series[i % theme.series.length], dashed: s.dashed })), 64, 40, theme, width - 16);
  const area = plotArea(width, height, key.rows);
  const xs = finite(o.series.flatMap((s) => s.points.map((p) => p[0])));
  const ys = finite(o.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]));
  if (o.logY) ys.splice(0, ys.length, ...ys.filter((v) => v > 0));
  const xMin = xs.length ? Math.min(...xs) : 0, xMax = xs.length ? Math.max(...xs) : 1;
  const yMin = ys.length ? Math.min(...ys) : 0, yMax = ys.length ? Math.max(...ys) : 1;
  const pad = o.xCategories ? 0.5 : 0;
  const xPositive = xs.filter((v) => v > 0);
  const x: Scale = o.logX && xPositive.length ? logScale(Math.min(...xPositive), Math.max(...xPositive), area.left, area.right) : linearScale(xMin - pad, xMax + pad, area.left, area.right);
  if (o.xCategories) x.ticks = o.xCategories.map((_, i) => i);
  const y: Scale = o.logY && yMin > 0 ? logScale(yMin, yMax, area.bottom, area.top) : linearScale(yMin, yMax, area.bottom, area.top);
  const parts = [axes(area, x, y, theme, o.xLabel, o.yLabel, o.xCategories ? (v) => o.xCategories?.[v] ?? '' : undefined)];
  o.series.forEach((s, i) => {
    const color = theme.series[i % theme.series.length];
    if (s.band && s.band.length > 0) {
      const top = s.band.map((b) => `${n2(x(b[0]))},${n2(y(b[2]))}`);
      const bottom = [...s.band].reverse().map((b) => `${n2(x(b[0]))},${n2(y(b[1]))}`);
      parts.push(`<polygon points="${[...top, ...bottom].join(' ')}" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
    }
    const pts = s.points.filter((p) => Number.isFinite(p[1])).map((p) => `${n2(x(p[0]))},${n2(y(p[1]))}`);
    if (pts.length > 1) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    if (o.markers !== false) for (const p of pts) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`);
  });
  parts.push(key.svg);
  return svgDocument(width, height, theme, o.title, parts.join(''));
}

export interface HistogramChartOptions {
  title: string;
  edges: number[];
  normal: number[];
  anomalous: number[];
  /** Vertical markers; the chosen one is drawn solid, the others dashed. */
  thresholds: { label: string; value: number; chosen?: boolean }[];
  logX?: boolean;
  xLabel?: string;
  width?: number;
  height?: number;
  theme?: ChartTheme;
}

/** Normal and anomalous score counts per bin (overlaid, translucent) with threshold lines. */
export function histogramChart(o: HistogramChartOptions): string {
  const theme = o.theme ?? LIGHT_THEME;
  const width = o.width ?? 640, height = o.height ?? 360;
  const area = plotArea(width, height, 1);
  const lo = o.edges[0], hi = o.edges[o.edges.length - 1];
  const x = o.logX && lo > 0 ? logScale(lo, hi, area.left, area.right) : linearScale(lo, hi, area.left, area.right);
  const yMax = Math.max(1, ...o.normal, ...o.anomalous);
  const y = linearScale(0, yMax, area.bottom, area.top);
  const parts = [axes(area, x, y, theme, o.xLabel ?? 'anomaly score', 'test images')];
  const bars = (counts: number[], color: string, cls: string) => counts.map((c, i) => {
    if (c === 0) return '';
    const x0 = n2(x(o.edges[i])), x1 = n2(x(o.edges[i + 1]));
    const top = n2(y(c));
    return `<rect class="${cls}" x="${x0}" y="${top}" width="${Math.max(0.5, n2(x1 - x0))}" height="${n2(area.bottom - top)}" fill="${color}" fill-opacity="0.55"/>`;
  }).join('');
  parts.push(bars(o.normal, theme.normal, 'normal'), bars(o.anomalous, theme.anomalous, 'anomalous'));
  // Labels step down one line each, so thresholds close together stay readable.
  o.thresholds.filter((t) => Number.isFinite(t.value) && t.value >= x.domain[0] && t.value <= x.domain[1]).forEach((t, i) => {
    const px = n2(x(t.value));
    parts.push(`<line class="threshold" x1="${px}" x2="${px}" y1="${area.top}" y2="${area.bottom}" stroke="${theme.threshold}" stroke-width="${t.chosen ? 2 : 1}"${t.chosen ? '' : ' stroke-dasharray="4 3"'}/>`);
    parts.push(`<text x="${px + 3}" y="${area.top + 12 + i * 12}" fill="${theme.threshold}" font-size="10">${escapeXml(t.label)}</text>`);
  });
  parts.push(legend([{ label: 'normal', color: theme.normal }, { label: 'anomalous', color: theme.anomalous }, { label: 'chosen threshold', color: theme.threshold }], area.left, 40, theme).svg);
  return svgDocument(width, height, theme, o.title, parts.join(''));
}

export interface ConfusionOptions {
  title: string;
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  theme?: ChartTheme;
}

/** 2x2 matrix, rows = actual (anomalous, normal), columns = predicted. */
export function confusionMatrixChart(o: ConfusionOptions): string {
  const theme = o.theme ?? LIGHT_THEME;
  const width = 360, height = 260, cell = 90, left = 150, top = 60;
  const total = Math.max(1, o.tp + o.fn + o.fp + o.tn);
  const cells: [string, number, number, number, boolean][] = [
    ['TP', o.tp, 0, 0, true], ['FN', o.fn, 1, 0, false], ['FP', o.fp, 0, 1, false], ['TN', o.tn, 1, 1, true],
  ];
  const parts = cells.map(([name, count, col, row, correct]) => {
    const cx = left + col * cell, cy = top + row * cell;
    const alpha = n2(0.12 + 0.7 * (count / total));
    return `<rect x="${cx}" y="${cy}" width="${cell}" height="${cell}" fill="${correct ? theme.series[2] : theme.anomalous}" fill-opacity="${alpha}" stroke="${theme.foreground}"/>`
      + `<text x="${cx + cell / 2}" y="${cy + 38}" text-anchor="middle" font-size="16" font-weight="bold" fill="${theme.foreground}">${count}</text>`
      + `<text x="${cx + cell / 2}" y="${cy + 58}" text-anchor="middle" fill="${theme.foreground}">${name}</text>`;
  });
  parts.push(`<text x="${left + cell}" y="${top - 22}" text-anchor="middle" fill="${theme.foreground}">predicted</text>`);
  parts.push(`<text x="${left + cell / 2}" y="${top - 6}" text-anchor="middle" fill="${theme.foreground}">anomalous</text>`);
  parts.push(`<text x="${left + 1.5 * cell}" y="${top - 6}" text-anchor="middle" fill="${theme.foreground}">normal</text>`);
  parts.push(`<text x="${left - 8}" y="${top + cell / 2 + 4}" text-anchor="end" fill="${theme.foreground}">actual anomalous</text>`);
  parts.push(`<text x="${left - 8}" y="${top + 1.5 * cell + 4}" text-anchor="end" fill="${theme.foreground}">actual normal</text>`);
  return svgDocument(width, height, theme, o.title, parts.join(''));
}

export interface BarGroup {
  name: string;
  values: (number | undefined)[];
  /** Outlined bars with a "published" note: numbers from a paper, not measured here. */
  published?: boolean;
}

export interface BarChartOptions {
  title: string;
  categories: string[];
  groups: BarGroup[];
  xLabel: string;
  yLabel: string;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  theme?: ChartTheme;
}

export function barChart(o: BarChartOptions): string {
  const theme = o.theme ?? LIGHT_THEME;
  const width = o.width ?? 720, height = o.height ?? 360;
  const key = legend(o.groups.map((g, gi) => ({ label: g.published ? `${g.name} (published)` : g.name, color: theme.series[gi % theme.series.length], dashed: g.published })), 64, 40, theme, width - 16);
  const area = plotArea(width, height, key.rows);
  const values = o.groups.flatMap((g) => g.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const y = linearScale(o.yMin ?? Math.min(0, ...values), o.yMax ?? Math.max(1e-9, ...values), area.bottom, area.top);
  const x = linearScale(-0.5, o.categories.length - 0.5, area.left, area.right);
  x.ticks = o.categories.map((_, i) => i);
  const parts = [axes(area, x, y, theme, o.xLabel, o.yLabel, (v) => o.categories[v] ?? '')];
  const slot = (area.right - area.left) / Math.max(1, o.categories.length);
  const barWidth = (slot * 0.8) / Math.max(1, o.groups.length);
  o.groups.forEach((g, gi) => {
    const color = theme.series[gi % theme.series.length];
    g.values.forEach((v, ci) => {
      if (v === undefined || !Number.isFinite(v)) return;
      const x0 = n2(x(ci) - slot * 0.4 + gi * barWidth);
      const top = n2(y(Math.max(v, y.domain[0])));
      const fill = g.published ? `fill="${color}" fill-opacity="0.15" stroke="${color}" stroke-dasharray="3 2"` : `fill="${color}" fill-opacity="0.85"`;
      parts.push(`<rect x="${x0}" y="${top}" width="${n2(barWidth - 1)}" height="${n2(area.bottom - top)}" ${fill}><title>${escapeXml(`${g.name}, ${o.categories[ci]}: ${formatTick(v)}`)}</title></rect>`);
    });
  });
  parts.push(key.svg);
  return svgDocument(width, height, theme, o.title, parts.join(''));
}

export interface SampleGridRow {
  label: string;
  /** One image reference (URL or data: URI) per column. */
  images: string[];
}

/** Rows of images (original / corrupted / reconstruction / difference) with column titles. */
export function sampleGridChart(o: { title: string; columns: string[]; rows: SampleGridRow[]; cell?: number; theme?: ChartTheme }): string {
  const theme = o.theme ?? LIGHT_THEME;
  const cell = o.cell ?? 84, labelWidth = 250, top = 48, gap = 8;
  const width = labelWidth + o.columns.length * (cell + gap) + 10;
  const height = top + o.rows.length * (cell + gap) + 8;
  const parts: string[] = o.columns.map((c, i) => `<text x="${labelWidth + i * (cell + gap) + cell / 2}" y="${top - 8}" text-anchor="middle" fill="${theme.foreground}">${escapeXml(c)}</text>`);
  o.rows.forEach((row, r) => {
    const y = top + r * (cell + gap);
    parts.push(`<text x="${labelWidth - 8}" y="${y + cell / 2 + 4}" text-anchor="end" fill="${theme.foreground}">${escapeXml(row.label)}</text>`);
    row.images.forEach((href, c) => {
      parts.push(`<image x="${labelWidth + c * (cell + gap)}" y="${y}" width="${cell}" height="${cell}" image-rendering="pixelated" preserveAspectRatio="none" href="${escapeXml(href)}"/>`);
    });
  });
  return svgDocument(width, height, theme, o.title, parts.join(''));
}
