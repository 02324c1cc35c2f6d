import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gaussianKernel1d, ssim, ssimChannels, ssimMap } from '../../src/core/ssim';
import { Rng } from '../../src/core/rng';

interface SsimCase { a: number[]; b: number[]; ssim: number }
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ssim-reference.json'), 'utf8')) as { cases: SsimCase[] };

interface RgbCase { kind: string; a: number[]; b: number[]; perChannel: number[]; ssim: number }
const rgb = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ssim-rgb-reference.json'), 'utf8')) as { height: number; width: number; channels: number; cases: RgbCase[] };

const W = 28;
const H = 28;

function randomImage(rng: Rng): Float64Array {
  const img = new Float64Array(W * H);
  for (let i = 0; i < img.length; i++) img[i] = rng.next();
  return img;
}

describe('core/ssim', () => {
  it('has the scipy 11-tap Gaussian window for sigma 1.5', () => {
    const k = gaussianKernel1d();
    assert.equal(k.length, 11);
    assert.ok(Math.abs(k.reduce((s, v) => s + v, 0) - 1) < 1e-15);
    // 1 / sum over x = -5..5 of exp(-x^2 / 4.5), computed independently.
    assert.ok(Math.abs(k[5] - 0.26601172486179436) < 1e-15);
    assert.ok(Math.abs(k[0] - 0.00102838008447911) < 1e-15);
    for (let i = 0; i < 11; i++) assert.equal(k[i], k[10 - i]);
    assert.throws(() => gaussianKernel1d(10, 1.5), RangeError);
  });

  it(`matches scikit-image on ${fixture.cases.length} reference pairs within 1e-4`, () => {
    assert.ok(fixture.cases.length > 0);
    for (const [i, c] of fixture.cases.entries()) {
      const a = c.a.map((v) => v / 255);
      const b = c.b.map((v) => v / 255);
      const got = ssim(a, b, W, H);
      assert.ok(Math.abs(got - c.ssim) < 1e-4, `case ${i}: got ${got}, scikit-image ${c.ssim}`);
    }
  });

  it(`matches scikit-image's channel_axis=-1 SSIM on ${rgb.cases.length} RGB pairs (20x24, non-square) within 1e-4`, () => {
    assert.equal(rgb.cases.length, 4);
    for (const c of rgb.cases) {
      const a = c.a.map((v) => v / 255);
      const b = c.b.map((v) => v / 255);
      const got = ssimChannels(a, b, rgb.width, rgb.height, 3);
      assert.ok(Math.abs(got - c.ssim) < 1e-4, `${c.kind}: got ${got}, scikit-image ${c.ssim}`);
      // Each channel alone, taken out of the interleaved pixels.
      for (let ch = 0; ch < 3; ch++) {
        const plane = (x: number[]) => x.filter((_, i) => i % 3 === ch);
        const one = ssim(plane(a), plane(b), rgb.width, rgb.height);
        assert.ok(Math.abs(one - c.perChannel[ch]) < 1e-4, `${c.kind} channel ${ch}: got ${one}, scikit-image ${c.perChannel[ch]}`);
      }
    }
    assert.throws(() => ssimChannels([1, 2], [1, 2], 11, 11, 3), RangeError);
  });

  it('is exactly 1 for identical images and symmetric', () => {
    const rng = new Rng(7);
    const a = randomImage(rng);
    const b = randomImage(rng);
    assert.equal(ssim(a, a, W, H), 1);
    const ab = ssim(a, b, W, H);
    assert.ok(ab < 0.5, `unrelated noise should be dissimilar, got ${ab}`);
    assert.ok(Math.abs(ab - ssim(b, a, W, H)) < 1e-15);
  });

  it('reduces to the luminance term for constant images', () => {
    const a = new Float64Array(W * H).fill(0.2);
    const b = new Float64Array(W * H).fill(0.6);
    // (2 * 0.2 * 0.6 + C1) / (0.2^2 + 0.6^2 + C1) with C1 = 0.01^2; the structure term is C2 / C2.
    assert.ok(Math.abs(ssim(a, b, W, H) - 0.6000999750062485) < 1e-12);
  });

  it('a constant shift keeps contrast and structure: each window is (2 mu (mu + d) + C1) / (mu^2 + (mu + d)^2 + C1)', () => {
    const rng = new Rng(11);
    const a = randomImage(rng).map((v) => v * 0.5);
    const d = 0.3;
    const b = a.map((v) => v + d);
    const map = ssimMap(a, b, W, H);
    assert.equal(map.length, 18 * 18);
    // Local means by a direct (non-separable) 2-D Gaussian sum, independent of ssim.ts.
    const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / 4.5));
    const gSum = g.reduce((s, v) => s + v, 0);
    let mean = 0;
    for (let y = 0; y < 18; y++) {
      for (let x = 0; x < 18; x++) {
        let mu = 0;
        for (let dy = 0; dy < 11; dy++) for (let dx = 0; dx < 11; dx++) mu += g[dy] * g[dx] * a[(y + dy) * W + x + dx];
        mu /= gSum * gSum;
        const expected = (2 * mu * (mu + d) + 1e-4) / (mu * mu + (mu + d) ** 2 + 1e-4);
        assert.ok(Math.abs(map[y * 18 + x] - expected) < 1e-9, `window (${x}, ${y}): ${map[y * 18 + x]} vs ${expected}`);
        mean += expected;
      }
    }
    assert.ok(Math.abs(ssim(a, b, W, H) - mean / 324) < 1e-9);
  });

  it('rejects images smaller than the window or of the wrong size', () => {
    assert.throws(() => ssim(new Float64Array(100), new Float64Array(100), 10, 10), /at least 11x11/);
    assert.throws(() => ssim(new Float64Array(784), new Float64Array(783), 28, 28), /784 pixels/);
  });
});
