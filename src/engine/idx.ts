// IDX files, the format MNIST and its relatives ship in: a 4-byte magic (0, 0, element type,
// number of dimensions), one big-endian uint32 per dimension, then the elements row-major.
// Only unsigned-byte files are accepted (every MNIST-like dataset uses them). Files may be
// gzipped; plain files are read only as far as a limit needs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../core/errors';
import { constants as zlibConstants } from 'node:zlib';

export type IdxKind = 'images' | 'labels';

/** An IDX array: the header's dimensions and the bytes of the first `count` items. */
export interface IdxArray {
  /** Dimensions as the file header declares them; dims[0] is the number of items in the file. */
  dims: number[];
  /** Items actually returned (the file's count, or fewer under a limit). */
  count: number;
  /** Element bytes of those `count` items, row-major (a copy, not a view of the file). */
  data: Uint8Array;
}

export interface IdxImages {
  /** Pixels scaled to [0, 1], count * height * width, row-major. */
  images: Float32Array;
  count: number;
  width: number;
  height: number;
  /** Images the file holds (count is smaller when a limit applied). */
  countInFile: number;
}

const UNSIGNED_BYTE = 0x08;
const EXPECTED: Record<IdxKind, { magic: number; dims: number; what: string; unit: string }> = {
  images: { magic: 0x00000803, dims: 3, what: 'unsigned byte images, 3 dims', unit: 'pixels' },
  labels: { magic: 0x00000801, dims: 1, what: 'unsigned byte labels, 1 dim', unit: 'labels' },
};
// Other IDX element types, named so a wrong file is reported as what it is.
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};
// The largest header: 4 magic bytes plus 255 dimensions.
const MAX_HEADER_BYTES = 4 + 4 * 255;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function describeMagic(bytes: Uint8Array): string {
  const type = TYPE_NAMES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) return 'not an IDX file';
  return `${type}, ${bytes[3]} dim${bytes[3] === 1 ? '' : 's'}`;
}

interface IdxHeader {
  dims: number[];
  headerBytes: number;
  /** Bytes per item: the product of every dimension after the first. */
  itemBytes: number;
}

