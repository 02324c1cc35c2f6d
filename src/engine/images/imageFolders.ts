// Image-folder datasets: the MVTec AD layout (<root>/<category>/train/good, test/good,
// test/<defect>, ground_truth/<defect>/<name>_mask.png) and a plain folder form (normalDir,
// abnormalDir, maskDir). Every problem is an InputError at the experiment key that named the
// folder, raised before any run folder exists. Images are decoded one at a time straight into
// the dataset's array, so the peak is the dataset plus one image; training images are kept as
// bytes (a quarter of floats: 10,000 images of 128x128x3 are 492 MB instead of 1.97 GB).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import type { ResolvedDataConfig } from '../../core/experiment.generated';
import { resizeBilinear } from '../../core/imageResize';
import { rngFor } from '../../core/rng';
import { ByteImages } from './byteImages';
import { convertPixels, decodeImageFile, decodeImageRgba, hasColour, ImageFileError, isImageFileName } from './decode';

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

interface TestEntry {
  file: string;
  anomalous: boolean;
  mask?: string;
}

interface Layout {
  train: string[];
  test: TestEntry[];
  /** The key each file's problems are reported at. */
  key: Key;
  description: string;
}

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

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Resolves a folder given in the experiment file; it must exist, be a folder and lie inside the workspace. */
function resolveFolder(given: string, baseDir: string, key: Key, opts: ImageFolderOptions, what: string): string {
  const dir = path.resolve(baseDir, given);
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(key, code === 'ELOOP' ? `${what} ${dir} is a symlink loop` : `${what} ${dir} does not exist`);
  }
  if (!fs.statSync(real).isDirectory()) throw problem(key, `${what} ${dir} is not a folder`);
  const root = fs.realpathSync(opts.workspaceRoot);
  if (!isInside(real, root)) throw problem(key, `${what} ${dir} is outside the workspace ${root}; image folders must lie inside it`);
  return real;
}

/** Image files directly in `dir`, sorted by name; symlinks followed (a loop is a problem), other entries ignored. */
function listImages(dir: string, key: Key, opts: ImageFolderOptions, allowEmpty = false): string[] {
  const root = fs.realpathSync(opts.workspaceRoot);
  const files: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!isImageFileName(name)) continue;
    const file = path.join(dir, name);
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw problem(key, `${file}: ${code === 'ELOOP' ? 'a symlink loop' : `a broken link (${code})`}`);
    }
    if (!isInside(real, root)) throw problem(key, `${file} links to ${real}, outside the workspace ${root}`);
    if (fs.statSync(real).isDirectory()) continue;
    files.push(file);
  }
  if (files.length === 0 && !allowEmpty) throw problem(key, `${dir} holds no PNG or JPEG images`);
  return files;
}

