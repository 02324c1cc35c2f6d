// Seeded image corruption: how anomalies are injected into the test set (and, optionally, how the
// training set is contaminated). Works in place on flat [0, 1] image arrays; every random draw
// comes from the Rng passed in, so a seed reproduces the same corrupted pixels.
import { InputError } from '../core/errors';
import { enumValueDescription, experimentSchema } from '../core/schema';
import type { CorruptionType } from '../core/experiment.generated';
import type { Rng } from '../core/rng';

/** What each type does and what its level means: from the schema (markdownEnumDescriptions), the one place the text lives. */
export const CORRUPTION_DESCRIPTIONS: Readonly<Record<CorruptionType, string>> = Object.fromEntries(
  (experimentSchema.definitions?.corruptionType.enum ?? []).map((type) => [type, enumValueDescription(['corruption', 'type'], type) ?? '']),
) as Record<CorruptionType, string>;

export const CORRUPTION_TYPES = Object.keys(CORRUPTION_DESCRIPTIONS) as readonly CorruptionType[];

/** The value an occlusion block is painted with: white, a visible anomaly on MNIST's black background. */
export const OCCLUSION_VALUE = 1;

/**
 * Marks exactly round(count * fraction) of `count` items (1 = chosen), picked by `rng`.
 */
export function chooseCorrupted(count: number, fraction: number, rng: Rng): Uint8Array {
  if (!(fraction >= 0 && fraction <= 1)) throw new InputError(`corruption fraction must be between 0 and 1, found ${fraction}`);
  const mask = new Uint8Array(count);
  for (const i of rng.sample(count, Math.round(count * fraction))) mask[i] = 1;
  return mask;
}

/** Mean absolute pixel change under which a corrupted image counts as (nearly) identical to its original: one grey level of 255. */
export const NEARLY_IDENTICAL_CHANGE = 1 / 255;

export interface CorruptionChange {
  /** Images compared (the corrupted ones). */
  corrupted: number;
  /** Of those, images whose mean absolute pixel change is below NEARLY_IDENTICAL_CHANGE. */
  nearlyIdentical: number;
  /** Mean absolute pixel change over all of them (0 when none). */
  meanAbsChange: number;
}

/** How much corruption changed the images at `indices` (a level can be too weak to change anything, e.g. blur sigma 0.2 px). */
export function measureCorruption(original: Float32Array, corrupted: Float32Array, indices: ArrayLike<number>, pixels: number): CorruptionChange {
  let nearlyIdentical = 0;
  let total = 0;
  for (let k = 0; k < indices.length; k++) {
    const base = indices[k] * pixels;
    let sum = 0;
    for (let p = base; p < base + pixels; p++) sum += Math.abs(corrupted[p] - original[p]);
    const mean = sum / pixels;
    total += mean;
    if (mean < NEARLY_IDENTICAL_CHANGE) nearlyIdentical++;
  }
  return { corrupted: indices.length, nearlyIdentical, meanAbsChange: indices.length > 0 ? total / indices.length : 0 };
}

