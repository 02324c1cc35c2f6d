// The "mixture" threshold: a label-free threshold that adapts to how the test scores are spread.
// Reconstruction errors of normal and anomalous images are each roughly log-normal, so the log
// test scores are modelled as a two-component Gaussian mixture (fitted by EM, started from Otsu's
// split), and the threshold is where the higher component becomes the more probable one: the
// Bayes minimum-error threshold of Kittler & Illingworth (1986), with its parameters fitted by
// maximum likelihood. Unlike a percentile of clean validation scores it needs no held-out normals
// and follows the share of anomalies (10% or 90%) instead of assuming one.

export interface MixtureComponent {
  weight: number;
  mean: number;
  std: number;
}

export interface MixtureFit {
  /** In log-score space; low has the smaller mean. */
  low: MixtureComponent;
  high: MixtureComponent;
  iterations: number;
  /** The score (not its log) at which the high component's posterior reaches 0.5. */
  threshold: number;
}

const MAX_ITERATIONS = 500;
const TOLERANCE = 1e-10;
/** Scores of 0 (a perfect reconstruction) have no log; they sit at this floor instead. */
const SCORE_FLOOR = 1e-12;

/**
 * Otsu (1979) on sorted values: the split index k (values[0..k) vs values[k..n)) maximising the
 * between-group variance. Prefix sums make it one pass.
 */
export function otsuSplit(sorted: Float64Array): number {
  const n = sorted.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += sorted[i];
  let best = -1;
  let bestK = Math.max(1, Math.floor(n / 2));
  let left = 0;
  for (let k = 1; k < n; k++) {
    left += sorted[k - 1];
    if (sorted[k] === sorted[k - 1]) continue; // a split must separate different values
    const m1 = left / k;
    const m2 = (total - left) / (n - k);
    const between = k * (n - k) * (m1 - m2) ** 2;
    if (between > best) {
      best = between;
      bestK = k;
    }
  }
  return bestK;
}

function logDensity(x: number, c: MixtureComponent): number {
  return Math.log(c.weight) - Math.log(c.std) - 0.5 * ((x - c.mean) / c.std) ** 2;
}

function moments(values: Float64Array, from: number, to: number): MixtureComponent {
  let sum = 0;
  for (let i = from; i < to; i++) sum += values[i];
  const mean = sum / (to - from);
  let sq = 0;
  for (let i = from; i < to; i++) sq += (values[i] - mean) ** 2;
  return { weight: (to - from) / values.length, mean, std: Math.sqrt(sq / (to - from)) };
}

/** Fewest test scores a two-component mixture can be fitted to (validation checks the count first). */
export const MIXTURE_MIN_SCORES = 4;

/**
 * Fits the two-component mixture to log(max(score, 1e-12)) and returns it with its threshold.
 * Undefined when the scores cannot hold two components (fewer than 4, or fewer than 2 distinct).
 */
export function fitLogScoreMixture(scores: ArrayLike<number>): MixtureFit | undefined {
  const n = scores.length;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.log(Math.max(scores[i], SCORE_FLOOR));
  x.sort();
  if (n < MIXTURE_MIN_SCORES || x[0] === x[n - 1] || Number.isNaN(x[n - 1])) return undefined;
  const spread = x[n - 1] - x[0];
  // No component may collapse onto a single value (the likelihood would grow without bound).
  const minStd = 1e-3 * spread;
  const k = otsuSplit(x);
  let low = moments(x, 0, k);
  let high = moments(x, k, n);
  low.std = Math.max(low.std, minStd);
  high.std = Math.max(high.std, minStd);

  let previous = -Infinity;
  let iterations = 0;
  const responsibility = new Float64Array(n);
  for (; iterations < MAX_ITERATIONS; iterations++) {
    // E step: posterior of the high component, and the log-likelihood.
    let logLikelihood = 0;
    for (let i = 0; i < n; i++) {
      const a = logDensity(x[i], low);
      const b = logDensity(x[i], high);
      const m = Math.max(a, b);
      const logSum = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      responsibility[i] = Math.exp(b - logSum);
      logLikelihood += logSum;
    }
    // M step.
    let wHigh = 0;
    let sumHigh = 0;
    let sumLow = 0;
    for (let i = 0; i < n; i++) {
      wHigh += responsibility[i];
      sumHigh += responsibility[i] * x[i];
      sumLow += (1 - responsibility[i]) * x[i];
    }
    const wLow = n - wHigh;
    if (wHigh < 1e-9 * n || wLow < 1e-9 * n) break; // one component took everything: keep the last fit
    const meanHigh = sumHigh / wHigh;
    const meanLow = sumLow / wLow;
    let varHigh = 0;
    let varLow = 0;
    for (let i = 0; i < n; i++) {
      varHigh += responsibility[i] * (x[i] - meanHigh) ** 2;
      varLow += (1 - responsibility[i]) * (x[i] - meanLow) ** 2;
    }
    low = { weight: wLow / n, mean: meanLow, std: Math.max(Math.sqrt(varLow / wLow), minStd) };
    high = { weight: wHigh / n, mean: meanHigh, std: Math.max(Math.sqrt(varHigh / wHigh), minStd) };
    if (Math.abs(logLikelihood - previous) <= TOLERANCE * Math.abs(logLikelihood)) break;
    previous = logLikelihood;
  }
  if (low.mean > high.mean) [low, high] = [high, low];
  return { low, high, iterations, threshold: Math.exp(crossing(low, high)) };
}

/**
 * The log score between the two means where both weighted densities are equal. Where the high
 * component already dominates at the low mean (or never does up to its own mean), that mean.
 */
function crossing(low: MixtureComponent, high: MixtureComponent): number {
  const f = (t: number) => logDensity(t, high) - logDensity(t, low);
  let a = low.mean;
  let b = high.mean;
  if (f(a) >= 0) return a;
  if (f(b) <= 0) return b;
  // f is a quadratic with one sign change on [a, b]: bisection to double precision.
  for (let i = 0; i < 200 && b - a > 1e-15 * Math.max(1, Math.abs(a)); i++) {
    const mid = (a + b) / 2;
    if (f(mid) < 0) a = mid;
    else b = mid;
  }
  return (a + b) / 2;
}
