// uPlot helpers: charts sized to their container, theme-coloured axes, a card with a title and an
// export button, and PNG export that adds the title and legend (uPlot keeps those in the DOM).
import uPlot from 'uplot';
import { lineChart } from '../../core/svg/charts';
import { h } from './dom';
import { withExportCopy } from './exportRenderer';
import type { ThemeColors } from './theme';

export const CHART_HEIGHT = 240;

export function themedAxes(theme: ThemeColors, xLabel: string, yLabel: string): uPlot.Axis[] {
  const axis = (label: string): uPlot.Axis => ({
    label,
    stroke: theme.foreground,
    font: theme.font,
    labelFont: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
  });
  // uPlot rounds tick labels to the increment's decimals, which repeats labels for small scores
  // (0.001, 0.001, 0.002...): three significant digits keep neighbours apart.
  const x: uPlot.Axis = { ...axis(xLabel), values: (_u, splits) => splits.map((v) => (v == null ? '' : Number(v.toPrecision(3)).toString())) };
  return [x, axis(yLabel)];
}

/** Axes for a chart over epochs: whole-number ticks only. */
export function epochAxes(theme: ThemeColors, yLabel: string): uPlot.Axis[] {
  const [x, y] = themedAxes(theme, 'epoch', yLabel);
  return [{ ...x, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, y];
}

/** Each chart's options, so an export can draw it again at pixel ratio 2. */
const CHART_OPTIONS = new WeakMap<uPlot, uPlot.Options>();

/** A uPlot chart that follows its container's width. */
export class Chart {
  readonly plot: uPlot;
  private readonly resize: ResizeObserver;

  constructor(readonly container: HTMLElement, options: Omit<uPlot.Options, 'width' | 'height'> & { height?: number }, data: uPlot.AlignedData) {
    const width = Math.max(200, container.clientWidth || 400);
    // A static legend: live values under the cursor read as "--" most of the time.
    const legend: uPlot.Legend = { live: false, ...options.legend };
    const full = { ...options, legend, width, height: options.height ?? CHART_HEIGHT };
    this.plot = new uPlot(full, data, container);
    CHART_OPTIONS.set(this.plot, full);
    let lastWidth = width;
    this.resize = new ResizeObserver(() => {
      const w = Math.max(200, container.clientWidth);
      if (w !== lastWidth) {
        lastWidth = w;
        this.plot.setSize({ width: w, height: this.plot.height });
      }
    });
    this.resize.observe(container);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }
}

export interface ChartCard {
  root: HTMLElement;
  title: HTMLElement;
  tools: HTMLElement;
  body: HTMLElement;
  footer: HTMLElement;
}

export type ChartFormat = 'png' | 'svg';

/** PNG and SVG export buttons of a chart card (ids `${id}-png`, `${id}-svg`). */
export function exportButtons(id: string, onExport: (format: ChartFormat) => void): HTMLElement[] {
  return (['png', 'svg'] as const).map((format) => {
    const button = h('vscode-button', { appearance: 'secondary', id: `${id}-${format}`, title: `Save the chart as ${format.toUpperCase()}` }, format.toUpperCase());
    button.addEventListener('click', () => onExport(format));
    return button;
  });
}

export function chartCard(id: string, title: string): ChartCard {
  const titleEl = h('h3', { class: 'card-title' }, title);
  const tools = h('div', { class: 'card-tools' });
  const body = h('div', { class: 'chart-body', id: `${id}-chart` });
  const footer = h('div', { class: 'card-footer' });
  const root = h('section', { class: 'card', id }, h('header', { class: 'card-header' }, titleEl, tools), body, footer);
  return { root, title: titleEl, tools, body, footer };
}

function seriesColor(u: uPlot, i: number): string {
  const stroke = u.series[i].stroke as unknown;
  if (typeof stroke === 'function') return String((stroke as (u: uPlot, i: number) => unknown)(u, i));
  return typeof stroke === 'string' ? stroke : '#888';
}

/** The chart as a PNG (base64, no data: prefix) at pixel ratio 2 or more, with title and legend drawn in. */
export async function chartPngBase64(u: uPlot, title: string, theme: ThemeColors): Promise<string> {
  const options = CHART_OPTIONS.get(u);
  return options ? withExportCopy(u, options, (copy) => canvasPng(copy, title, theme)) : canvasPng(u, title, theme);
}

/** The chart as SVG: its series as vector lines, the axes, title and legend (markers drawn by hooks are not included). */
export function chartSvg(u: uPlot, title: string, theme: ThemeColors): string {
  const xs = u.data[0] as ArrayLike<number>;
  const series = [];
  for (let i = 1; i < u.series.length; i++) {
    const s = u.series[i];
    if (s.show === false) continue;
    const ys = u.data[i] as ArrayLike<number | null | undefined>;
    const points: [number, number][] = [];
    for (let k = 0; k < xs.length; k++) {
      const y = ys[k];
      if (y !== null && y !== undefined && Number.isFinite(y)) points.push([xs[k], y]);
    }
    series.push({ name: String(s.label ?? `series ${i}`), points, dashed: Array.isArray(s.dash) && s.dash.length > 0, color: seriesColor(u, i) });
  }
  const svgTheme = { background: theme.background, foreground: theme.foreground, grid: theme.grid, fontFamily: theme.font.replace(/^\d+px\s*/, ''), series: series.map((s) => s.color), normal: theme.normal, anomalous: theme.anomalous, threshold: theme.threshold };
  return lineChart({
    title, xLabel: String(u.axes[0]?.label ?? ''), yLabel: String(u.axes[1]?.label ?? ''), series, width: Math.max(480, u.width), height: Math.max(280, u.height + 60),
    logX: u.scales.x?.distr === 3, logY: u.scales.y?.distr === 3, theme: svgTheme,
  });
}

function canvasPng(u: uPlot, title: string, theme: ThemeColors): string {
  const src = u.ctx.canvas;
  const dpr = src.width / Math.max(1, u.width);
  const titleHeight = Math.round(26 * dpr);
  const legendHeight = Math.round(22 * dpr);
  const out = document.createElement('canvas');
  out.width = src.width;
  out.height = src.height + titleHeight + legendHeight;
  const ctx = out.getContext('2d');
  if (!ctx) throw new Error('no 2d context');
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = theme.foreground;
  ctx.font = `bold ${Math.round(13 * dpr)}px sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, 8 * dpr, titleHeight / 2);
  ctx.drawImage(src, 0, titleHeight);
  ctx.font = `${Math.round(11 * dpr)}px sans-serif`;
  let x = 8 * dpr;
  const y = titleHeight + src.height + legendHeight / 2;
  for (let i = 1; i < u.series.length; i++) {
    const s = u.series[i];
    if (s.show === false || !s.label) continue;
    ctx.fillStyle = seriesColor(u, i);
    ctx.fillRect(x, y - 4 * dpr, 12 * dpr, 8 * dpr);
    ctx.fillStyle = theme.foreground;
    const label = String(s.label);
    ctx.fillText(label, x + 16 * dpr, y);
    x += 16 * dpr + ctx.measureText(label).width + 14 * dpr;
  }
  return out.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}

export const MARKER_LABEL_FONT = 10;

/** Where a marker label goes (CSS px from the plot's left): right of the line, or left of it near the right edge. */
export function markerLabelSpan(u: uPlot, value: number, label: string, offset = 3): { left: number; right: number } | undefined {
  const x = u.valToPos(value, 'x');
  const plotWidth = u.bbox.width / (u.ctx.canvas.width / Math.max(1, u.width));
  if (!Number.isFinite(x) || x < -0.5 || x > plotWidth + 0.5) return undefined;
  u.ctx.save();
  u.ctx.font = `${MARKER_LABEL_FONT}px sans-serif`;
  const w = u.ctx.measureText(label).width;
  u.ctx.restore();
  const left = x + offset + w > plotWidth ? x - offset - w : x + offset;
  return { left, right: left + w };
}

/** Draws a vertical line across the plotting area at x value `value` (inside a draw hook). */
export function drawVerticalLine(u: uPlot, value: number, color: string, opts: { dash?: number[]; width?: number; label?: string; labelRow?: number; labelLeft?: number } = {}): void {
  const x = u.valToPos(value, 'x', true);
  const { left, top, width, height } = u.bbox;
  if (!Number.isFinite(x) || x < left - 0.5 || x > left + width + 0.5) return;
  const dpr = u.ctx.canvas.width / Math.max(1, u.width);
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = (opts.width ?? 1) * dpr;
  ctx.setLineDash((opts.dash ?? []).map((d) => d * dpr));
  ctx.beginPath();
  ctx.moveTo(Math.round(x) + 0.5, top);
  ctx.lineTo(Math.round(x) + 0.5, top + height);
  ctx.stroke();
  if (opts.label) {
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.font = `${Math.round(10 * dpr)}px sans-serif`;
    ctx.textBaseline = 'top';
    // uPlot leaves the axes' alignment ('right', 'center') on the context: labels are laid out left-aligned.
    ctx.textAlign = 'left';
    const textWidth = ctx.measureText(opts.label).width;
    const tx = opts.labelLeft !== undefined ? left + opts.labelLeft * dpr : x + 3 * dpr + textWidth > left + width ? x - 3 * dpr - textWidth : x + 3 * dpr;
    ctx.fillText(opts.label, tx, top + 2 * dpr + (opts.labelRow ?? 0) * 12 * dpr);
  }
  ctx.restore();
}

/** Draws a dot at (x, y) in scale values (inside a draw hook). */
export function drawPoint(u: uPlot, x: number, y: number, color: string, ring: string): void {
  const px = u.valToPos(x, 'x', true);
  const py = u.valToPos(y, 'y', true);
  if (!Number.isFinite(px) || !Number.isFinite(py)) return;
  const dpr = u.ctx.canvas.width / Math.max(1, u.width);
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.arc(px, py, 5 * dpr, 0, 2 * Math.PI);
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 2 * dpr;
  ctx.strokeStyle = ring;
  ctx.stroke();
  ctx.restore();
}
