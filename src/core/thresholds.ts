// Threshold strategies. Every strategy is computed for every run and stored in summary.json, so
// the results view can switch between them without rerunning; the experiment's
// threshold.strategy only picks which one drives the confusion matrix. score >= threshold
// means anomaly. Only max-f1 looks at test labels; mixture sees the test scores without labels;
// the others see validation normals alone.
import type { ResolvedThresholdConfig } from './experiment.generated';
import { SortedScores, thresholdForFprSorted } from './metrics';
import { fitLogScoreMixture } from './mixtureThreshold';
import type { ThresholdResult, ThresholdStrategy } from './runFormat';

/**
 * The p-th percentile (0..100) with linear interpolation between order statistics, as
 * numpy.percentile's default: rank h = (n - 1) * p / 100 into the ascending values. NaN when
 * any value is NaN (as numpy); throws for an empty input or p outside [0, 100].
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty set');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  // Float64Array sorts NaN last.
  if (Number.isNaN(sorted[sorted.length - 1])) return NaN;
  const rank = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (rank - lo) * (sorted[hi] - sorted[lo]);
}

/** "1st", "2nd", "3rd", "11th", "99.9th". */
function ordinal(p: number): string {
  if (!Number.isInteger(p)) return `${p}th`;
  const lastTwo = Math.abs(p) % 100;
  const last = Math.abs(p) % 10;
  const suffix = lastTwo >= 11 && lastTwo <= 13 ? 'th' : last === 1 ? 'st' : last === 2 ? 'nd' : last === 3 ? 'rd' : 'th';
  return `${p}${suffix}`;
}

/** Short, readable numbers for descriptions; the exact value is in ThresholdResult.value. */
function short(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

function meanAndStd(values: ArrayLike<number>): { mean: number; std: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  // Two passes: the textbook E[x^2] - E[x]^2 loses digits when scores are small and close.
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(squares / values.length) };
}

const NORMALS = 'validation normal scores';

/**
 * Every threshold strategy that can be computed from these scores, in the order manual,
 * percentile, mean-std, max-f1, fpr, mixture:
 * - manual: cfg.value, only when it is a finite number;
 * - percentile: percentile(validationScores, cfg.percentile);
 * - mean-std: mean + cfg.k * population std of validationScores;
 * - max-f1: the test score that, used as threshold, maximises F1 on the test labels (ties go to
 *   the highest such score); left out when the test labels contain no anomaly;
 * - fpr: the smallest threshold flagging at most cfg.targetFpr of validationScores, i.e. the
 *   next double above the (n - m)-th smallest validation score where m = floor(targetFpr * n)
 *   (see thresholdForFprSorted);
 * - mixture: from the test scores alone, no labels (mixtureThreshold.ts); left out when they
 *   cannot hold two components.
 * The validation strategies are left out when there are no validation scores; chooseThreshold
 * explains a missing strategy. Throws when a validation score is NaN, since every
 * validation-based threshold would be meaningless.
 */
export function computeThresholds(
  cfg: ResolvedThresholdConfig,
  validationScores: ArrayLike<number>,
  testScores: ArrayLike<number>,
  testLabels: ArrayLike<number>,
): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  if (typeof cfg.value === 'number' && Number.isFinite(cfg.value)) {
    results.push({ strategy: 'manual', value: cfg.value, usesLabels: false, description: 'manual threshold set in the experiment' });
  }

  const n = validationScores.length;
  let nanCount = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(validationScores[i])) nanCount++;
  if (nanCount > 0) throw new RangeError(`${nanCount} of ${n} validation scores are NaN; cannot compute thresholds (did training diverge?)`);
  const sortedValidation = Float64Array.from(validationScores).sort();

  if (n > 0) {
    results.push({
      strategy: 'percentile',
      value: percentile(sortedValidation, cfg.percentile),
      usesLabels: false,
      description: `${ordinal(cfg.percentile)} percentile of ${n} ${NORMALS}`,
    });
    const { mean, std } = meanAndStd(sortedValidation);
    results.push({
      strategy: 'mean-std',
      value: mean + cfg.k * std,
      usesLabels: false,
      description: `mean + ${cfg.k} * std of ${n} ${NORMALS} (mean ${short(mean)}, std ${short(std)})`,
    });
  }

  const best = new SortedScores(testScores, testLabels).maxF1();
  if (best !== undefined) {
    results.push({
      strategy: 'max-f1',
      value: best.threshold,
      usesLabels: true,
      description: `test score maximising F1 (${short(best.f1)}) over ${testScores.length} labelled test scores`,
    });
  }

  if (n > 0) {
    const value = thresholdForFprSorted(sortedValidation, cfg.targetFpr);
    let flagged = 0;
    for (let i = 0; i < n; i++) if (sortedValidation[i] >= value) flagged++;
    results.push({
      strategy: 'fpr',
      value,
      usesLabels: false,
      description: `lowest threshold flagging at most ${short(cfg.targetFpr * 100)}% of ${n} ${NORMALS} (flags ${flagged})`,
    });
  }

  const mixture = fitLogScoreMixture(testScores);
  if (mixture) {
    const flagged = countAtOrAbove(testScores, mixture.threshold);
    results.push({
      strategy: 'mixture',
      value: mixture.threshold,
      usesLabels: false,
      description: `two-Gaussian mixture on ${testScores.length} log test scores (no labels): ${short(mixture.high.weight * 100)}% in the high component; flags ${flagged}`,
    });
  }
  return results;
}

function countAtOrAbove(values: ArrayLike<number>, threshold: number): number {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] >= threshold) count++;
  return count;
}

const MISSING_REASON: Record<ThresholdStrategy, string> = {
  manual: 'threshold.strategy is "manual" but threshold.value is not set to a number',
  percentile: 'it needs validation scores and there were none',
  'mean-std': 'it needs validation scores and there were none',
  fpr: 'it needs validation scores and there were none',
  'max-f1': 'it needs at least one anomaly among the test labels',
  mixture: 'it needs at least 4 test scores with at least 2 different values',
};

/** The result for `strategy`; throws an Error saying why it is missing. */
export function chooseThreshold(results: ThresholdResult[], strategy: ThresholdStrategy): ThresholdResult {
  const found = results.find((r) => r.strategy === strategy);
  if (found === undefined) {
    const reason = MISSING_REASON[strategy] ?? 'unknown strategy';
    throw new Error(`no "${strategy}" threshold was computed: ${reason}`);
  }
  return found;
}
