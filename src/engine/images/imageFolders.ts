// Image-folder datasets: the MVTec AD layout (<root>/<category>/train/good, test/good,
// test/<defect>, ground_truth/<defect>/<name>_mask.png) and a plain folder form (normalDir,
// abnormalDir, maskDir). Which files, and every problem listings, headers and tails show, come
// from core/imageFolderPlan.ts, the plan validation checks too; a problem is an InputError at the
// experiment key that named the folder, raised before any run folder exists. Images are decoded
// one at a time straight into the dataset's array, so the peak is the dataset plus one image;
// training images are kept as bytes (a quarter of floats: 10,000 images of 128x128x3 are 492 MB
// instead of 1.97 GB).
import { nodeFolderReader } from '../../core/datasetFiles';
import { InputError } from '../../core/errors';
import type { ResolvedDataConfig } from '../../core/experiment.generated';
import { planImageFolders, type FolderPlan, type PlannedTestImage } from '../../core/imageFolderPlan';
import { resizeBilinear } from '../../core/imageResize';
import { ByteImages } from './byteImages';
import { convertPixels, decodeImageFile, decodeImageRgba, ImageFileError } from './decode';

type Key = readonly string[];

export interface ImageFolderOptions {
  /** Folders (symlinks followed) must lie inside it. */
  workspaceRoot: string;
  seed: number;
  /** Training images past this many bytes are kept in a temp file, not in memory (tests lower it). */
  imagesInMemoryUpTo?: number;
}

/** 64 MB of training bytes (1,300 images of 128x128x3) stay in memory; more go to a temp file. */
export const IMAGES_IN_MEMORY_UP_TO = 64 * 1024 * 1024;

type TestEntry = PlannedTestImage;

export interface ImageFolderDataset {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Bytes (value * 255), in memory or a temp file (ByteImages); train.ts scales them a batch at a time. Close when done. */
  train: { images: ByteImages; count: number };
  test: { images: Float32Array; count: number; anomalous: Uint8Array; masks?: Uint8Array; files: string[] };
  trainFiles: string[];
  source: string;
}

function problem(key: Key, message: string): InputError {
  return new InputError(message, key);
}

/** Decodes the planned images one by one (the plan checked sizes and colour from the headers already). */
class ImageReader {
  width = 0;
  height = 0;
  private sizeFile?: string;

  constructor(private readonly cfg: ResolvedDataConfig, private readonly channels: 1 | 3, private readonly plan: FolderPlan) {
    if (cfg.imageSize) [this.height, this.width] = cfg.imageSize;
  }

  /** Pixel data can be damaged where the plan's header and tail checks do not look: refused here, at the file's key. */
  private located<T>(file: string, read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof ImageFileError) throw problem(this.plan.keyOf(file), err.message);
      throw err;
    }
  }

  private decode(file: string, channels: 1 | 3) {
    return this.located(file, () => decodeImageFile(file, channels));
  }

  /**
   * Decodes `file` into `out` (width x height x channels values): converted straight into it when
   * the file has the run's size, else through floats resized (bilinear).
   */
  private readOne(file: string, out: Float32Array | Uint8Array): void {
    const image = this.located(file, () => decodeImageRgba(file));
    if (this.width === 0) {
      [this.width, this.height, this.sizeFile] = [image.width, image.height, file];
    }
    if (image.width === this.width && image.height === this.height) {
      convertPixels(image, this.channels, out);
      return;
    }
    // A guard: the plan compared the headers' sizes already.
    if (!this.cfg.imageSize) {
      throw problem(this.plan.keyOf(file), `images of different sizes: ${this.sizeFile} is ${this.height}x${this.width} but ${file} is ${image.height}x${image.width} (height x width); set data.imageSize to resize them all`);
    }
    const pixels = new Float32Array(image.width * image.height * this.channels);
    convertPixels(image, this.channels, pixels);
    const resized = resizeBilinear(pixels, image.height, image.width, this.channels, this.height, this.width);
    if (out instanceof Float32Array) out.set(resized);
    else for (let k = 0; k < resized.length; k++) out[k] = Math.round(resized[k] * 255);
  }

  /** The size the first image fixes when imageSize does not: read before anything is allocated. */
  private values(files: readonly string[]): number {
    if (this.width === 0 && files.length > 0) {
      const first = this.located(files[0], () => decodeImageRgba(files[0]));
      [this.width, this.height, this.sizeFile] = [first.width, first.height, files[0]];
    }
    return this.width * this.height * this.channels;
  }

  /** The images as floats in [0, 1], one array. */
  readFloats(files: readonly string[]): Float32Array {
    const values = this.values(files);
    const out = new Float32Array(files.length * values);
    files.forEach((file, i) => this.readOne(file, out.subarray(i * values, (i + 1) * values)));
    return out;
  }

  /** The images as bytes: in memory up to `memoryLimit` bytes, in a temp file past it. */
  readBytes(files: readonly string[], memoryLimit: number): ByteImages {
    const values = this.values(files);
    const writer = ByteImages.writer(files.length, values, memoryLimit);
    try {
      for (const file of files) this.readOne(file, writer.nextImage());
      return writer.finish();
    } catch (err) {
      writer.abandon();
      throw err;
    }
  }

  /** Masks as bytes (1 = defect) at the image size; an image without a mask gets an empty one. */
  readMasks(entries: readonly TestEntry[]): Uint8Array {
    const pixels = this.width * this.height;
    const out = new Uint8Array(entries.length * pixels);
    entries.forEach((entry, i) => {
      if (!entry.mask) return;
      const mask = this.decode(entry.mask, 1);
      const resized = resizeBilinear(mask.pixels, mask.height, mask.width, 1, this.height, this.width);
      for (let p = 0; p < pixels; p++) out[i * pixels + p] = resized[p] >= 0.5 ? 1 : 0;
    });
    return out;
  }
}

/** Loads an mvtec or folder dataset; `baseDir` is the experiment file's folder. */
export function loadImageFolders(cfg: ResolvedDataConfig, baseDir: string, opts: ImageFolderOptions): ImageFolderDataset {
  const planned = planImageFolders(cfg, baseDir, opts, nodeFolderReader);
  const [first] = planned.problems;
  if (first || !planned.plan) throw new InputError(first?.message ?? 'image folders: nothing to load', first?.key ?? ['data']);
  const layout = planned.plan;
  const { train, test } = layout;
  const channels = cfg.channels ?? 1;
  const reader = new ImageReader(cfg, channels, layout);
  const trainImages = reader.readBytes(train, opts.imagesInMemoryUpTo ?? IMAGES_IN_MEMORY_UP_TO);
  try {
    const testImages = reader.readFloats(test.map((e) => e.file));
    const hasMasks = test.some((e) => e.mask);
    return {
      width: reader.width, height: reader.height, channels,
      train: { images: trainImages, count: train.length },
      test: {
        images: testImages, count: test.length, files: test.map((e) => e.file),
        anomalous: Uint8Array.from(test, (e) => (e.anomalous ? 1 : 0)),
        masks: hasMasks ? reader.readMasks(test) : undefined,
      },
      trainFiles: train,
      source: `${layout.description}, ${train.length} train / ${test.length} test, ${reader.height}x${reader.width}x${channels}`,
    };
  } catch (err) {
    trainImages.close();
    throw err;
  }
}
