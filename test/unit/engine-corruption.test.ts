// Corruption: which images change, that values stay in [0, 1], that a seed reproduces the exact
// pixels, and that each type does what its level promises statistically.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../src/core/errors';
import type { CorruptionType } from '../../src/core/experiment.generated';
import { rngFor } from '../../src/core/rng';
import { validateExperiment } from '../../src/core/config';
import { DEFAULT_CORRUPTION_LEVELS } from '../../src/core/corruptionLevels';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import { schemaAt } from '../../src/core/schema';
import {
  chooseCorrupted, CORRUPTION_DESCRIPTIONS, CORRUPTION_TYPES, corruptImages, corruptionWarning, gaussianKernel, measureCorruption,
  NEARLY_IDENTICAL_CHANGE, OCCLUSION_VALUE,
} from '../../src/engine/corruption';
import type { ByteImages } from '../../src/engine/images/byteImages';
import { Dataset, loadDataset } from '../../src/engine/datasets';
import { prepareData } from '../../src/engine/prepareData';

const W = 28, H = 28, P = W * H;

/** `count` images with a smooth ramp plus some dark and bright pixels, like a soft digit. */
function sampleImages(count: number): Float32Array {
  const images = new Float32Array(count * P);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        images[i * P + y * W + x] = ((x + y + i) % 4 === 0) ? 0 : ((x * 7 + y * 3 + i) % 29) / 28;
      }
    }
  }
  return images;
}

const LEVELS: Record<CorruptionType, number> = { gaussian: 0.2, 'salt-and-pepper': 0.2, speckle: 0.5, uniform: 0.3, occlusion: 0.25, blur: 1.5 };

function corrupted(type: CorruptionType, seed: number, indices = [1, 3]): Float32Array {
  const images = sampleImages(5);
  corruptImages(images, indices, type, LEVELS[type], rngFor(seed, 'test'), W, H);
  return images;
}

const image = (images: Float32Array, i: number) => images.subarray(i * P, (i + 1) * P);
const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, v) => s + v, 0) / xs.length;
const variance = (xs: ArrayLike<number>) => { const m = mean(xs); return Array.from(xs).reduce((s, v) => s + (v - m) ** 2, 0) / xs.length; };

