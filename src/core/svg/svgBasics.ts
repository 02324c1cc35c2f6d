// Small SVG building blocks shared by every chart: escaping, number formatting, nice ticks and
// scales. Pure string building (no DOM), so the same figures render in Node (report) and in a
// webview.

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A short, readable label for an axis tick or a value. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

/** About `count` round-numbered ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [lo, hi] (lo > 0). */
export function logTicks(lo: number, hi: number): number[] {
  // Powers of ten; over less than ~two decades also 2x and 5x them, so there are ticks to read.
  for (const mantissas of [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]]) {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const t = Number((m * 10 ** e).toPrecision(6));
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
      }
    }
    if (ticks.length >= 3) return ticks;
  }
  return [lo, hi];
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
  ticks: number[];
}

export function linearScale(lo: number, hi: number, from: number, to: number, tickCount = 5): Scale {
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const f = ((v: number) => from + ((v - lo) / (hi - lo)) * (to - from)) as Scale;
  f.domain = [lo, hi];
  f.ticks = niceTicks(lo, hi, tickCount);
  return f;
}

export function logScale(lo: number, hi: number, from: number, to: number): Scale {
  if (!(lo > 0)) throw new RangeError(`a log scale needs a positive lower bound, got ${lo}`);
  if (!(hi > lo)) hi = lo * 10;
  const l0 = Math.log10(lo), l1 = Math.log10(hi);
  const f = ((v: number) => from + ((Math.log10(Math.max(v, lo)) - l0) / (l1 - l0)) * (to - from)) as Scale;
  f.domain = [lo, hi];
  f.ticks = logTicks(lo, hi);
  return f;
}

/** Colours of a light printable figure; the webviews pass their theme's. */
export interface ChartTheme {
  background: string;
  foreground: string;
  grid: string;
  fontFamily: string;
  series: string[];
  normal: string;
  anomalous: string;
  threshold: string;
}

export const LIGHT_THEME: ChartTheme = {
  background: '#ffffff',
  foreground: '#222222',
  grid: '#dddddd',
  fontFamily: 'DejaVu Sans, Arial, Helvetica, sans-serif',
  series: ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'],
  normal: '#1f77b4',
  anomalous: '#d62728',
  threshold: '#111111',
};

export const n2 = (v: number) => Number(v.toFixed(2));

/** The outer <svg> with a background and a title. */
export function svgDocument(width: number, height: number, theme: ChartTheme, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(theme.fontFamily)}" font-size="12">`
    + `<title>${escapeXml(title)}</title><rect width="${width}" height="${height}" fill="${theme.background}"/>`
    + `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold" fill="${theme.foreground}">${escapeXml(title)}</text>`
    + body + '</svg>';
}

export interface PlotArea { left: number; top: number; right: number; bottom: number }

/** Grid lines, tick labels and axis titles for an x/y plot. */
export function axes(area: PlotArea, x: Scale, y: Scale, theme: ChartTheme, xLabel: string, yLabel: string, xTickLabels?: (v: number) => string): string {
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = n2(y(t));
    parts.push(`<line x1="${area.left}" x2="${area.right}" y1="${py}" y2="${py}" stroke="${theme.grid}"/>`);
    parts.push(`<text x="${area.left - 6}" y="${py + 4}" text-anchor="end" fill="${theme.foreground}">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of x.ticks) {
    const px = n2(x(t));
    parts.push(`<line x1="${px}" x2="${px}" y1="${area.top}" y2="${area.bottom}" stroke="${theme.grid}"/>`);
    parts.push(`<text x="${px}" y="${area.bottom + 16}" text-anchor="middle" fill="${theme.foreground}">${escapeXml(xTickLabels ? xTickLabels(t) : formatTick(t))}</text>`);
  }
  parts.push(`<rect x="${area.left}" y="${area.top}" width="${area.right - area.left}" height="${area.bottom - area.top}" fill="none" stroke="${theme.foreground}"/>`);
  parts.push(`<text x="${(area.left + area.right) / 2}" y="${area.bottom + 34}" text-anchor="middle" fill="${theme.foreground}">${escapeXml(xLabel)}</text>`);
  const cy = (area.top + area.bottom) / 2;
  parts.push(`<text x="14" y="${cy}" text-anchor="middle" transform="rotate(-90 14 ${cy})" fill="${theme.foreground}">${escapeXml(yLabel)}</text>`);
  return parts.join('');
}

/** One legend entry per item, in rows under the title that wrap at `maxX`. */
export function legend(items: { label: string; color: string; dashed?: boolean }[], x: number, y: number, theme: ChartTheme, maxX = Infinity): { svg: string; rows: number } {
  let cx = x, cy = y, rows = items.length > 0 ? 1 : 0;
  const svg = items.map((item) => {
    const width = 30 + item.label.length * 7.4;
    if (cx > x && cx + width > maxX) {
      cx = x;
      cy += 16;
      rows++;
    }
    const s = `<line x1="${cx}" x2="${cx + 18}" y1="${cy - 4}" y2="${cy - 4}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="4 3"' : ''}/>`
      + `<text x="${cx + 22}" y="${cy}" fill="${theme.foreground}">${escapeXml(item.label)}</text>`;
    cx += width;
    return s;
  }).join('');
  return { svg, rows };
}
