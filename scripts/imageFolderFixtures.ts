// Writes small image-folder datasets made from MNIST digits, for the tests and the folder
// example: an MVTec-style category (train/good, test/good, test/<defect>, ground_truth masks)
// and a plain folder layout (normal / abnormal / masks). Defects are drawn: a bright square
// ("blob") or a dark bar cut through the digit ("scratch"), each with its exact mask.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { rngFor } from '../src/core/rng';
import { loadDataset } from '../src/engine/datasets';

/** A Buffer as a plain Uint8Array (this @types/node's Buffer does not type-check as one). */
const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** png-colour: a colour picture of the gray image (R = v, G = v / 2, B = 1 - v). */
export type ImageFormat = 'png8' | 'png16' | 'png-rgb' | 'png-rgba' | 'png-colour' | 'jpeg';

/** Writes a grayscale image (values in [0, 1], height x width) in the given format. */
export function writeGrayImage(file: string, gray: ArrayLike<number>, width: number, height: number, format: ImageFormat): void {
  if (format === 'jpeg') {
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba.fill(Math.round(gray[i] * 255), 4 * i, 4 * i + 3);
      rgba[4 * i + 3] = 255;
    }
    fs.writeFileSync(file, bytes(jpeg.encode({ data: rgba, width, height }, 95).data));
    return;
  }
  const sixteen = format === 'png16';
  const png = new PNG({ width, height });
  const rgba = sixteen ? new Uint16Array(width * height * 4) : new Uint8Array(width * height * 4);
  const max = sixteen ? 65535 : 255;
  for (let i = 0; i < width * height; i++) {
    const v = Math.round(gray[i] * max);
    rgba[4 * i] = v; rgba[4 * i + 1] = v; rgba[4 * i + 2] = v;
    if (format === 'png-colour') {
      rgba[4 * i + 1] = Math.round(v / 2);
      rgba[4 * i + 2] = max - v;
    }
    // An alpha that varies: the reader must drop it, not composite it.
    rgba[4 * i + 3] = format === 'png-rgba' ? (i % 2 ? max : Math.round(max / 3)) : max;
  }
  png.data = Buffer.from(rgba.buffer);
  const colorType = format === 'png-rgb' || format === 'png-colour' ? 2 : format === 'png-rgba' ? 6 : 0;
  fs.writeFileSync(file, bytes(PNG.sync.write(png, { colorType, inputColorType: 6, bitDepth: sixteen ? 16 : 8 })));
}

export interface DrawnDefect {
  image: Float32Array;
  mask: Float32Array;
}

/** Draws a seeded defect on a copy of `image`: a bright square or a dark bar across the middle. */
export function drawDefect(image: Float32Array, width: number, height: number, kind: 'blob' | 'scratch', seed: number): DrawnDefect {
  const rng = rngFor(seed, `defect-${kind}`);
  const out = image.slice();
  const mask = new Float32Array(width * height);
  const mark = (x: number, y: number, v: number) => { out[y * width + x] = v; mask[y * width + x] = 1; };
  if (kind === 'blob') {
    const side = Math.max(3, Math.round(width / 5));
    const x0 = rng.int(width - side - 4) + 2, y0 = rng.int(height - side - 4) + 2;
    for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) mark(x, y, 1);
  } else {
    const y0 = Math.round(height / 3) + rng.int(Math.round(height / 3));
    for (let x = 2; x < width - 2; x++) for (let y = y0; y < y0 + 2; y++) mark(x, y, out[y * width + x] > 0.5 ? 0 : 0.9);
  }
  return { image: out, mask };
}

export interface FixtureCounts {
  train: number;
  testGood: number;
  /** Per defect kind. */
  testDefect: number;
}

async function mnistDigits(count: number, seed: number): Promise<{ images: Float32Array; width: number; height: number }> {
  const ds = await loadDataset({ dataset: 'mnist', validationSplit: 0.1, trainLimit: count, testLimit: 1 }, process.cwd(), { seed });
  if (!(ds.train.images instanceof Float32Array)) throw new Error('expected MNIST as floats');
  return { images: ds.train.images, width: ds.width, height: ds.height };
}

/** <root>/<category>/{train/good, test/good, test/blob, test/scratch, ground_truth/{blob,scratch}}. */
export async function writeMvtecFromMnist(root: string, category: string, counts: FixtureCounts, format: ImageFormat = 'png8'): Promise<void> {
  const total = counts.train + counts.testGood + 2 * counts.testDefect;
  const { images, width, height } = await mnistDigits(total, 1);
  const pixels = width * height;
  const digit = (i: number) => images.subarray(i * pixels, (i + 1) * pixels);
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  const dir = (...parts: string[]) => { const d = path.join(root, category, ...parts); fs.mkdirSync(d, { recursive: true }); return d; };
  let next = 0;
  const trainDir = dir('train', 'good');
  for (let i = 0; i < counts.train; i++) writeGrayImage(path.join(trainDir, `${String(i).padStart(3, '0')}.${ext}`), digit(next++), width, height, format);
  const goodDir = dir('test', 'good');
  for (let i = 0; i < counts.testGood; i++) writeGrayImage(path.join(goodDir, `${String(i).padStart(3, '0')}.${ext}`), digit(next++), width, height, format);
  for (const kind of ['blob', 'scratch'] as const) {
    const testDir = dir('test', kind);
    const maskDir = dir('ground_truth', kind);
    for (let i = 0; i < counts.testDefect; i++) {
      const name = String(i).padStart(3, '0');
      const { image, mask } = drawDefect(digit(next++).slice(), width, height, kind, i);
      writeGrayImage(path.join(testDir, `${name}.${ext}`), image, width, height, format);
      writeGrayImage(path.join(maskDir, `${name}_mask.png`), mask, width, height, 'png8');
    }
  }
}

/** <root>/{normal, abnormal, masks}: the folder layout. */
export async function writeFolderFromMnist(root: string, normal: number, abnormal: number, format: ImageFormat = 'png8'): Promise<void> {
  const { images, width, height } = await mnistDigits(normal + abnormal, 2);
  const pixels = width * height;
  const ext = format === 'jpeg' ? 'jpg' : 'png';
  for (const d of ['normal', 'abnormal', 'masks']) fs.mkdirSync(path.join(root, d), { recursive: true });
  for (let i = 0; i < normal; i++) writeGrayImage(path.join(root, 'normal', `n${i}.${ext}`), images.subarray(i * pixels, (i + 1) * pixels), width, height, format);
  for (let i = 0; i < abnormal; i++) {
    const { image, mask } = drawDefect(images.slice((normal + i) * pixels, (normal + i + 1) * pixels), width, height, 'blob', i);
    writeGrayImage(path.join(root, 'abnormal', `a${i}.${ext}`), image, width, height, format);
    writeGrayImage(path.join(root, 'masks', `a${i}.png`), mask, width, height, 'png8');
  }
}
