// IDX reading: round trips of hand-built files (plain and gzip, in memory and on disk, with
// limits), and one malformed case each, checked for an InputError that says what was wrong.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors';
import { parseIdx, readIdxImages, readIdxLabels } from '../../src/engine/idx';

/** gzipSync as a plain Uint8Array (this @types/node's Buffer does not type-check as one). */
function gzip(bytes: Uint8Array): Uint8Array {
  const out = gzipSync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** An IDX file: magic 0, 0, type, ndims; big-endian dims; then the body. */
function idx(type: number, dims: number[], body: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(body), 4 + 4 * dims.length);
  return out;
}

// 3 images of 2 rows x 4 columns: pixel value = 10 * image + position, so order is checkable.
const COUNT = 3, HEIGHT = 2, WIDTH = 4;
const PIXELS = Array.from({ length: COUNT * HEIGHT * WIDTH }, (_, i) => 10 * Math.floor(i / 8) + (i % 8));
const IMAGES = idx(0x08, [COUNT, HEIGHT, WIDTH], PIXELS);
const LABELS = idx(0x08, [COUNT], [5, 0, 255]);

function expectInputError(fn: () => unknown, ...parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    for (const part of parts) assert.ok(err.message.includes(part), `message "${err.message}" lacks "${part}"`);
    return true;
  });
}

