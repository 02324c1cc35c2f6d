// Turns a loaded dataset into what one run trains and scores on: a seeded train/validation
// split (normal classes only), optional training contamination, and a test set with injected
// anomalies and ground-truth labels. Pure typed-array work; every random choice is seeded.
import type { ResolvedExperiment } from '../core/experiment.generated';
import { InputError } from '../core/errors';
import { rngFor } from '../core/rng';
import { corruptionLevel } from '../core/corruptionLevels';
import type { Dataset } from './datasets';
import { ByteImages } from './images/byteImages';
import { chooseCorrupted, CorruptionChange, corruptImages, corruptionWarning, measureCorruption } from './corruption';

/** Images as floats in [0, 1] (bytes are scaled, all at once; floats are returned as they are). */
export function asFloats(images: Float32Array | ByteImages): Float32Array {
  return images instanceof Float32Array ? images : images.toFloats();
}

export interface PreparedData {
  width: number;
  height: number;
  /** Interleaved channels per pixel (1 or 3). */
  channels: number;
  /** Floats, or bytes when the dataset loaded them so (train.ts scales them batch by batch). */
  train: Float32Array | ByteImages;
  trainCount: number;
  /** Normal images held out from training (contaminated like the training data unless trainContamination.validation is clean). Bytes like `train` when loaded so. */
  validation: Float32Array | ByteImages;
  validationCount: number;
  /** Test images as they were before corruption. */
  testOriginal: Float32Array;
  /** Test images as the model sees them (corrupted where testLabels is 1 because of corruption). */
  testInput: Float32Array;
  testCount: number;
  /** 1 = anomaly (corrupted, or a class outside normalClasses), 0 = normal. */
  testLabels: Uint8Array;
  /** Dataset class (digit) of each test image. */
  testClasses: Uint8Array;
  /** 1 where the test image was corrupted. */
  testCorrupted: Uint8Array;
  trainContaminated: number;
  /** Validation images corrupted (trainContamination.validation contaminated). */
  validationContaminated: number;
  /** How much the test corruption changed the corrupted images. */
  testCorruptionChange: CorruptionChange;
  /** Problems with the data the run should report (e.g. corruption too weak to change images). */
  warnings: string[];
  /** Image folders with masks: testCount * width * height bytes, 1 = defective pixel. */
  testMasks?: Uint8Array;
  /** Image folders: each test image's file. */
  testFiles?: string[];
}


function gather(images: Float32Array, pixels: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i] * pixels;
    out.set(images.subarray(src, src + pixels), i * pixels);
  }
  return out;
}

/** Reorders images so that slot j holds what was image order[j] (a permutation), following its cycles. */
function permuteInPlace(images: Float32Array, pixels: number, order: readonly number[]): Float32Array {
  const done = new Uint8Array(order.length);
  const held = images.slice(0, pixels);
  for (let start = 0; start < order.length; start++) {
    if (done[start] || order[start] === start) continue;
    held.set(images.subarray(start * pixels, (start + 1) * pixels));
    let j = start;
    for (;;) {
      done[j] = 1;
      const from = order[j];
      if (from === start) {
        images.set(held, j * pixels);
        break;
      }
      images.copyWithin(j * pixels, from * pixels, (from + 1) * pixels);
      j = from;
    }
  }
  return images;
}

