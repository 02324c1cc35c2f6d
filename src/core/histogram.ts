// Score histograms for the error-distribution chart, split into normal and anomalous test
// images, and the way back from a bar to the images behind it. Bin i holds
// edges[i] <= score < edges[i + 1]; the last bin also holds score === its upper edge, so the
// largest score is never lost. Scores outside [edges[0], edges[bins]] and NaN scores are in
// no bin.
import type { SampleGroup } from './runFormat';

export interface HistogramOptions {
  bins: number;
  /** Lower edge; default the smallest score (log: the smallest positive score). */
  min?: number;
  /** Upper edge; default the largest score. */
  max?: number;
  /** Logarithmically spaced edges; needs a positive range. */
  log?: boolean;
}

export interface Histogram {
  /** bins + 1 increasing edges. */
  edges: number[];
  /** Count of normal scores per bin. */
  normal: number[];
  /** Count of anomalous scores per bin. */
  anomalous: number[];
}

/** The bin edges `histogram` uses for these scores and options. */
export function histogramEdges(scores: ArrayLike<number>, options: HistogramOptions): number[] {
  const { bins, log = false } = options;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be a positive integer, got ${bins}`);

  // Defaults come from the finite scores (positive ones on a log axis).
  let dataMin = Infinity, dataMax = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s) || (log && s <= 0)) continue;
    if (s < dataMin) dataMin = s;
    if (s > dataMax) dataMax = s;
  }
  const empty = dataMin > dataMax;
  let lo = options.min ?? (empty ? (log ? 0.1 : 0) : dataMin);
  let hi = options.max ?? (empty ? 1 : dataMax);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new RangeError(`histogram range must be finite, got [${lo}, ${hi}]`);
  if (lo > hi) throw new RangeError(`histogram min ${lo} is above max ${hi}`);
  if (log && lo <= 0) throw new RangeError(`a log histogram needs a positive min, got ${lo}`);
  if (lo === hi) {
    // All scores equal: widen around the value so the single bar has a visible width.
    if (log) {
      lo /= 2;
      hi *= 2;
    } else {
      const halfWidth = lo === 0 ? 0.5 : Math.abs(lo) / 2;
      lo -= halfWidth;
      hi += halfWidth;
    }
  }

  const edges: number[] = [lo];
  if (log) {
    const logLo = Math.log(lo), logHi = Math.log(hi);
    for (let i = 1; i < bins; i++) edges.push(Math.exp(logLo + ((logHi - logLo) * i) / bins));
  } else {
    for (let i = 1; i < bins; i++) edges.push(lo + ((hi - lo) * i) / bins);
  }
  // Pin the last edge to hi exactly, so max lands in the last bin despite rounding.
  edges.push(hi);
  return edges;
}

/** Index of the bin holding `value`, or -1 when it is NaN or outside the edges. */
export function binOf(value: number, edges: ArrayLike<number>): number {
  const bins = edges.length - 1;
  if (bins < 1 || !(value >= edges[0] && value <= edges[bins])) return -1;
  // Largest i < bins with edges[i] <= value: capping at the last bin is what puts max in it.
  let lo = 0, hi = bins - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (edges[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Counts of normal and anomalous scores per bin. `labels` undefined counts every score as normal. */
export function histogram(scores: ArrayLike<number>, labels: ArrayLike<number> | undefined, options: HistogramOptions): Histogram {
  if (labels !== undefined && labels.length !== scores.length) {
    throw new RangeError(`scores and labels differ in length: ${scores.length} scores, ${labels.length} labels`);
  }
  const edges = histogramEdges(scores, options);
  const bins = edges.length - 1;
  const normal = new Array<number>(bins).fill(0);
  const anomalous = new Array<number>(bins).fill(0);
  for (let i = 0; i < scores.length; i++) {
    const bin = binOf(scores[i], edges);
    if (bin < 0) continue;
    if (labels !== undefined && labels[i] !== 0) anomalous[bin]++;
    else normal[bin]++;
  }
  return { edges, normal, anomalous };
}

/**
 * Indices of the scores that fall in bin `bin` (for "show the images behind this bar"),
 * ascending. With `group`, only normal (label 0) or anomalous (label non-zero) ones; `group`
 * needs `labels`.
 */
export function indicesInBin(
  scores: ArrayLike<number>,
  edges: ArrayLike<number>,
  bin: number,
  labels?: ArrayLike<number>,
  group?: SampleGroup,
): number[] {
  if (group !== undefined && labels === undefined) throw new RangeError(`selecting the ${group} group needs labels`);
  if (labels !== undefined && labels.length !== scores.length) {
    throw new RangeError(`scores and labels differ in length: ${scores.length} scores, ${labels.length} labels`);
  }
  const indices: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (binOf(scores[i], edges) !== bin) continue;
    if (group !== undefined && labels !== undefined && (labels[i] !== 0) !== (group === 'anomalous')) continue;
    indices.push(i);
  }
  return indices;
}