/** The run's warning when corrupted test images are (nearly) their originals; undefined when none is. */
export function corruptionWarning(change: CorruptionChange, type: CorruptionType, level: number): string | undefined {
  if (change.nearlyIdentical === 0) return undefined;
  return `${change.nearlyIdentical} of ${change.corrupted} corrupted test images are (nearly) identical to their originals `
    + `(mean absolute pixel change below 1/255; ${type} at level ${level} changes pixels by ${change.meanAbsChange.toFixed(4)} on average): `
    + 'they are labelled anomalous but look normal, so AUROC and F1 understate the model; raise corruption.level';
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Corrupts, in place, the images at `indices` (image i is images[i*w*h*c .. (i+1)*w*h*c), channels
 * interleaved; occlusion covers every channel, blur blurs each). Values end
 * in [0, 1]. Level 0 leaves images unchanged. The rng is drawn from in `indices` order.
 */
export function corruptImages(
  images: Float32Array, indices: ArrayLike<number>, type: CorruptionType, level: number,
  rng: Rng, width: number, height: number, channels = 1,
): void {
  if (!(level >= 0) || !Number.isFinite(level)) throw new InputError(`corruption level must be a number >= 0, found ${level}`);
  if ((type === 'salt-and-pepper' || type === 'occlusion') && level > 1) {
    throw new InputError(`corruption level for ${type} is a fraction (${type === 'occlusion' ? 'of the image side' : 'of pixels'}): it must be at most 1, found ${level}`);
  }
  const pixels = width * height * channels;
  const imageCount = Math.floor(images.length / pixels);
  const corruptOne = corrupterFor(type, level, rng, width, height, channels);
  for (let k = 0; k < indices.length; k++) {
    const index = indices[k];
    if (!Number.isInteger(index) || index < 0 || index >= imageCount) {
      throw new RangeError(`image index ${index} is outside the ${imageCount} images`);
    }
    if (level === 0) continue;
    corruptOne(images.subarray(index * pixels, (index + 1) * pixels));
  }
}

type ImageCorrupter = (image: Float32Array) => void;

function corrupterFor(type: CorruptionType, level: number, rng: Rng, width: number, height: number, channels: number): ImageCorrupter {
  switch (type) {
    case 'gaussian':
      return (image) => {
        for (let p = 0; p < image.length; p++) image[p] = clip01(image[p] + level * rng.normal());
      };
    case 'salt-and-pepper':
      return (image) => {
        for (let p = 0; p < image.length; p++) {
          if (rng.next() < level) image[p] = rng.next() < 0.5 ? 0 : 1;
        }
      };
    case 'speckle':
      return (image) => {
        for (let p = 0; p < image.length; p++) image[p] = clip01(image[p] * (1 + level * rng.normal()));
      };
    case 'uniform':
      return (image) => {
        for (let p = 0; p < image.length; p++) image[p] = clip01(image[p] + level * (2 * rng.next() - 1));
      };
    case 'occlusion': {
      const side = Math.max(1, Math.round(level * Math.min(width, height)));
      return (image) => {
        const x0 = rng.int(width - side + 1);
        const y0 = rng.int(height - side + 1);
        for (let y = y0; y < y0 + side; y++) image.fill(OCCLUSION_VALUE, (y * width + x0) * channels, (y * width + x0 + side) * channels);
      };
    }
    case 'blur': {
      const kernel = gaussianKernel(level);
      const scratch = new Float32Array(width * height * channels);
      return (image) => {
        for (let c = 0; c < channels; c++) blurInPlace(image, scratch, kernel, width, height, channels, c);
      };
    }
    default: {
      const unknownType: never = type;
      throw new InputError(`unknown corruption type ${String(unknownType)}`);
    }
  }
}

/** Normalised 1-D Gaussian weights, radius ceil(3 sigma) (>99.7% of the mass). */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp(-(i * i) / (2 * sigma * sigma));
    weights[i + radius] = w;
    sum += w;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return weights;
}

/**
 * Separable blur of channel `c` (of `channels` interleaved): rows into `scratch`, then columns back
 * into `image`; out-of-image pixels repeat the edge.
 */
function blurInPlace(image: Float32Array, scratch: Float32Array, kernel: Float64Array, width: number, height: number, channels: number, c: number): void {
  const at = (x: number, y: number) => (y * width + x) * channels + c;
  const radius = (kernel.length - 1) / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k < 0 ? 0 : x + k >= width ? width - 1 : x + k;
        acc += kernel[k + radius] * image[at(xx, y)];
      }
      scratch[at(x, y)] = acc;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k < 0 ? 0 : y + k >= height ? height - 1 : y + k;
        acc += kernel[k + radius] * scratch[at(x, yy)];
      }
      image[at(x, y)] = clip01(acc);
    }
  }
}
