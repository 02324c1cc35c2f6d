// Detection metrics over anomaly scores. Pure TypeScript: the CLI, the engine and the results
// webview all use these, so the numbers a user sees while dragging a threshold are the numbers
// written to summary.json.
//
// Conventions everywhere in this file:
// - score >= threshold means "predicted anomaly";
// - a label is an anomaly when it is non-zero (labels.bin stores 1 = anomaly, 0 = normal);
// - a NaN score is never >= any threshold, so it always counts as "predicted normal". The
//   ranking metrics (rocCurve, rocAuc, prCurve, averagePrecision) reject NaN scores instead,
//   because a rank for NaN is meaningless.
import type { ConfusionCounts, OperatingPoint } from './runFormat';

function isAnomaly(label: number): boolean {
  return label !== 0;
}

function checkSameLength(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores and labels differ in length: ${scores.length} scores, ${labels.length} labels`);
  }
}

/** Confusion counts at one threshold by a linear scan. For many thresholds build a SortedScores. */
export function confusionAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): ConfusionCounts {
  checkSameLength(scores, labels);
  let tp = 0, tn = 0, fp = 0, fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] >= threshold;
    if (isAnomaly(labels[i])) {
      if (flagged) tp++;
      else fn++;
    } else if (flagged) fp++;
    else tn++;
  }
  return { tp, tn, fp, fn };
}

/**
 * Rates derived from confusion counts. Undefined ratios are reported as 0 rather than NaN so
 * they serialise to JSON and plot: precision is 0 when nothing is flagged (tp + fp = 0), recall
 * is 0 when there are no anomalies, f1 is 0 when precision and recall are both 0 (computed as
 * 2tp / (2tp + fp + fn)), accuracy is 0 for zero samples, fpr is 0 when there are no normals.
 */
export function operatingPoint(counts: ConfusionCounts, threshold: number): OperatingPoint {
  const { tp, tn, fp, fn } = counts;
  const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);
  return {
    threshold,
    tp,
    tn,
    fp,
    fn,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, tp + tn + fp + fn),
    fpr: ratio(fp, fp + tn),
  };
}

/**
 * The cumulative counts behind the ROC and PR curves (scikit-learn's _binary_clf_curve):
 * for each distinct score, highest first, how many anomalies (tps) and normals (fps) score at
 * or above it. Tied scores form one step, which is what makes the curves tie-aware.
 */
interface CumulativeCounts {
  thresholds: number[];
  tps: number[];
  fps: number[];
  positives: number;
  negatives: number;
}

function cumulativeCounts(scores: ArrayLike<number>, labels: ArrayLike<number>): CumulativeCounts {
  checkSameLength(scores, labels);
  const n = scores.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`score ${i} is NaN; ranking metrics need every score to be a number`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[j] - scores[i] || 0);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0, fp = 0;
  for (let r = 0; r < n; r++) {
    const i = order[r];
    if (isAnomaly(labels[i])) tp++;
    else fp++;
    // Emit one point at the end of each run of equal scores.
    if (r === n - 1 || scores[order[r + 1]] !== scores[i]) {
      thresholds.push(scores[i]);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { thresholds, tps, fps, positives: tp, negatives: fp };
}

export interface RocCurve { fpr: number[]; tpr: number[]; thresholds: number[] }

/**
 * scikit-learn roc_curve(drop_intermediate=False): the first point is (0, 0) at threshold
 * +Infinity, then one point per distinct score, thresholds decreasing. As in scikit-learn, fpr
 * is NaN when there are no normals and tpr is NaN when there are no anomalies.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const c = cumulativeCounts(scores, labels);
  return {
    fpr: [0, ...c.fps.map((fp) => fp / c.negatives)],
    tpr: [0, ...c.tps.map((tp) => tp / c.positives)],
    thresholds: [Infinity, ...c.thresholds],
  };
}

/**
 * Area under the tie-aware ROC curve by the trapezoid rule (equals scikit-learn
 * roc_auc_score: tied anomaly/normal pairs count one half). NaN when either class is absent,
 * where scikit-learn raises.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const c = cumulativeCounts(scores, labels);
  if (c.positives === 0 || c.negatives === 0) return NaN;
  // Sum in integer counts and divide once, so the only rounding is the final division.
  let doubledArea = 0;
  let prevTp = 0, prevFp = 0;
  for (let i = 0; i < c.tps.length; i++) {
    doubledArea += (c.fps[i] - prevFp) * (c.tps[i] + prevTp);
    prevTp = c.tps[i];
    prevFp = c.fps[i];
  }
  return doubledArea / (2 * c.positives * c.negatives);
}

export interface PrCurve { precision: number[]; recall: number[]; thresholds: number[] }

/**
 * scikit-learn precision_recall_curve (without the old truncation at full recall): thresholds
 * are the distinct scores in increasing order; precision[i] and recall[i] hold at thresholds[i],
 * and a final point (precision 1, recall 0) with no threshold closes the curve, so precision
 * and recall are one longer than thresholds. Recall is 1 everywhere when there are no
 * anomalies, as in scikit-learn.
 */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): PrCurve {
  const c = cumulativeCounts(scores, labels);
  const m = c.thresholds.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const thresholds: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const flagged = c.tps[i] + c.fps[i];
    precision.push(flagged === 0 ? 0 : c.tps[i] / flagged);
    recall.push(c.positives === 0 ? 1 : c.tps[i] / c.positives);
    thresholds.push(c.thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds };
}

/**
 * scikit-learn average_precision_score: the sum over distinct thresholds, highest first, of
 * (R_n - R_(n-1)) * P_n, a step-wise area with no interpolation. NaN when there are no
 * anomalies (recall is undefined).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const c = cumulativeCounts(scores, labels);
  if (c.positives === 0) return NaN;
  let sum = 0;
  let prevTp = 0;
  for (let i = 0; i < c.tps.length; i++) {
    const newAnomalies = c.tps[i] - prevTp;
    if (newAnomalies > 0) sum += newAnomalies * (c.tps[i] / (c.tps[i] + c.fps[i]));
    prevTp = c.tps[i];
  }
  return sum / c.positives;
}

/** Mean score of each class; a class with no members has mean NaN (and so does the ratio). */
export function meanByLabel(scores: ArrayLike<number>, labels: ArrayLike<number>): { normal: number; anomalous: number; ratio: number } {
  checkSameLength(scores, labels);
  let normalSum = 0, normalCount = 0, anomalousSum = 0, anomalousCount = 0;
  for (let i = 0; i < scores.length; i++) {
    if (isAnomaly(labels[i])) {
      anomalousSum += scores[i];
      anomalousCount++;
    } else {
      normalSum += scores[i];
      normalCount++;
    }
  }
  const normal = normalSum / normalCount;
  const anomalous = anomalousSum / anomalousCount;
  return { normal, anomalous, ratio: anomalous / normal };
}

const bitsScratch = new DataView(new ArrayBuffer(8));

/** The smallest double greater than x (x itself for NaN and +Infinity). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  bitsScratch.setFloat64(0, x);
  const bits = bitsScratch.getBigUint64(0);
  // IEEE 754 doubles are ordered like sign-magnitude integers.
  bitsScratch.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return bitsScratch.getFloat64(0);
}

/**
 * The smallest threshold t for which the fraction of `sortedAscending` values with value >= t
 * is at most `targetFpr` (all values are taken to be normals). With n values, let m be the
 * largest count with m / n <= targetFpr. Then t = nextUp(the (n - m)-th smallest value), the
 * next double above it: exactly the values strictly greater than that order statistic are
 * flagged, which is m or fewer when it is tied with values above it. When m = n (targetFpr 1)
 * every value may be flagged and t is the smallest value.
 */
export function thresholdForFprSorted(sortedAscending: ArrayLike<number>, targetFpr: number): number {
  const n = sortedAscending.length;
  if (n === 0) throw new RangeError('cannot pick an FPR threshold from zero normal scores');
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new RangeError(`target FPR must be in [0, 1], got ${targetFpr}`);
  // floor(targetFpr * n) can land one off in floating point; settle it against the definition.
  let allowed = Math.min(n, Math.floor(targetFpr * n));
  while (allowed < n && (allowed + 1) / n <= targetFpr) allowed++;
  while (allowed > 0 && allowed / n > targetFpr) allowed--;
  if (allowed === n) return sortedAscending[0];
  return nextUp(sortedAscending[n - allowed - 1]);
}

/** First index in ascending `values` whose value is >= threshold (values.length if none). */
function lowerBound(values: Float64Array, threshold: number): number {
  let lo = 0, hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < threshold) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Scores sorted once so that confusion counts at any threshold cost O(log n): what the results
 * webview calls on every frame while a threshold marker is dragged. Gives exactly the counts of
 * confusionAt(scores, labels, threshold) for every threshold, NaN scores and thresholds included.
 */
export class SortedScores {
  readonly count: number;
  readonly anomalyCount: number;
  readonly normalCount: number;
  /** The non-NaN scores, ascending. */
  private readonly values: Float64Array;
  /** anomaliesBelow[k] = number of anomalies among values[0..k); length values.length + 1. */
  private readonly anomaliesBelow: Uint32Array;
  /** Normal scores ascending, for FPR thresholds. */
  private readonly normalValues: Float64Array;
  /** NaN scores are never flagged, so they are fixed false negatives / true negatives. */
  private readonly nanAnomalies: number;
  private readonly nanNormals: number;

  constructor(scores: ArrayLike<number>, labels: ArrayLike<number>) {
    checkSameLength(scores, labels);
    const anomalous: number[] = [];
    const normal: number[] = [];
    let nanAnomalies = 0, nanNormals = 0;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      const anomaly = isAnomaly(labels[i]);
      if (Number.isNaN(s)) {
        if (anomaly) nanAnomalies++;
        else nanNormals++;
      } else if (anomaly) anomalous.push(s);
      else normal.push(s);
    }
    // Sort each class natively, then merge: the prefix counts fall out of the merge.
    const a = Float64Array.from(anomalous).sort();
    const b = Float64Array.from(normal).sort();
    const values = new Float64Array(a.length + b.length);
    const anomaliesBelow = new Uint32Array(values.length + 1);
    let ia = 0, ib = 0;
    for (let k = 0; k < values.length; k++) {
      if (ib >= b.length || (ia < a.length && a[ia] <= b[ib])) {
        values[k] = a[ia++];
        anomaliesBelow[k + 1] = anomaliesBelow[k] + 1;
      } else {
        values[k] = b[ib++];
        anomaliesBelow[k + 1] = anomaliesBelow[k];
      }
    }
    this.values = values;
    this.anomaliesBelow = anomaliesBelow;
    this.normalValues = b;
    this.nanAnomalies = nanAnomalies;
    this.nanNormals = nanNormals;
    this.count = scores.length;
    this.anomalyCount = a.length + nanAnomalies;
    this.normalCount = b.length + nanNormals;
  }

  /** Smallest non-NaN score (NaN when there is none). */
  get min(): number {
    return this.values.length === 0 ? NaN : this.values[0];
  }

  /** Largest non-NaN score (NaN when there is none). */
  get max(): number {
    return this.values.length === 0 ? NaN : this.values[this.values.length - 1];
  }

  /** Counts from the index of the first flagged score in `values`. */
  private countsFrom(firstFlagged: number): ConfusionCounts {
    const n = this.values.length;
    const anomaliesBelow = this.anomaliesBelow[firstFlagged];
    const tp = this.anomaliesBelow[n] - anomaliesBelow;
    return {
      tp,
      tn: firstFlagged - anomaliesBelow + this.nanNormals,
      fp: n - firstFlagged - tp,
      fn: anomaliesBelow + this.nanAnomalies,
    };
  }

  confusionAt(threshold: number): ConfusionCounts {
    // Nothing is >= NaN; lowerBound alone would flag everything.
    const firstFlagged = Number.isNaN(threshold) ? this.values.length : lowerBound(this.values, threshold);
    return this.countsFrom(firstFlagged);
  }

  operatingPoint(threshold: number): OperatingPoint {
    return operatingPoint(this.confusionAt(threshold), threshold);
  }

  /** Number of scores >= threshold. */
  countAtOrAbove(threshold: number): number {
    const c = this.confusionAt(threshold);
    return c.tp + c.fp;
  }

  /** The smallest threshold whose false-positive rate on the labelled normals is <= targetFpr (see thresholdForFprSorted). */
  thresholdForFpr(targetFpr: number): number {
    return thresholdForFprSorted(this.normalValues, targetFpr);
  }

  /**
   * The operating point with the highest F1 over thresholds equal to a score, so that
   * score >= threshold reproduces it exactly. Ties go to the highest threshold (fewest flags).
   * Undefined when there are no anomalies or no non-NaN scores (F1 would be 0 everywhere).
   */
  maxF1(): OperatingPoint | undefined {
    if (this.anomalyCount === 0 || this.values.length === 0) return undefined;
    let bestK = -1;
    let bestF1 = -1;
    let k = this.values.length - 1;
    while (k >= 0) {
      // Move to the start of this run of equal scores: that threshold flags the whole run.
      while (k > 0 && this.values[k - 1] === this.values[k]) k--;
      const c = this.countsFrom(k);
      const f1 = (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestK = k;
      }
      k--;
    }
    return operatingPoint(this.countsFrom(bestK), this.values[bestK]);
  }
}

export interface ThresholdSweep {
  thresholds: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  fpr: number[];
}

/**
 * Precision, recall, F1 and FPR at `points` thresholds evenly spaced from the smallest to the
 * largest score (both included), for a metrics-vs-threshold chart. Empty when there are no
 * non-NaN scores.
 */
export function precisionRecallVsThreshold(sorted: SortedScores, points = 200): ThresholdSweep {
  if (!Number.isInteger(points) || points < 1) throw new RangeError(`points must be a positive integer, got ${points}`);
  const sweep: ThresholdSweep = { thresholds: [], precision: [], recall: [], f1: [], fpr: [] };
  const { min, max } = sorted;
  if (Number.isNaN(min)) return sweep;
  for (let i = 0; i < points; i++) {
    // Pin the last sample to max exactly, so the top score is always included.
    const threshold = i === points - 1 ? max : min + ((max - min) * i) / Math.max(1, points - 1);
    const p = sorted.operatingPoint(threshold);
    sweep.thresholds.push(threshold);
    sweep.precision.push(p.precision);
    sweep.recall.push(p.recall);
    sweep.f1.push(p.f1);
    sweep.fpr.push(p.fpr);
  }
  return sweep;
}