export function prepareData(dataset: Dataset, experiment: ResolvedExperiment): PreparedData {
  const { width, height } = dataset;
  const channels = dataset.channels ?? 1;
  const pixels = width * height * channels;
  const { data, corruption, seed } = experiment;
  const normal = data.normalClasses ? new Set<number>(data.normalClasses) : undefined;

  // Training candidates: only normal classes in the one-class setting.
  const candidates: number[] = [];
  for (let i = 0; i < dataset.train.count; i++) {
    if (!normal || normal.has(dataset.train.labels[i])) candidates.push(i);
  }
  if (candidates.length === 0) {
    throw new InputError(`data.normalClasses [${data.normalClasses?.join(', ')}] leaves no training images among the ${dataset.train.count} loaded`);
  }
  rngFor(seed, 'split').shuffle(candidates);
  // validationSplit 0 trains on every image (no validation set); any other split keeps at least one.
  const validationCount = data.validationSplit === 0 ? 0 : Math.max(1, Math.round(candidates.length * data.validationSplit));
  const trainCount = candidates.length - validationCount;
  if (trainCount < 1) {
    throw new InputError(`only ${candidates.length} training image(s) after filtering: not enough for a validation split of ${data.validationSplit}`);
  }
  let validation: Float32Array | ByteImages;
  let train: Float32Array | ByteImages;
  const loaded = dataset.train.images;
  if (loaded instanceof ByteImages) {
    // Bytes (image folders): the split is a map over them, whether they are in memory or a file.
    validation = loaded.select(candidates.slice(0, validationCount));
    train = loaded.select(candidates.slice(validationCount));
  } else if (candidates.length === dataset.train.count) {
    // Every image is used: reorder the loaded array in place instead of copying it (a folder of
    // 10,000 128x128 images is 655 MB as floats; a copy would double the peak).
    const all = permuteInPlace(loaded, pixels, candidates);
    validation = all.subarray(0, validationCount * pixels);
    train = all.subarray(validationCount * pixels, candidates.length * pixels);
  } else {
    validation = gather(loaded, pixels, candidates.slice(0, validationCount));
    train = gather(loaded, pixels, candidates.slice(validationCount));
  }

  let trainContaminated = 0;
  let validationContaminated = 0;
  if (data.trainContamination && data.trainContamination.fraction > 0) {
    const c = data.trainContamination;
    const type = c.type ?? corruption.type;
    const level = c.level ?? (type === corruption.type ? corruptionLevel(corruption.type, corruption.level) : corruptionLevel(type, undefined));
    const contaminate = (images: Float32Array, count: number, stream: string): number => {
      const mask = chooseCorrupted(count, c.fraction, rngFor(seed, `${stream}-choice`));
      const indices: number[] = [];
      mask.forEach((m, i) => { if (m) indices.push(i); });
      corruptImages(images, indices, type, level, rngFor(seed, `${stream}-noise`), width, height, channels);
      return indices.length;
    };
    // Corruption works on floats: contaminated byte images are expanded first.
    const trainFloats = asFloats(train);
    train = trainFloats;
    trainContaminated = contaminate(trainFloats, trainCount, 'train-contamination');
    // Real data is contaminated before anyone splits it; 'clean' is the optimistic lab setting.
    if ((c.validation ?? 'contaminated') === 'contaminated') {
      const validationFloats = asFloats(validation);
      validation = validationFloats;
      validationContaminated = contaminate(validationFloats, validationCount, 'validation-contamination');
    }
  }

  const testCount = dataset.test.count;
  const testOriginal = dataset.test.images.subarray(0, testCount * pixels);
  // One copy only when some test image is corrupted (folders with their own anomalies need none).
  const testInput = corruption.fraction > 0 ? testOriginal.slice() : testOriginal;
  const testCorrupted = chooseCorrupted(testCount, corruption.fraction, rngFor(seed, 'test-corruption-choice'));
  const corruptedIndices: number[] = [];
  testCorrupted.forEach((m, i) => { if (m) corruptedIndices.push(i); });
  const level = corruptionLevel(corruption.type, corruption.level);
  corruptImages(testInput, corruptedIndices, corruption.type, level, rngFor(seed, 'test-corruption-noise'), width, height, channels);
  const testCorruptionChange = measureCorruption(testOriginal, testInput, corruptedIndices, pixels);
  const warnings: string[] = [];
  const weak = corruptionWarning(testCorruptionChange, corruption.type, level);
  if (weak) warnings.push(weak);

  const testClasses = dataset.test.labels.slice(0, testCount);
  const testLabels = new Uint8Array(testCount);
  for (let i = 0; i < testCount; i++) {
    testLabels[i] = testCorrupted[i] || dataset.test.anomalous?.[i] || (normal && !normal.has(testClasses[i])) ? 1 : 0;
  }
  const anomalies = testLabels.reduce((s, v) => s + v, 0);
  if (anomalies === 0) {
    throw new InputError(`the test set has no anomalies: set corruption.fraction above 0${dataset.test.anomalous ? ', or add anomalous images' : ' or use data.normalClasses'}`, ['corruption', 'fraction']);
  }
  if (anomalies === testCount) {
    throw new InputError('every test image is an anomaly: lower corruption.fraction or widen data.normalClasses');
  }
  return {
    width, height, channels, train, trainCount, validation, validationCount,
    testOriginal, testInput, testCount, testLabels, testClasses, testCorrupted, trainContaminated, validationContaminated,
    testCorruptionChange, warnings, testMasks: dataset.test.masks, testFiles: dataset.test.files,
  };
}
