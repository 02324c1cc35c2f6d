// Reads one PNG or JPEG file into pixels in [0, 1] with the declared channel count. Decoders:
// pngjs and jpeg-js, pure JavaScript (no native build, so the .vsix works on every platform).
// Every failure is an ImageFileError naming the file; nothing here throws anything else.
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { isJpeg, isPng, MAX_IMAGE_FILE_BYTES as MAX_FILE_BYTES, MAX_IMAGE_MEGAPIXELS as MAX_MEGAPIXELS } from '../../core/imageHeaders';

export { IMAGE_EXTENSIONS, isImageFileName } from '../../core/imageHeaders';

export class ImageFileError extends Error {
  override name = 'ImageFileError';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

export interface DecodedImage {
  width: number;
  height: number;
  /** Height x width x channels, interleaved, in [0, 1]. */
  pixels: Float32Array;
  channels: 1 | 3;
  /** False when every pixel had R = G = B (grayscale files, and colour files without colour). */
  colour: boolean;
}

function readImageBytes(file: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new ImageFileError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Checked before opening: a FIFO or device would block or never end.
  if (!stat.isFile()) throw new ImageFileError(file, 'not a regular file');
  if (stat.size === 0) throw new ImageFileError(file, 'empty file (0 bytes)');
  if (stat.size > MAX_FILE_BYTES) throw new ImageFileError(file, `${stat.size} bytes: larger than the ${MAX_FILE_BYTES / 1024 / 1024} MB allowed for one image`);
  return fs.readFileSync(file);
}

function decodeToRgba(file: string, bytes: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const pngFile = isPng(bytes);
  try {
    if (pngFile) {
      if (bytes.length < 24) throw new Error('truncated before the image header');
      const megapixels = (bytes.readUInt32BE(16) * bytes.readUInt32BE(20)) / 1e6;
      if (megapixels > MAX_MEGAPIXELS) throw new Error(`${megapixels.toFixed(0)} megapixels: larger than the ${MAX_MEGAPIXELS} allowed`);
      // pngjs rescales 16-bit samples to 8 bits, expands palettes and grayscale to RGBA.
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    if (isJpeg(bytes)) {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 512 });
      return { width: image.width, height: image.height, rgba: image.data };
    }
  } catch (err) {
    throw new ImageFileError(file, `cannot decode as ${pngFile ? 'PNG' : 'JPEG'} (damaged or truncated?): ${(err as Error).message}`);
  }
  throw new ImageFileError(file, 'not a PNG or JPEG file (its first bytes are neither signature)');
}

/** A file's pixels as decoded, RGBA, before conversion to the declared channels. */
export interface RgbaImage {
  file: string;
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Reads and decodes `file`; a damaged or unreadable file is an ImageFileError. */
export function decodeImageRgba(file: string): RgbaImage {
  const { width, height, rgba } = decodeToRgba(file, readImageBytes(file));
  if (width < 1 || height < 1 || rgba.length < width * height * 4) throw new ImageFileError(file, `decoded to ${width}x${height} with ${rgba.length} bytes: damaged`);
  return { file, width, height, rgba };
}

/** False when every pixel has R = G = B (grayscale files, and colour files without colour). */
export function hasColour(image: RgbaImage): boolean {
  const { rgba } = image;
  for (let i = 0; i < image.width * image.height; i++) {
    if (rgba[4 * i] !== rgba[4 * i + 1] || rgba[4 * i + 1] !== rgba[4 * i + 2]) return true;
  }
  return false;
}

/**
 * The pixels with `channels` channels: 1 = luminance (ITU-R 601 weights, as PIL's "L"), 3 = RGB.
 * Alpha is dropped (not composited). Into floats in [0, 1], or into bytes as those floats * 255,
 * rounded (the same bytes the floats would give, without making them).
 */
export function convertPixels(image: RgbaImage, channels: 1 | 3, out: Float32Array | Uint8Array): void {
  const { rgba } = image;
  const count = image.width * image.height;
  if (out.length < count * channels) throw new RangeError(`${out.length} values cannot hold ${count * channels}`);
  const bytes = out instanceof Uint8Array;
  for (let i = 0; i < count; i++) {
    const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
    if (channels === 1) {
      const v = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      out[i] = bytes ? Math.round(Math.fround(v) * 255) : v;
    } else if (bytes) {
      out[3 * i] = r;
      out[3 * i + 1] = g;
      out[3 * i + 2] = b;
    } else {
      out[3 * i] = r / 255;
      out[3 * i + 1] = g / 255;
      out[3 * i + 2] = b / 255;
    }
  }
}

/** Decodes `file` to `channels` channels as floats in [0, 1] (convertPixels). */
export function decodeImageFile(file: string, channels: 1 | 3): DecodedImage {
  const image = decodeImageRgba(file);
  const pixels = new Float32Array(image.width * image.height * channels);
  convertPixels(image, channels, pixels);
  return { width: image.width, height: image.height, pixels, channels, colour: hasColour(image) };
}
