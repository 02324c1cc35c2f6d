// Number formatting shared by the panels.

export function fmtRate(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3);
}

/** Scores span orders of magnitude (MSE ~1e-3): significant digits, not decimals. */
export function fmtScore(x: number | undefined): string {
  if (x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-4 ? x.toExponential(3) : Number(x.toPrecision(4)).toString();
}

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function fmtSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '–';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/** A threshold rounded for display and for writing into YAML: what is saved is what is shown. */
export function roundThreshold(x: number): number {
  return Number(x.toPrecision(6));
}