describe('engine/corruption', () => {
  it('lists every corruption type of the experiment schema, each with a description', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../schemas/experiment.schema.json'), 'utf8')) as { definitions: { corruptionType: { enum: string[] } } };
    assert.deepEqual([...CORRUPTION_TYPES].sort(), [...schema.definitions.corruptionType.enum].sort());
    for (const type of CORRUPTION_TYPES) assert.ok(CORRUPTION_DESCRIPTIONS[type].length > 10);
  });

  describe('chooseCorrupted', () => {
    it('marks exactly round(count * fraction) items', () => {
      for (const [count, fraction] of [[1000, 0.1], [7, 0.5], [10, 0], [10, 1], [3, 0.49], [0, 0.3]] as const) {
        const mask = chooseCorrupted(count, fraction, rngFor(1, 'choice'));
        assert.equal(mask.length, count);
        assert.equal(mask.reduce((s, v) => s + v, 0), Math.round(count * fraction), `${count} x ${fraction}`);
        assert.ok(mask.every((v) => v === 0 || v === 1));
      }
    });

    it('is deterministic for a seed and differs for another', () => {
      const a = chooseCorrupted(500, 0.2, rngFor(3, 'choice'));
      assert.deepEqual(a, chooseCorrupted(500, 0.2, rngFor(3, 'choice')));
      assert.notDeepEqual(a, chooseCorrupted(500, 0.2, rngFor(4, 'choice')));
    });

    it('spreads the choice over the whole range', () => {
      const mask = chooseCorrupted(1000, 0.5, rngFor(5, 'choice'));
      const firstHalf = mask.subarray(0, 500).reduce((s, v) => s + v, 0);
      assert.ok(firstHalf > 200 && firstHalf < 300, `${firstHalf} of 500 chosen in the first half`);
    });

    it('rejects a fraction outside [0, 1]', () => {
      assert.throws(() => chooseCorrupted(10, 1.5, rngFor(1, 'c')), InputError);
      assert.throws(() => chooseCorrupted(10, -0.1, rngFor(1, 'c')), InputError);
    });
  });

  describe('every type', () => {
    const original = sampleImages(5);
    for (const type of CORRUPTION_TYPES) {
      it(`${type}: changes only the chosen images, stays in [0, 1], reproduces per seed`, () => {
        const out = corrupted(type, 11);
        for (const i of [0, 2, 4]) assert.deepEqual(image(out, i), image(original, i), `image ${i} was not chosen`);
        for (const i of [1, 3]) assert.notDeepEqual(image(out, i), image(original, i), `image ${i} was chosen`);
        assert.ok(out.every((v) => v >= 0 && v <= 1), 'values in [0, 1]');
        assert.deepEqual(corrupted(type, 11), out, 'same seed, same pixels');
        // Blur has no randomness: it is the same whatever the seed.
        if (type === 'blur') assert.deepEqual(corrupted(type, 12), out);
        else assert.notDeepEqual(corrupted(type, 12), out, 'another seed, other pixels');
      });
    }

    it('leaves images unchanged at level 0', () => {
      for (const type of CORRUPTION_TYPES) {
        const images = sampleImages(2);
        corruptImages(images, [0, 1], type, 0, rngFor(1, 'x'), W, H);
        assert.deepEqual(images, sampleImages(2), type);
      }
    });

    it('rejects a bad level and an index outside the images', () => {
      assert.throws(() => corruptImages(sampleImages(1), [0], 'gaussian', -0.1, rngFor(1, 'x'), W, H), InputError);
      assert.throws(() => corruptImages(sampleImages(1), [0], 'gaussian', Number.NaN, rngFor(1, 'x'), W, H), InputError);
      assert.throws(() => corruptImages(sampleImages(1), [0], 'salt-and-pepper', 1.2, rngFor(1, 'x'), W, H), /at most 1/);
      assert.throws(() => corruptImages(sampleImages(1), [0], 'occlusion', 2, rngFor(1, 'x'), W, H), /at most 1/);
      assert.throws(() => corruptImages(sampleImages(2), [2], 'gaussian', 0.1, rngFor(1, 'x'), W, H), RangeError);
    });
  });

  describe('statistics', () => {
    const grey = (count: number, value = 0.5) => new Float32Array(count * P).fill(value);
    const all = (count: number) => Array.from({ length: count }, (_, i) => i);

    it('gaussian: residual mean ~0 and std ~level on mid-grey', () => {
      const images = grey(50);
      corruptImages(images, all(50), 'gaussian', 0.1, rngFor(2, 'g'), W, H);
      const residual = Array.from(images, (v) => v - 0.5);
      assert.ok(Math.abs(mean(residual)) < 0.003, `mean ${mean(residual)}`);
      // At 5 sigma from 0.5 clipping is negligible, so the std is the level.
      assert.ok(Math.abs(Math.sqrt(variance(residual)) - 0.1) < 0.003, `std ${Math.sqrt(variance(residual))}`);
    });

    it('uniform: residual spans (-level, level) with std level/sqrt(3)', () => {
      const images = grey(50);
      corruptImages(images, all(50), 'uniform', 0.3, rngFor(2, 'u'), W, H);
      const residual = Array.from(images, (v) => v - 0.5);
      assert.ok(residual.every((r) => Math.abs(r) <= 0.3 + 1e-6));
      assert.ok(Math.abs(Math.sqrt(variance(residual)) - 0.3 / Math.sqrt(3)) < 0.004, `std ${Math.sqrt(variance(residual))}`);
    });

    it('speckle: std level*x on grey, and black stays black', () => {
      const images = grey(50);
      corruptImages(images, all(50), 'speckle', 0.2, rngFor(2, 's'), W, H);
      assert.ok(Math.abs(Math.sqrt(variance(images)) - 0.2 * 0.5) < 0.003, `std ${Math.sqrt(variance(images))}`);
      const black = grey(3, 0);
      corruptImages(black, all(3), 'speckle', 0.9, rngFor(2, 's'), W, H);
      assert.ok(black.every((v) => v === 0));
    });

    it('salt-and-pepper: about `level` of the pixels become 0 or 1, half each', () => {
      const images = grey(50);
      corruptImages(images, all(50), 'salt-and-pepper', 0.1, rngFor(2, 'sp'), W, H);
      const salt = images.filter((v) => v === 1).length, pepper = images.filter((v) => v === 0).length;
      const untouched = images.filter((v) => v === 0.5).length;
      assert.equal(salt + pepper + untouched, images.length);
      const flipped = (salt + pepper) / images.length;
      assert.ok(Math.abs(flipped - 0.1) < 0.006, `flipped ${flipped}`);
      assert.ok(Math.abs(salt / (salt + pepper) - 0.5) < 0.04, `salt share ${salt / (salt + pepper)}`);
    });

    it('occlusion: one white square of side round(level * side), anywhere', () => {
      const corners = new Set<string>();
      for (const [level, side] of [[0.25, 7], [0.1, 3], [0.01, 1], [1, 28]] as const) {
        for (let k = 0; k < 20; k++) {
          const images = grey(1, 0);
          corruptImages(images, [0], 'occlusion', level, rngFor(k, 'o'), W, H);
          const lit: Array<[number, number]> = [];
          images.forEach((v, p) => { if (v === OCCLUSION_VALUE) lit.push([p % W, Math.floor(p / W)]); });
          assert.equal(lit.length, side * side, `level ${level}`);
          const xs = lit.map(([x]) => x), ys = lit.map(([, y]) => y);
          assert.equal(Math.max(...xs) - Math.min(...xs) + 1, side);
          assert.equal(Math.max(...ys) - Math.min(...ys) + 1, side);
          if (level === 0.25) corners.add(`${Math.min(...xs)},${Math.min(...ys)}`);
        }
      }
      assert.ok(corners.size > 10, `only ${corners.size} distinct positions in 20 draws`);
    });

    it('blur: keeps the mean of an interior region, lowers the variance, sigma in pixels', () => {
      const images = new Float32Array(P);
      const rng = rngFor(9, 'noise');
      for (let p = 0; p < P; p++) images[p] = rng.next();
      const before = images.slice();
      corruptImages(images, [0], 'blur', 1, rngFor(1, 'b'), W, H);
      const interior = (img: Float32Array) => { const out: number[] = []; for (let y = 8; y < 20; y++) for (let x = 8; x < 20; x++) out.push(img[y * W + x]); return out; };
      assert.ok(Math.abs(mean(interior(images)) - mean(interior(before))) < 0.02);
      // White noise blurred by a 2-D Gaussian of sigma s keeps 1/(4 pi s^2) of its variance.
      const ratio = variance(images) / variance(before);
      assert.ok(ratio > 0.04 && ratio < 0.12, `variance ratio ${ratio}`);
    });

    it('blur: a single bright pixel spreads as the normalised Gaussian, total kept', () => {
      const images = new Float32Array(P);
      images[14 * W + 14] = 1;
      corruptImages(images, [0], 'blur', 1, rngFor(1, 'b'), W, H);
      const k = gaussianKernel(1);
      const r = (k.length - 1) / 2;
      assert.ok(Math.abs(images[14 * W + 14] - k[r] * k[r]) < 1e-6);
      assert.ok(Math.abs(images[14 * W + 15] - k[r] * k[r + 1]) < 1e-6);
      assert.ok(Math.abs(images.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    });

    it('blur: a flat image stays flat (edges clamp, weights sum to 1)', () => {
      const images = grey(1, 0.7);
      corruptImages(images, [0], 'blur', 2.5, rngFor(1, 'b'), W, H);
      assert.ok(images.every((v) => Math.abs(v - 0.7) < 1e-6));
    });
  });
});

describe('engine/corruption: defaults and the near-identical check', () => {
  let mnist: Dataset;
  before(async () => {
    mnist = await loadDataset({ dataset: 'mnist', validationSplit: 0.1, trainLimit: 300, testLimit: 300 }, '.');
  });
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  // MNIST loads as floats (image folders may load as bytes).
  const f32 = (a: Float32Array | ByteImages): Float32Array => {
    assert.ok(a instanceof Float32Array);
    return a;
  };

  it("each type's default visibly changes real digits, by the mean change the schema states", () => {
    const description = String(schemaAt(['corruption', 'level'])?.description);
    for (const type of CORRUPTION_TYPES) {
      const images = f32(mnist.test.images).slice();
      corruptImages(images, all(mnist.test.count), type, DEFAULT_CORRUPTION_LEVELS[type], rngFor(5, 'defaults'), W, H);
      const change = measureCorruption(f32(mnist.test.images), images, all(mnist.test.count), P);
      assert.equal(change.nearlyIdentical, 0, type);
      const stated = Number(new RegExp(`${type}: [^.]*default [\\d.]+[^(]*\\((0\\.\\d+)\\)`).exec(description)?.[1]);
      assert.ok(Math.abs(change.meanAbsChange - stated) < 0.15 * stated, `${type}: measured ${change.meanAbsChange}, schema says ${stated}`);
      assert.equal(corruptionWarning(change, type, DEFAULT_CORRUPTION_LEVELS[type]), undefined);
    }
  });

  it('counts corrupted images that stay (nearly) identical, and says so', () => {
    const images = f32(mnist.test.images).slice();
    const chosen = [0, 5, 9, 17];
    corruptImages(images, chosen, 'blur', 0.2, rngFor(5, 'weak'), W, H);
    const change = measureCorruption(f32(mnist.test.images), images, chosen, P);
    assert.equal(change.corrupted, 4);
    assert.equal(change.nearlyIdentical, 4);
    assert.ok(change.meanAbsChange < NEARLY_IDENTICAL_CHANGE);
    assert.match(corruptionWarning(change, 'blur', 0.2) ?? '', /^4 of 4 corrupted test images are \(nearly\) identical .*blur at level 0\.2/);
    // A mix: two strong, two weak.
    corruptImages(images, [0, 5], 'gaussian', 0.3, rngFor(5, 'strong'), W, H);
    assert.equal(measureCorruption(f32(mnist.test.images), images, chosen, P).nearlyIdentical, 2);
  });

  it('training contamination reaches the validation split unless it is declared clean', () => {
    const x = (validation: 'clean' | 'contaminated'): ResolvedExperiment => {
      const r = validateExperiment(`name: c\ndata: { trainLimit: 300, testLimit: 300, trainContamination: { fraction: 0.5, validation: ${validation} } }\n`, 'c.aelab.yaml');
      assert.ok(r.experiment);
      return r.experiment;
    };
    // prepareData reorders and contaminates the loaded images in place: each call gets its own copy.
    const copy = (): typeof mnist => ({ ...mnist, train: { ...mnist.train, images: f32(mnist.train.images).slice() } });
    const clean = prepareData(copy(), x('clean'));
    const dirty = prepareData(copy(), x('contaminated'));
    assert.deepEqual(dirty.train, clean.train, 'the training part is the same either way');
    assert.equal(clean.validationContaminated, 0);
    assert.equal(dirty.validationContaminated, 15, 'half of the 30 validation images');
    let changed = 0;
    for (let i = 0; i < dirty.validationCount; i++) {
      if (measureCorruption(f32(clean.validation), f32(dirty.validation), [i], P).meanAbsChange > 0) changed++;
    }
    assert.equal(changed, 15);
  });
});
