import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  SortedScores, averagePrecision, confusionAt, meanByLabel, nextUp, operatingPoint, prCurve, precisionRecallVsThreshold, rocAuc, rocCurve,
  thresholdForFprSorted,
} from '../../src/core/metrics';
import { Rng } from '../../src/core/rng';

interface RankingCase { scores: number[]; labels: number[]; auroc: number; averagePrecision: number }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ranking-metrics-reference.json'), 'utf8')) as { cases: RankingCase[] };

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: got ${actual}, expected ${expected}`);
}

function closeArray(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  actual.forEach((v, i) => close(v, expected[i], 1e-12, `${what}[${i}]`));
}

describe('core/metrics', () => {
  describe('ranking metrics', () => {
    it(`match scikit-learn roc_auc_score and average_precision_score on ${fixture.cases.length} cases within 1e-9`, () => {
      assert.ok(fixture.cases.some((c) => new Set(c.scores).size < c.scores.length), 'the fixture should include ties');
      for (const [i, c] of fixture.cases.entries()) {
        close(rocAuc(c.scores, c.labels), c.auroc, 1e-9, `case ${i} auroc`);
        close(averagePrecision(c.scores, c.labels), c.averagePrecision, 1e-9, `case ${i} average precision`);
      }
    });

    it('give the scikit-learn documentation example curves', () => {
      const scores = [0.1, 0.4, 0.35, 0.8];
      const labels = [0, 0, 1, 1];
      const roc = rocCurve(scores, labels);
      assert.deepEqual(roc.thresholds, [Infinity, 0.8, 0.4, 0.35, 0.1]);
      closeArray(roc.fpr, [0, 0, 0.5, 0.5, 1], 'fpr');
      closeArray(roc.tpr, [0, 0.5, 0.5, 1, 1], 'tpr');
      assert.equal(rocAuc(scores, labels), 0.75);
      const pr = prCurve(scores, labels);
      assert.deepEqual(pr.thresholds, [0.1, 0.35, 0.4, 0.8]);
      closeArray(pr.precision, [0.5, 2 / 3, 0.5, 1, 1], 'precision');
      closeArray(pr.recall, [1, 1, 0.5, 0.5, 0], 'recall');
      close(averagePrecision(scores, labels), 5 / 6, 1e-15, 'average precision');
    });

    it('count a tied anomaly/normal pair as one half and step over ties at once', () => {
      // Pairs: 0.9 beats 0.5 (1), 0.5 ties 0.5 (1/2): AUC 3/4.
      assert.equal(rocAuc([0.5, 0.5, 0.9], [0, 1, 1]), 0.75);
      assert.equal(rocAuc([1, 1, 2, 2], [0, 1, 0, 1]), 0.5);
      // Thresholds 0.9 (P 1, R 1/2) then 0.5 (P 2/3, R 1): AP = 1/2 * 1 + 1/2 * 2/3.
      close(averagePrecision([0.5, 0.5, 0.9], [0, 1, 1]), 5 / 6, 1e-15, 'tied AP');
      assert.deepEqual(rocCurve([0.5, 0.5, 0.9], [0, 1, 1]).thresholds, [Infinity, 0.9, 0.5]);
    });

    it('are NaN without both classes and reject NaN scores', () => {
      assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [1, 1])));
      assert.ok(Number.isNaN(rocAuc([0.1, 0.2], [0, 0])));
      assert.ok(Number.isNaN(averagePrecision([0.1, 0.2], [0, 0])));
      assert.throws(() => rocAuc([0.1, NaN], [0, 1]), /NaN/);
      assert.throws(() => rocAuc([0.1, 0.2], [0]), /differ in length/);
    });
  });

  describe('confusion counts and rates', () => {
    // score >= 0.35 flags 0.4 (normal), 0.35 (anomaly), 0.8 (anomaly), 0.35 (normal); 0.1 stays normal.
    const scores = [0.1, 0.4, 0.35, 0.8, 0.35];
    const labels = new Uint8Array([0, 0, 1, 1, 0]);

    it('flag scores at or above the threshold', () => {
      assert.deepEqual(confusionAt(scores, labels, 0.35), { tp: 2, tn: 1, fp: 2, fn: 0 });
      assert.deepEqual(confusionAt(scores, labels, 0.36), { tp: 1, tn: 2, fp: 1, fn: 1 });
      assert.deepEqual(confusionAt(scores, labels, 0.81), { tp: 0, tn: 3, fp: 0, fn: 2 });
    });

    it('derive precision, recall, F1, accuracy and FPR', () => {
      const p = operatingPoint(confusionAt(scores, labels, 0.35), 0.35);
      assert.equal(p.threshold, 0.35);
      assert.equal(p.precision, 0.5);
      assert.equal(p.recall, 1);
      close(p.f1, 2 / 3, 1e-15, 'f1');
      assert.equal(p.accuracy, 0.6);
      close(p.fpr, 2 / 3, 1e-15, 'fpr');
      const q = operatingPoint({ tp: 1, tn: 2, fp: 1, fn: 1 }, 0.36);
      assert.deepEqual([q.precision, q.recall, q.f1, q.accuracy, q.fpr], [0.5, 0.5, 0.5, 0.6, 1 / 3]);
    });

    it('report undefined ratios as 0', () => {
      const p = operatingPoint({ tp: 0, tn: 3, fp: 0, fn: 2 }, 1);
      assert.deepEqual([p.precision, p.recall, p.f1, p.fpr], [0, 0, 0, 0]);
      assert.equal(p.accuracy, 0.6);
      const empty = operatingPoint({ tp: 0, tn: 0, fp: 0, fn: 0 }, 1);
      assert.deepEqual([empty.precision, empty.recall, empty.f1, empty.accuracy, empty.fpr], [0, 0, 0, 0, 0]);
    });

    it('mean score per class', () => {
      assert.deepEqual(meanByLabel([1, 3, 10, 20], [0, 0, 1, 1]), { normal: 2, anomalous: 15, ratio: 7.5 });
    });
  });

  describe('SortedScores', () => {
    it('agrees with confusionAt at every score, between scores and beyond, with ties and NaN', () => {
      const rng = new Rng(42);
      for (let trial = 0; trial < 20; trial++) {
        const n = 1 + rng.int(300);
        // Two decimals over a small range: many ties. A few NaN scores, as from a diverged model.
        const scores = Float32Array.from({ length: n }, () => (rng.next() < 0.02 ? NaN : Math.round(rng.next() * 50) / 100));
        const labels = Uint8Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
        const sorted = new SortedScores(scores, labels);
        const thresholds = [-Infinity, Infinity, NaN, -1, 2, 0];
        for (const s of scores) thresholds.push(s, s + 0.001, s - 0.001, nextUp(s));
        for (const t of thresholds) {
          assert.deepEqual(sorted.confusionAt(t), confusionAt(scores, labels, t), `trial ${trial}, threshold ${t}`);
        }
        assert.equal(sorted.count, n);
        assert.equal(sorted.anomalyCount + sorted.normalCount, n);
      }
    });

    it('maxF1 picks the best score as threshold, ties to the highest', () => {
      // F1 at 0.6 .. 0.1: 1/2, 4/5, 2/3, 6/7, 3/4, 2/3.
      const best = new SortedScores([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0, 0, 1, 0, 1, 1]).maxF1();
      assert.ok(best !== undefined);
      assert.equal(best.threshold, 0.3);
      close(best.f1, 6 / 7, 1e-15, 'best f1');
      assert.deepEqual([best.tp, best.fp, best.fn, best.tn], [3, 1, 0, 2]);
      // F1 is 2/3 at both 4 and 1.
      assert.equal(new SortedScores([1, 2, 3, 4], [1, 0, 0, 1]).maxF1()?.threshold, 4);
      assert.equal(new SortedScores([1, 2, 3], [0, 0, 0]).maxF1(), undefined);
    });

    it('maxF1 equals a brute-force search on random tied data', () => {
      const rng = new Rng(5);
      for (let trial = 0; trial < 10; trial++) {
        const n = 200;
        const scores = Array.from({ length: n }, () => Math.round(rng.next() * 30));
        const labels = scores.map((s) => (rng.next() < s / 40 ? 1 : 0));
        let bestF1 = -1;
        let bestT = NaN;
        for (const t of [...new Set(scores)].sort((a, b) => b - a)) {
          const f1 = operatingPoint(confusionAt(scores, labels, t), t).f1;
          if (f1 > bestF1) [bestF1, bestT] = [f1, t];
        }
        const best = new SortedScores(scores, labels).maxF1();
        assert.equal(best?.threshold, bestT);
        assert.equal(best?.f1, bestF1);
      }
    });

    it('thresholdForFpr is the smallest threshold whose FPR on normals is within the target', () => {
      const rng = new Rng(9);
      const scores = Array.from({ length: 1000 }, () => Math.round(rng.next() * 200) / 100);
      const labels = scores.map(() => (rng.next() < 0.2 ? 1 : 0));
      const sorted = new SortedScores(scores, labels);
      for (const target of [0, 0.001, 0.01, 0.05, 0.5, 0.999]) {
        const t = sorted.thresholdForFpr(target);
        assert.ok(sorted.operatingPoint(t).fpr <= target, `target ${target}: fpr ${sorted.operatingPoint(t).fpr}`);
        // The normal score just below is a smaller threshold, and it breaks the target.
        const below = Math.max(...scores.filter((s, i) => labels[i] === 0 && s < t));
        assert.ok(sorted.operatingPoint(below).fpr > target, `target ${target}`);
      }
      // Target 1 allows every normal to be flagged: the threshold is the smallest normal score.
      assert.equal(sorted.thresholdForFpr(1), Math.min(...scores.filter((_, i) => labels[i] === 0)));
    });

    it('precisionRecallVsThreshold samples from min to max', () => {
      const sorted = new SortedScores([0, 1, 2, 3, 4], [0, 0, 1, 1, 1]);
      const sweep = precisionRecallVsThreshold(sorted, 5);
      assert.deepEqual(sweep.thresholds, [0, 1, 2, 3, 4]);
      assert.deepEqual(sweep.recall, [1, 1, 1, 2 / 3, 1 / 3]);
      assert.deepEqual(sweep.precision, [0.6, 0.75, 1, 1, 1]);
      assert.deepEqual(sweep.fpr, [1, 0.5, 0, 0, 0]);
      close(sweep.f1[0], 0.75, 1e-15, 'f1 at min');
      assert.equal(precisionRecallVsThreshold(new SortedScores([], []), 10).thresholds.length, 0);
    });
  });

  it('thresholdForFprSorted: exact counts, ties and the ends', () => {
    const oneToThousand = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.equal(thresholdForFprSorted(oneToThousand, 0.01), nextUp(990)); // flags 991..1000: 10 of 1000
    assert.equal(thresholdForFprSorted(oneToThousand, 0), nextUp(1000));
    assert.equal(thresholdForFprSorted(oneToThousand, 1), 1);
    // 0.001 * 6000 must allow 6, whatever the rounding of 0.001.
    const sixThousand = Float64Array.from({ length: 6000 }, (_, i) => i);
    assert.equal(thresholdForFprSorted(sixThousand, 0.001), nextUp(5993));
    // A tie at the order statistic flags fewer than allowed: m = 1 but both 3s sit at the top.
    assert.equal(thresholdForFprSorted([1, 2, 3, 3, 3], 0.2), nextUp(3));
    assert.equal(thresholdForFprSorted([1, 2, 3, 3, 3], 0.6), nextUp(2));
    assert.throws(() => thresholdForFprSorted([], 0.1), RangeError);
    assert.throws(() => thresholdForFprSorted([1], 1.5), RangeError);
  });

  it('nextUp steps one double', () => {
    assert.equal(nextUp(1), 1 + 2 ** -52);
    assert.equal(nextUp(0), Number.MIN_VALUE);
    assert.equal(nextUp(-1), -(1 - 2 ** -53));
    assert.equal(nextUp(-Infinity), -Number.MAX_VALUE);
    assert.equal(nextUp(Infinity), Infinity);
  });
});