/** Validates magic and header against what `expect` asks for; `bytes` needs only the header. */
function parseHeader(bytes: Uint8Array, name: string, expect: IdxKind | undefined): IdxHeader {
  if (bytes.length < 4) {
    throw new InputError(`${name}: not an IDX file: ${bytes.length} byte(s), too short for the 4-byte magic number`);
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const ndims = bytes[3];
  const want = expect ? EXPECTED[expect] : undefined;
  const magicOk = bytes[0] === 0 && bytes[1] === 0 && bytes[2] === UNSIGNED_BYTE && ndims > 0;
  if (!magicOk || (want && magic !== want.magic)) {
    const expected = want ? `IDX magic ${hex(want.magic)} (${want.what})` : 'an IDX magic 0x000008NN (unsigned byte, N >= 1 dims)';
    throw new InputError(`${name}: expected ${expected}, found ${hex(magic)} (${describeMagic(bytes)})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new InputError(`${name}: truncated: the header declares ${ndims} dims (${headerBytes} header bytes), file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const itemBytes = dims.slice(1).reduce((p, n) => p * n, 1);
  return { dims, headerBytes, itemBytes };
}

/** The body must hold exactly what the header declares: fewer is truncation, more is a wrong shape. */
function checkBodyLength(header: IdxHeader, bodyBytes: number, name: string, expect: IdxKind | undefined): void {
  const declared = header.dims[0] * header.itemBytes;
  if (declared === bodyBytes) return;
  const unit = expect ? EXPECTED[expect].unit : 'data';
  const says = `header says ${header.dims.join('x')} = ${declared} bytes of ${unit}`;
  const has = `file has ${bodyBytes} after its ${header.headerBytes}-byte header`;
  throw new InputError(bodyBytes < declared
    ? `${name}: truncated: ${says}, ${has}`
    : `${name}: ${says}, ${has} (${bodyBytes - declared} extra bytes)`);
}

function limitedCount(inFile: number, limit: number | undefined, name: string): number {
  if (limit === undefined) return inFile;
  if (!Number.isInteger(limit) || limit < 0) throw new InputError(`${name}: limit must be a whole number >= 0, found ${limit}`);
  return Math.min(inFile, limit);
}

function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw new InputError(`${name}: starts like gzip (1f 8b) but does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Parses a whole IDX file (plain or gzip) held in memory. `expect` checks the magic for images or
 * labels; `limit` returns only the first items. Every problem is an InputError naming `fileName`.
 */
export function parseIdx(bytes: Uint8Array, fileName: string, expect?: IdxKind, limit?: number): IdxArray {
  const raw = isGzip(bytes) ? gunzip(bytes, fileName) : bytes;
  const header = parseHeader(raw, fileName, expect);
  checkBodyLength(header, raw.length - header.headerBytes, fileName, expect);
  const count = limitedCount(header.dims[0], limit, fileName);
  const start = header.headerBytes;
  // Copied into a plain Uint8Array: Buffer.slice would be a view pinning the whole file.
  return { dims: header.dims, count, data: new Uint8Array(raw.subarray(start, start + count * header.itemBytes)) };
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * Reads an IDX file from disk. Plain files are read only up to the items a limit needs (their
 * full length is still checked against the header); gzip files are decompressed whole.
 */
export function readIdx(file: string, expect?: IdxKind, limit?: number): IdxArray {
  const abs = path.resolve(file);
  let fd: number;
  try {
    fd = fs.openSync(abs, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`file not found: ${abs}`);
    throw new InputError(`${abs}: cannot open: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${abs}: expected an IDX file, found a ${stat.isDirectory() ? 'directory' : 'non-regular file'}`);
    const head = readAt(fd, 0, Math.min(stat.size, MAX_HEADER_BYTES));
    if (isGzip(head)) return parseIdx(readAt(fd, 0, stat.size), abs, expect, limit);
    const header = parseHeader(head, abs, expect);
    checkBodyLength(header, stat.size - header.headerBytes, abs, expect);
    const count = limitedCount(header.dims[0], limit, abs);
    return { dims: header.dims, count, data: readAt(fd, header.headerBytes, count * header.itemBytes) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Turns a parsed images array into [0, 1] floats. */
export function idxToImages(array: IdxArray, fileName: string): IdxImages {
  if (array.dims.length !== 3) {
    throw new InputError(`${fileName}: expected 3 dims (count x height x width), found ${array.dims.length}`);
  }
  const [countInFile, height, width] = array.dims;
  if (width === 0 || height === 0) throw new InputError(`${fileName}: images are ${height}x${width} pixels: expected at least 1x1`);
  const pixels = array.data;
  const images = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) images[i] = pixels[i] / 255;
  return { images, count: array.count, width, height, countInFile };
}

/** Reads an IDX images file (magic 0x00000803): the first `limit` images, pixels scaled to [0, 1]. */
export function readIdxImages(file: string, limit?: number): IdxImages {
  return idxToImages(readIdx(file, 'images', limit), path.resolve(file));
}

/** Reads an IDX labels file (magic 0x00000801): the first `limit` labels. */
export function readIdxLabels(file: string, limit?: number): Uint8Array {
  return readIdx(file, 'labels', limit).data;
}

// A gzip prefix this long decompresses to more than any IDX header (deflate expands at most ~1032x).
const GZIP_PREFIX_BYTES = 4096;

/**
 * Checks an IDX file by its header and size only, reading no items: what validation needs before
 * a run. Plain files: header plus file size. Gzip: the first decompressed bytes plus the length
 * the gzip trailer records (ISIZE, the uncompressed size mod 2^32). Returns the header's
 * dimensions; every problem is the InputError `readIdx` would raise (or its gzip equivalent).
 */
export function readIdxHeader(file: string, expect: IdxKind): number[] {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`file not found: ${abs}`);
    throw new InputError(`${abs}: cannot open: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Checked before opening: opening a FIFO would block.
  if (!stat.isFile()) throw new InputError(`${abs}: expected an IDX file, found a ${stat.isDirectory() ? 'directory' : 'non-regular file'}`);
  const fd = fs.openSync(abs, 'r');
  try {
    const head = readAt(fd, 0, Math.min(stat.size, GZIP_PREFIX_BYTES));
    if (!isGzip(head)) {
      const header = parseHeader(head, abs, expect);
      checkBodyLength(header, stat.size - header.headerBytes, abs, expect);
      return header.dims;
    }
    let start: Uint8Array;
    try {
      // SYNC_FLUSH: a prefix of the stream decompresses as far as it goes instead of failing.
      const out = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 8 * 1024 * 1024 });
      start = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (err) {
      throw new InputError(`${abs}: starts like gzip (1f 8b) but does not decompress: ${err instanceof Error ? err.message : String(err)}`);
    }
    const header = parseHeader(start, abs, expect);
    const trailer = stat.size >= 18 ? readAt(fd, stat.size - 4, 4) : new Uint8Array(0);
    if (trailer.length < 4) throw new InputError(`${abs}: truncated: too short to be a whole gzip file (${stat.size} bytes)`);
    const isize = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true);
    const declared = header.headerBytes + header.dims[0] * header.itemBytes;
    if (declared % 2 ** 32 !== isize) {
      throw new InputError(`${abs}: truncated or damaged gzip: the header says ${header.dims.join('x')} = ${declared} bytes in all, but the gzip trailer records ${isize}`);
    }
    return header.dims;
  } finally {
    fs.closeSync(fd);
  }
}
