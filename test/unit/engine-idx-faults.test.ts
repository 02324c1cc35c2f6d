// Dataset files that are not what they claim (issue 9): a FIFO is refused without blocking, a
// gzip bomb stops at the size its IDX header declares, and a header that promises more than the
// gzip can hold is refused before decompressing.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/core/errors';
import { readIdxImages } from '../../src/engine/idx';

function idxHeader(count: number, height: number, width: number): Uint8Array {
  const h = new DataView(new ArrayBuffer(16));
  h.setUint32(0, 0x00000803);
  h.setUint32(4, count);
  h.setUint32(8, height);
  h.setUint32(12, width);
  return new Uint8Array(h.buffer);
}

describe('IDX files at the edges', function () {
  this.timeout(30_000);
  const dir = tempDir('aelab-idx-faults-');

  it('refuses a FIFO without opening it (opening would block until a writer came)', () => {
    const fifo = path.join(dir, 'train-images-idx3-ubyte');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    assert.throws(() => readIdxImages(fifo), (err: Error) => err instanceof InputError && /expected an IDX file, found a named pipe \(FIFO\)/.test(err.message));
    assert.ok(Date.now() - started < 1000);
    assert.throws(() => readIdxImages('/dev/zero'), /expected an IDX file, found a device/);
  });

  it('stops a gzip bomb at the size its header declares', () => {
    // Header: 10 images of 28x28 (7,840 bytes); body: 64 MB of zeros, about 64 KB gzipped.
    const bomb = path.join(dir, 'bomb.gz');
    const body = new Uint8Array(64 * 1024 * 1024);
    const plain = new Uint8Array(16 + body.length);
    plain.set(idxHeader(10, 28, 28));
    plain.set(body, 16);
    fs.writeFileSync(bomb, new Uint8Array(gzipSync(plain)));
    const before = process.memoryUsage().rss;
    assert.throws(() => readIdxImages(bomb), (err: Error) => err instanceof InputError && /decompresses to more than the 7856 bytes its header declares \(10x28x28\)/.test(err.message));
    assert.ok(process.memoryUsage().rss - before < 32 * 1024 * 1024, 'did not decompress the whole bomb');
  });

  it('refuses a header that promises more than the gzip can hold, before decompressing', () => {
    const liar = path.join(dir, 'liar.gz');
    fs.writeFileSync(liar, new Uint8Array(gzipSync(idxHeader(4_000_000, 28, 28))));
    assert.throws(() => readIdxImages(liar), /truncated: the header declares 4000000x28x28 \(3136000016 bytes\), more than \d+ gzip bytes can hold/);
  });

  it('still reads a good gzipped file', () => {
    const good = path.join(dir, 'good.gz');
    const plain = new Uint8Array(16 + 2 * 3 * 2);
    plain.set(idxHeader(2, 3, 2));
    plain.set([0, 255, 51, 102, 153, 204, 1, 2, 3, 4, 5, 6], 16);
    fs.writeFileSync(good, new Uint8Array(gzipSync(plain)));
    const images = readIdxImages(good);
    assert.deepEqual([images.count, images.height, images.width], [2, 3, 2]);
    assert.equal(images.images[1], 1);
  });
});