function subfolders(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

const stem = (file: string) => path.basename(file, path.extname(file));

/** Pairs masks with anomalous images by name (`x.png` or `x_mask.png` for image `x.*`); a mask without its image is a problem. */
function attachMasks(anomalous: TestEntry[], maskFiles: string[], key: Key): void {
  const byStem = new Map(anomalous.map((e) => [stem(e.file), e]));
  for (const mask of maskFiles) {
    const name = stem(mask);
    const entry = byStem.get(name) ?? byStem.get(name.replace(/_mask$/, ''));
    if (!entry) throw problem(key, `mask ${mask} has no image: expected an image named ${name.replace(/_mask$/, '')}.png or .jpg beside the anomalous images`);
    entry.mask = mask;
  }
}

function mvtecLayout(cfg: ResolvedDataConfig, baseDir: string, opts: ImageFolderOptions): Layout {
  if (!cfg.root || !cfg.category) throw problem(['data'], 'data.root and data.category are required when data.dataset is mvtec');
  const root = resolveFolder(cfg.root, baseDir, ['data', 'root'], opts, 'data.root');
  const key = ['data', 'category'];
  const base = path.join(root, cfg.category);
  if (!fs.existsSync(base)) throw problem(key, `category ${cfg.category} not found: ${base} does not exist (categories there: ${subfolders(root).join(', ') || 'none'})`);
  const need = (rel: string) => {
    const dir = path.join(base, rel);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw problem(key, `${dir} does not exist: an MVTec category holds train/good, test/good and test/<defect> folders`);
    return dir;
  };
  const train = listImages(need('train/good'), key, opts);
  const testDir = need('test');
  const test: TestEntry[] = [];
  for (const defect of subfolders(testDir)) {
    const entries = listImages(path.join(testDir, defect), key, opts, true).map((file) => ({ file, anomalous: defect !== 'good' }));
    test.push(...entries);
    const maskDir = path.join(base, 'ground_truth', defect);
    if (defect !== 'good' && fs.existsSync(maskDir)) attachMasks(entries, listImages(maskDir, key, opts, true), key);
  }
  if (test.length === 0) throw problem(key, `${testDir} holds no images`);
  const groundTruth = path.join(base, 'ground_truth');
  if (fs.existsSync(groundTruth)) {
    for (const defect of subfolders(groundTruth)) {
      if (!fs.existsSync(path.join(testDir, defect))) throw problem(key, `masks in ${path.join(groundTruth, defect)} have no images: ${path.join(testDir, defect)} does not exist`);
    }
  }
  return { train, test, key, description: `MVTec ${cfg.category} (${root})` };
}

function folderLayout(cfg: ResolvedDataConfig, baseDir: string, opts: ImageFolderOptions): Layout {
  if (!cfg.normalDir) throw problem(['data'], 'data.normalDir is required when data.dataset is folder');
  const normalKey = ['data', 'normalDir'];
  const normal = listImages(resolveFolder(cfg.normalDir, baseDir, normalKey, opts, 'data.normalDir'), normalKey, opts);
  // A seeded share of the normal images is tested, not trained on.
  const order = normal.map((_, i) => i);
  rngFor(opts.seed, 'folder-test-split').shuffle(order);
  const testNormal = Math.round(normal.length * (cfg.testSplit ?? 0.2));
  if (normal.length - testNormal < 2) throw problem(['data', 'testSplit'], `data.testSplit ${cfg.testSplit ?? 0.2} leaves ${normal.length - testNormal} of the ${normal.length} normal images for training: at least 2 are needed`);
  const test: TestEntry[] = order.slice(0, testNormal).sort((a, b) => a - b).map((i) => ({ file: normal[i], anomalous: false }));
  const train = order.slice(testNormal).sort((a, b) => a - b).map((i) => normal[i]);
  if (cfg.abnormalDir) {
    const key = ['data', 'abnormalDir'];
    const anomalous = listImages(resolveFolder(cfg.abnormalDir, baseDir, key, opts, 'data.abnormalDir'), key, opts).map((file) => ({ file, anomalous: true }));
    test.push(...anomalous);
    if (cfg.maskDir) {
      const maskKey = ['data', 'maskDir'];
      attachMasks(anomalous, listImages(resolveFolder(cfg.maskDir, baseDir, maskKey, opts, 'data.maskDir'), maskKey, opts), maskKey);
    }
  } else if (cfg.maskDir) {
    throw problem(['data', 'maskDir'], 'data.maskDir needs data.abnormalDir: masks mark the defects of the anomalous images');
  }
  return { train, test, key: normalKey, description: `image folder ${path.resolve(baseDir, cfg.normalDir)}` };
}

/** Decodes images one by one, checking they agree in size (or resizing them) and in colour. */
class ImageReader {
  width = 0;
  height = 0;
  private colourFile?: string;
  private grayFile?: string;
  private sizeFile?: string;

  constructor(private readonly cfg: ResolvedDataConfig, private readonly channels: 1 | 3, private readonly key: Key) {
    if (cfg.imageSize) [this.height, this.width] = cfg.imageSize;
  }

  private located<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      if (err instanceof ImageFileError) throw problem(this.key, err.message);
      throw err;
    }
  }

  private decode(file: string, channels: 1 | 3) {
    return this.located(() => decodeImageFile(file, channels));
  }

  /**
   * Decodes `file` into `out` (width x height x channels values): converted straight into it when
   * the file has the run's size, else through floats resized (bilinear).
   */
  private readOne(file: string, out: Float32Array | Uint8Array): void {
    const image = this.located(() => decodeImageRgba(file));
    if (hasColour(image)) this.colourFile ??= file; else this.grayFile ??= file;
    if (this.channels === 3 && this.colourFile && this.grayFile) {
      throw problem(['data', 'channels'], `data.channels is 3 but the images mix colour (${this.colourFile}) and grayscale (${this.grayFile}); use channels: 1, or convert the grayscale images`);
    }
    if (this.width === 0) {
      [this.width, this.height, this.sizeFile] = [image.width, image.height, file];
    }
    if (image.width === this.width && image.height === this.height) {
      convertPixels(image, this.channels, out);
      return;
    }
    if (!this.cfg.imageSize) {
      throw problem(this.key, `images of different sizes: ${this.sizeFile} is ${this.height}x${this.width} but ${file} is ${image.height}x${image.width} (height x width); set data.imageSize to resize them all`);
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
      const first = this.located(() => decodeImageRgba(files[0]));
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
  const layout = cfg.dataset === 'mvtec' ? mvtecLayout(cfg, baseDir, opts) : folderLayout(cfg, baseDir, opts);
  const train = cfg.trainLimit ? layout.train.slice(0, cfg.trainLimit) : layout.train;
  // Under a limit, a seeded sample keeps both normal and anomalous test images.
  let test = layout.test;
  if (cfg.testLimit && cfg.testLimit < test.length) {
    const order = test.map((_, i) => i);
    rngFor(opts.seed, 'folder-test-limit').shuffle(order);
    test = order.slice(0, cfg.testLimit).sort((a, b) => a - b).map((i) => layout.test[i]);
  }
  const channels = cfg.channels ?? 1;
  const reader = new ImageReader(cfg, channels, layout.key);
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
