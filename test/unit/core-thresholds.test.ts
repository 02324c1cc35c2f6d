import { strict as assert } from 'node:assert';
import type { ResolvedThresholdConfig } from '../../src/core/experiment.generated';
import { nextUp } from '../../src/core/metrics';
import type { ThresholdResult } from '../../src/core/runFormat';
import { chooseThreshold, computeThresholds, percentile } from '../../src/core/thresholds';

const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

function config(overrides: Partial<ResolvedThresholdConfig> = {}): ResolvedThresholdConfig {
  return { strategy: 'percentile', percentile: 99.9, k: 3, targetFpr: 0.001, ...overrides };
}

function byStrategy(results: ThresholdResult[]): Record<string, ThresholdResult> {
  return Object.fromEntries(results.map((r) => [r.strategy, r]));
}

describe('core/thresholds', () => {
  it('percentile interpolates linearly like numpy.percentile', () => {
    // rank = 99 * p / 100 into 1..100.
    assert.equal(percentile(oneToHundred, 0), 1);
    assert.equal(percentile(oneToHundred, 100), 100);
    assert.equal(percentile(oneToHundred, 50), 50.5);
    assert.equal(percentile(oneToHundred, 25), 25.75);
    assert.ok(Math.abs(percentile(oneToHundred, 99.9) - 99.901) < 1e-12);
    assert.equal(percentile([3, 1, 2], 50), 2); // unsorted input
    assert.equal(percentile([7], 99.9), 7);
    assert.ok(Number.isNaN(percentile([1, NaN, 2], 50)));
    assert.throws(() => percentile([], 50), /empty/);
    assert.throws(() => percentile([1], 101), RangeError);
  });

  it('computes every strategy with hand-checked values', () => {
    // mean 5, population std 2.
    const validation = new Float32Array([2, 4, 4, 4, 5, 5, 7, 9]);
    // F1 at 0.6 .. 0.1: 1/2, 4/5, 2/3, 6/7, 3/4, 2/3: best at 0.3.
    const testScores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    const testLabels = new Uint8Array([0, 0, 1, 0, 1, 1]);
    const results = computeThresholds(config({ strategy: 'manual', value: 0.42, percentile: 50, k: 3, targetFpr: 0.25 }), validation, testScores, testLabels);
    assert.deepEqual(results.map((r) => r.strategy), ['manual', 'percentile', 'mean-std', 'max-f1', 'fpr', 'mixture']);
    assert.deepEqual(results.filter((r) => !r.usesLabels && r.strategy !== 'manual').length, 4);
    const t = byStrategy(results);
    assert.equal(t.manual.value, 0.42);
    assert.equal(t.percentile.value, 4.5);
    assert.equal(t['mean-std'].value, 11);
    assert.equal(t['max-f1'].value, 0.3);
    // 25% of 8 allows 2 flags: the threshold sits just above the 6th smallest (5), flagging 7 and 9.
    assert.equal(t.fpr.value, nextUp(5));
    assert.deepEqual(results.filter((r) => r.usesLabels).map((r) => r.strategy), ['max-f1']);
    assert.equal(t.percentile.description, '50th percentile of 8 validation normal scores');
    assert.match(t['mean-std'].description, /^mean \+ 3 \* std of 8 validation normal scores \(mean 5, std 2\)$/);
    assert.match(t['max-f1'].description, /F1 \(0\.8571\) over 6 labelled test scores/);
    assert.match(t.fpr.description, /at most 25% of 8 validation normal scores \(flags 2\)/);
  });

  it('describes percentiles with English ordinals', () => {
    const descriptionFor = (p: number): string => byStrategy(computeThresholds(config({ percentile: p }), oneToHundred, [], [])).percentile.description;
    assert.equal(descriptionFor(99.9), '99.9th percentile of 100 validation normal scores');
    assert.match(descriptionFor(1), /^1st /);
    assert.match(descriptionFor(2), /^2nd /);
    assert.match(descriptionFor(3), /^3rd /);
    assert.match(descriptionFor(11), /^11th /);
    assert.match(descriptionFor(92), /^92nd /);
  });

  it('fpr flags at most the target fraction of validation scores, and no smaller threshold does', () => {
    const validation = Array.from({ length: 6000 }, (_, i) => (i * 7919) % 6000 / 6000); // 0 .. 5999/6000, shuffled
    const value = byStrategy(computeThresholds(config({ targetFpr: 0.001 }), validation, [], [])).fpr.value;
    const flaggedAt = (t: number): number => validation.filter((v) => v >= t).length;
    assert.equal(flaggedAt(value), 6);
    assert.equal(value, nextUp(5993 / 6000));
    assert.equal(flaggedAt(5993 / 6000), 7);
  });

  it('leaves out manual without a finite value and explains it in chooseThreshold', () => {
    for (const value of [undefined, NaN, Infinity]) {
      const results = computeThresholds(config({ value }), oneToHundred, [1, 2], [0, 1]);
      assert.ok(!results.some((r) => r.strategy === 'manual'));
      assert.throws(() => chooseThreshold(results, 'manual'), /threshold\.value/);
    }
    const results = computeThresholds(config(), oneToHundred, [1, 2], [0, 1]);
    assert.equal(chooseThreshold(results, 'percentile').strategy, 'percentile');
    assert.equal(chooseThreshold(results, 'max-f1').value, 2);
  });

  it('leaves out validation strategies without validation scores and max-f1 without anomalies', () => {
    const noValidation = computeThresholds(config(), [], [1, 2], [0, 1]);
    assert.deepEqual(noValidation.map((r) => r.strategy), ['max-f1']);
    assert.throws(() => chooseThreshold(noValidation, 'fpr'), /no "fpr" threshold .*validation scores/);
    const noAnomalies = computeThresholds(config(), oneToHundred, [1, 2], [0, 0]);
    assert.throws(() => chooseThreshold(noAnomalies, 'max-f1'), /anomaly/);
  });

  it('refuses NaN validation scores', () => {
    assert.throws(() => computeThresholds(config(), [1, NaN, 3], [], []), /1 of 3 validation scores are NaN/);
  });
});