describe('engine/idx', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-idx-'));
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('parseIdx', () => {
    for (const [kind, encode] of [['plain', (b: Uint8Array) => b], ['gzip', gzip]] as const) {
      it(`round-trips images and labels (${kind})`, () => {
        const images = parseIdx(encode(IMAGES), 'imgs', 'images');
        assert.deepEqual(images.dims, [COUNT, HEIGHT, WIDTH]);
        assert.equal(images.count, COUNT);
        assert.deepEqual(Array.from(images.data), PIXELS);
        const labels = parseIdx(encode(LABELS), 'labels', 'labels');
        assert.deepEqual(labels.dims, [COUNT]);
        assert.deepEqual(Array.from(labels.data), [5, 0, 255]);
      });
    }

    it('returns only the first items under a limit, keeping the header dims', () => {
      const images = parseIdx(IMAGES, 'imgs', 'images', 2);
      assert.deepEqual(images.dims, [COUNT, HEIGHT, WIDTH]);
      assert.equal(images.count, 2);
      assert.deepEqual(Array.from(images.data), PIXELS.slice(0, 16));
      assert.equal(parseIdx(IMAGES, 'imgs', 'images', 99).count, COUNT);
    });

    it('accepts any unsigned-byte IDX shape when no kind is expected', () => {
      const cube = parseIdx(idx(0x08, [2, 1, 1, 2], [1, 2, 3, 4]), 'cube');
      assert.deepEqual(cube.dims, [2, 1, 1, 2]);
      assert.deepEqual(Array.from(cube.data), [1, 2, 3, 4]);
    });

    it('rejects a labels file where images are expected, naming both magics', () => {
      expectInputError(() => parseIdx(LABELS, 'train-images.idx3-ubyte', 'images'),
        'train-images.idx3-ubyte: expected IDX magic 0x00000803 (unsigned byte images, 3 dims), found 0x00000801 (unsigned byte, 1 dim)');
    });

    it('rejects an images file where labels are expected', () => {
      expectInputError(() => parseIdx(IMAGES, 'lbl', 'labels'), 'lbl: expected IDX magic 0x00000801 (unsigned byte labels, 1 dim), found 0x00000803');
    });

    it('rejects element types other than unsigned byte, naming the type', () => {
      expectInputError(() => parseIdx(idx(0x0d, [1, 1, 1], [0, 0, 0, 0]), 'floats', 'images'), 'found 0x00000d03 (float32, 3 dims)');
    });

    it('rejects a file that is not IDX at all', () => {
      expectInputError(() => parseIdx(new TextEncoder().encode('hello world'), 'notes.txt', 'images'), 'notes.txt: expected IDX magic 0x00000803', 'not an IDX file');
      expectInputError(() => parseIdx(new Uint8Array([0, 0]), 'tiny'), 'tiny: not an IDX file: 2 byte(s)');
    });

    it('rejects a header cut short', () => {
      expectInputError(() => parseIdx(IMAGES.subarray(0, 10), 'short', 'images'), 'short: truncated: the header declares 3 dims (16 header bytes), file has 10 bytes');
    });

    it('rejects a truncated body, with the declared and actual sizes', () => {
      expectInputError(() => parseIdx(IMAGES.subarray(0, IMAGES.length - 5), 'imgs', 'images'),
        'imgs: truncated: header says 3x2x4 = 24 bytes of pixels, file has 19 after its 16-byte header');
      expectInputError(() => parseIdx(LABELS.subarray(0, LABELS.length - 1), 'lbl', 'labels'), 'truncated: header says 3 = 3 bytes of labels, file has 2');
    });

    it('rejects trailing bytes', () => {
      const long = new Uint8Array(IMAGES.length + 7);
      long.set(IMAGES);
      expectInputError(() => parseIdx(long, 'imgs', 'images'), 'header says 3x2x4 = 24 bytes of pixels, file has 31', '7 extra bytes');
    });

    it('rejects a truncated gzip stream', () => {
      const gz = gzip(IMAGES);
      expectInputError(() => parseIdx(gz.subarray(0, gz.length - 10), 'imgs.gz', 'images'), 'imgs.gz: starts like gzip (1f 8b) but does not decompress');
    });

    it('rejects a bad limit', () => {
      expectInputError(() => parseIdx(IMAGES, 'imgs', 'images', -1), 'limit must be a whole number');
      expectInputError(() => parseIdx(IMAGES, 'imgs', 'images', 1.5), 'limit must be a whole number');
    });
  });

  describe('readIdxImages / readIdxLabels', () => {
    for (const gz of [false, true]) {
      it(`reads ${gz ? 'gzipped' : 'plain'} files from disk, scaling pixels to [0, 1]`, () => {
        const encode = (b: Uint8Array) => (gz ? gzip(b) : b);
        const imagesFile = write(`imgs${gz ? '.gz' : ''}`, encode(IMAGES));
        const labelsFile = write(`lbls${gz ? '.gz' : ''}`, encode(LABELS));
        const all = readIdxImages(imagesFile);
        assert.equal(all.count, COUNT);
        assert.equal(all.countInFile, COUNT);
        assert.equal(all.width, WIDTH);
        assert.equal(all.height, HEIGHT);
        assert.ok(all.images instanceof Float32Array);
        assert.equal(all.images.length, COUNT * WIDTH * HEIGHT);
        PIXELS.forEach((v, i) => assert.equal(all.images[i], Math.fround(v / 255)));
        // Row-major: image 1, row 1, column 2 is pixel 1*8 + 1*4 + 2.
        assert.equal(all.images[1 * 8 + 1 * 4 + 2], Math.fround((10 + 6) / 255));

        const two = readIdxImages(imagesFile, 2);
        assert.equal(two.count, 2);
        assert.equal(two.countInFile, COUNT);
        assert.deepEqual(Array.from(two.images), Array.from(all.images.subarray(0, 16)));

        assert.deepEqual(Array.from(readIdxLabels(labelsFile)), [5, 0, 255]);
        assert.deepEqual(Array.from(readIdxLabels(labelsFile, 1)), [5]);
        assert.deepEqual(Array.from(readIdxLabels(labelsFile, 0)), []);
      });
    }

    it('still checks the whole length of a plain file when reading under a limit', () => {
      const file = write('cut', IMAGES.subarray(0, IMAGES.length - 1));
      expectInputError(() => readIdxImages(file, 1), `${file}: truncated: header says 3x2x4 = 24 bytes of pixels, file has 23`);
    });

    it('reports a missing file with its absolute path', () => {
      const missing = path.join(dir, 'nope', 'train-images-idx3-ubyte');
      expectInputError(() => readIdxImages(missing), `file not found: ${missing}`);
      expectInputError(() => readIdxLabels(path.relative(process.cwd(), missing)), `file not found: ${missing}`);
    });

    it('reports a directory given as a file', () => {
      expectInputError(() => readIdxLabels(dir), `${dir}: expected an IDX file, found a directory`);
    });

    it('reports a file of the wrong kind by its path', () => {
      const file = write('labels-as-images', LABELS);
      expectInputError(() => readIdxImages(file), `${file}: expected IDX magic 0x00000803`);
    });

    it('rejects images of zero size', () => {
      const file = write('empty-images', idx(0x08, [2, 0, 28], []));
      expectInputError(() => readIdxImages(file), 'images are 0x28 pixels');
    });
  });
});
