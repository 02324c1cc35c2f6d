// The mixture threshold on synthetic log-normal score distributions whose true parameters are
// known: the fit must recover them, and its threshold must match the Bayes crossing computed in
// closed form from the true parameters (the reference), for 10% and for 90% anomalies.
import { strict as assert } from 'node:assert';
import { fitLogScoreMixture, otsuSplit } from '../../src/core/mixtureThreshold';
import { confusionAt, operatingPoint, SortedScores } from '../../src/core/metrics';
import { rngFor } from '../../src/core/rng';

interface Truth { weight: number; mean: number; std: number }

function sample(normal: Truth, anomalous: Truth, n: number, seed: number): { scores: Float64Array; labels: Uint8Array } {
  const rng = rngFor(seed, 'mixture-test');
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  const anomalies = Math.round(n * anomalous.weight);
  for (let i = 0; i < n; i++) {
    const c = i < anomalies ? anomalous : normal;
    labels[i] = i < anomalies ? 1 : 0;
    scores[i] = Math.exp(c.mean + c.std * rng.normal());
  }
  return { scores, labels };
}

/** Where w1 N(x; m1, s1) = w2 N(x; m2, s2) between the means: the root of a quadratic, solved directly. */
function bayesCrossing(lo: Truth, hi: Truth): number {
  const a = 1 / (2 * lo.std ** 2) - 1 / (2 * hi.std ** 2);
  const b = hi.mean / hi.std ** 2 - lo.mean / lo.std ** 2;
  const c = lo.mean ** 2 / (2 * lo.std ** 2) - hi.mean ** 2 / (2 * hi.std ** 2) + Math.log((hi.weight * lo.std) / (lo.weight * hi.std));
  if (Math.abs(a) < 1e-12) return -c / b;
  const d = Math.sqrt(b * b - 4 * a * c);
  const roots = [(-b + d) / (2 * a), (-b - d) / (2 * a)];
  return roots.find((r) => r > lo.mean && r < hi.mean) ?? NaN;
}

describe('core/mixtureThreshold', () => {
  const cases: { name: string; normal: Truth; anomalous: Truth }[] = [
    { name: '10% anomalies, well apart (noise sigma >= 0.1)', normal: { weight: 0.9, mean: -6, std: 0.35 }, anomalous: { weight: 0.1, mean: -3.5, std: 0.3 } },
    { name: '90% anomalies, overlapping (one-class)', normal: { weight: 0.1, mean: -4.5, std: 0.3 }, anomalous: { weight: 0.9, mean: -3.3, std: 0.4 } },
  ];
  for (const { name, normal, anomalous } of cases) {
    it(`recovers the components and the Bayes threshold: ${name}`, () => {
      const { scores, labels } = sample(normal, anomalous, 20_000, 3);
      const fit = fitLogScoreMixture(scores);
      assert.ok(fit);
      assert.ok(Math.abs(fit.low.mean - normal.mean) < 0.03, `low mean ${fit.low.mean}`);
      assert.ok(Math.abs(fit.high.mean - anomalous.mean) < 0.03, `high mean ${fit.high.mean}`);
      assert.ok(Math.abs(fit.low.std - normal.std) < 0.03, `low std ${fit.low.std}`);
      assert.ok(Math.abs(fit.high.weight - anomalous.weight) < 0.015, `high weight ${fit.high.weight}`);
      const reference = bayesCrossing(normal, anomalous);
      assert.ok(Math.abs(Math.log(fit.threshold) - reference) < 0.05, `log threshold ${Math.log(fit.threshold)} vs ${reference}`);
      // Its F1 is close to the best any threshold reaches with the labels.
      const f1 = operatingPoint(confusionAt(scores, labels, fit.threshold), fit.threshold).f1;
      const best = new SortedScores(scores, labels).maxF1();
      assert.ok(best && best.f1 - f1 < 0.01, `F1 ${f1} vs max ${best?.f1}`);
    });
  }

  it('stops at a fixed point of EM (a stationary point of the likelihood)', () => {
    const { scores } = sample(cases[0].normal, cases[0].anomalous, 5000, 11);
    const fit = fitLogScoreMixture(scores);
    assert.ok(fit);
    const x = Array.from(scores, (s) => Math.log(s));
    const dens = (v: number, c: Truth) => (c.weight / c.std) * Math.exp(-0.5 * ((v - c.mean) / c.std) ** 2);
    let w = 0;
    let m = 0;
    for (const v of x) {
      const r = dens(v, fit.high) / (dens(v, fit.high) + dens(v, fit.low));
      w += r;
      m += r * v;
    }
    assert.ok(Math.abs(w / x.length - fit.high.weight) < 1e-6);
    assert.ok(Math.abs(m / w - fit.high.mean) < 1e-6);
  });

  it('is undefined without two distinct values to split', () => {
    assert.equal(fitLogScoreMixture([1, 2, 3]), undefined);
    assert.equal(fitLogScoreMixture([0.5, 0.5, 0.5, 0.5, 0.5]), undefined);
    assert.ok(fitLogScoreMixture([0, 0, 0.1, 0.1, 0.2, 0.3]), 'zeros sit at the log floor');
  });

  it("otsuSplit maximises the between-group variance (brute force)", () => {
    const values = Float64Array.from([1, 1.2, 1.1, 5, 5.5, 0.9, 6, 1.05, 5.2, 3]).sort();
    let bestK = -1;
    let best = -1;
    for (let k = 1; k < values.length; k++) {
      const a = values.slice(0, k);
      const b = values.slice(k);
      const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
      const between = a.length * b.length * (mean(a) - mean(b)) ** 2;
      if (between > best) { best = between; bestK = k; }
    }
    assert.equal(otsuSplit(values), bestK);
    assert.equal(bestK, 6);
  });
});
