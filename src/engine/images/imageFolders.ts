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
import { decodeImageFile, ImageFileError } from './decode';

type Key = readonly string[];

export interface ImageFolderOptions {
  /** Folders (symlinks followed) must lie inside it. */
  workspaceRoot: string;
  seed: number;
}

type TestEntry = PlannedTestImage;

export interface ImageFolderDataset {
  width: number;
  height: number;
  channels: 1 | 3;
  /** Bytes (value * 255): a quarter of the memory of floats; train.ts scales them a batch at a time. */
  train: { images: Uint8Array; count: number };
  test: { images: Float32Array; count: number; anomalous: Uint8Array; masks?: Uint8Array; files: string[] };
  trainFiles: string[];
  source: string;
}

function problem(key: Key, message: string): InputError {
  return new InputError(message, key);
}

/** Decodes images one by one into one array of count x height x width x channels. */
class ImageReader {
  width = 0;
  height = 0;
  private sizeFile?: string;

  constructor(private readonly cfg: ResolvedDataConfig, private readonly channels: 1 | 3, private readonly plan: FolderPlan) {
    if (cfg.imageSize) [this.height, this.width] = cfg.imageSize;
  }

  /** Pixel data can be damaged where the plan's header and tail checks do not look: refused here, at the file's key. */
  private decode(file: string, channels: 1 | 3) {
    try {
      return decodeImageFile(file, channels);
    } catch (err) {
      if (err instanceof ImageFileError) throw problem(this.plan.keyOf(file), err.message);
      throw err;
    }
  }

  readInto(files: readonly string[]): Float32Array;
  readInto(files: readonly string[], bytes: true): Uint8Array;
  readInto(files: readonly string[], bytes = false): Float32Array | Uint8Array {
    let out: Float32Array | Uint8Array | undefined;
    files.forEach((file, i) => {
      const image = this.decode(file, this.channels);
      if (this.width === 0) {
        [this.width, this.height, this.sizeFile] = [image.width, image.height, file];
      }
      let pixels = image.pixels;
      if (image.width !== this.width || image.height !== this.height) {
        // A guard: the plan compared the headers' sizes already.
        if (!this.cfg.imageSize) {
          throw problem(this.plan.keyOf(file), `images of different sizes: ${this.sizeFile} is ${this.height}x${this.width} but ${file} is ${image.height}x${image.width} (height x width); set data.imageSize to resize them all`);
        }
        pixels = resizeBilinear(image.pixels, image.height, image.width, this.channels, this.height, this.width);
      }
      out ??= bytes ? new Uint8Array(files.length * pixels.length) : new Float32Array(files.length * pixels.length);
      if (out instanceof Uint8Array) {
        for (let k = 0; k < pixels.length; k++) out[i * pixels.length + k] = Math.round(pixels[k] * 255);
      } else {
        out.set(pixels, i * pixels.length);
      }
    });
    return out ?? (bytes ? new Uint8Array(0) : new Float32Array(0));
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
  const trainImages = reader.readInto(train, true);
  const testImages = reader.readInto(test.map((e) => e.file));
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
}
