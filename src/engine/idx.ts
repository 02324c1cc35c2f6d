// IDX files, the format MNIST and its relatives ship in: a 4-byte magic (0, 0, element type,
// number of dimensions), one big-endian uint32 per dimension, then the elements row-major.
// Only unsigned-byte files are accepted (every MNIST-like dataset uses them). Files may be
// gzipped; plain files are read only as far as a limit needs. Header parsing: core/idxFormat.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { InputError } from '../core/errors';
import { openIdxFile } from '../core/datasetFiles';
import { readAt } from '../core/fileAccess';
import { checkBodyLength, isGzip, MAX_HEADER_BYTES, parseHeader, type IdxKind } from '../core/idxFormat';

export type { IdxKind } from '../core/idxFormat';

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

function limitedCount(inFile: number, limit: number | undefined, name: string): number {
  if (limit === undefined) return inFile;
  if (!Number.isInteger(limit) || limit < 0) throw new InputError(`${name}: limit must be a whole number >= 0, found ${limit}`);
  return Math.min(inFile, limit);
}

// Deflate cannot expand data more than 1032:1; a header that promises more than that is lying.
const MAX_DEFLATE_RATIO = 1032;
// Enough compressed input to decompress the largest header from.
const GZIP_HEADER_INPUT = 4096;

/**
 * Gunzip bounded by what the IDX header inside promises: the header is decompressed first (from
 * the first few KB), then the whole file with an output limit of header + declared body, so a
 * gzip bomb stops at that size instead of exhausting memory.
 */
function gunzipBounded(bytes: Uint8Array, name: string, expect: IdxKind | undefined): Uint8Array {
  const fail = (err: unknown) => new InputError(`${name}: starts like gzip (1f 8b) but does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  let head: Uint8Array;
  try {
    const out = zlib.gunzipSync(bytes.subarray(0, GZIP_HEADER_INPUT), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    head = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    throw fail(err);
  }
  const header = parseHeader(head.subarray(0, Math.min(head.length, MAX_HEADER_BYTES)), name, expect);
  const declared = header.headerBytes + header.dims[0] * header.itemBytes;
  if (declared > bytes.length * MAX_DEFLATE_RATIO + MAX_HEADER_BYTES) {
    throw new InputError(`${name}: truncated: the header declares ${header.dims.join('x')} (${declared} bytes), more than ${bytes.length} gzip bytes can hold`);
  }
  try {
    const out = zlib.gunzipSync(bytes, { maxOutputLength: declared + 1 });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new InputError(`${name}: decompresses to more than the ${declared} bytes its header declares (${header.dims.join('x')})`);
    }
    throw fail(err);
  }
}


/**
 * Parses a whole IDX file (plain or gzip) held in memory. `expect` checks the magic for images or
 * labels; `limit` returns only the first items. Every problem is an InputError naming `fileName`.
 */
export function parseIdx(bytes: Uint8Array, fileName: string, expect?: IdxKind, limit?: number): IdxArray {
  const raw = isGzip(bytes) ? gunzipBounded(bytes, fileName, expect) : bytes;
  const header = parseHeader(raw, fileName, expect);
  checkBodyLength(header, raw.length - header.headerBytes, fileName, expect);
  const count = limitedCount(header.dims[0], limit, fileName);
  const start = header.headerBytes;
  // Copied into a plain Uint8Array: Buffer.slice would be a view pinning the whole file.
  return { dims: header.dims, count, data: new Uint8Array(raw.subarray(start, start + count * header.itemBytes)) };
}


/**
 * Reads an IDX file from disk. Plain files are read only up to the items a limit needs (their
 * full length is still checked against the header); gzip files are decompressed whole.
 */
export function readIdx(file: string, expect?: IdxKind, limit?: number): IdxArray {
  const abs = path.resolve(file);
  const { fd, size } = openIdxFile(abs);
  try {
    const head = readAt(fd, 0, Math.min(size, MAX_HEADER_BYTES));
    if (isGzip(head)) return parseIdx(readAt(fd, 0, size), abs, expect, limit);
    const header = parseHeader(head, abs, expect);
    checkBodyLength(header, size - header.headerBytes, abs, expect);
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

