// What a PNG or JPEG file's first and last bytes say, without decoding pixels: the size and
// channel count from the header (PNG IHDR, JPEG SOFn), and whether the file ends where it should
// (PNG IEND, JPEG EOI), which a file cut short does not. Pure: the bytes come from the caller.

export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];
/** Larger files are refused before reading (a folder image dataset has no business with them). */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;
/** Larger images are refused from their header, before a decoder allocates them. */
export const MAX_IMAGE_MEGAPIXELS = 40;
/** Bytes read from the start of a file; a JPEG whose frame header lies further is read again up to MAX_JPEG_SCAN_BYTES. */
export const IMAGE_HEAD_BYTES = 4096;
export const MAX_JPEG_SCAN_BYTES = 1024 * 1024;
/** Bytes read from the end: PNG's IEND chunk is 12, and a JPEG's EOI may be followed by a little padding. */
export const IMAGE_TAIL_BYTES = 32;

export function isImageFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

export interface ImageHeader {
  format: 'PNG' | 'JPEG';
  width: number;
  height: number;
  /** Channels the file stores, alpha not counted: 1 (grayscale) or 3 (colour; PNG palettes count as colour). */
  channels: 1 | 3;
}

/** The header, or why the file is not a usable image; `needMore` when a JPEG's frame header lies past `head`. */
export type HeaderResult = { header: ImageHeader } | { problem: string } | { needMore: true };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const PNG_IEND = [0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];
const PNG_CHANNELS: Record<number, 1 | 3> = { 0: 1, 2: 3, 3: 3, 4: 1, 6: 3 };

const u16 = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) >>> 0) + (b[at + 1] << 16) + (b[at + 2] << 8) + b[at + 3];

export function isPng(head: ArrayLike<number>): boolean {
  return head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b);
}

export function isJpeg(head: ArrayLike<number>): boolean {
  return head.length >= 2 && head[0] === 0xff && head[1] === 0xd8;
}

function sizeProblem(width: number, height: number): string | undefined {
  if (width < 1 || height < 1) return `the header declares ${height}x${width} pixels (height x width): damaged`;
  const megapixels = (width * height) / 1e6;
  if (megapixels > MAX_IMAGE_MEGAPIXELS) return `${height}x${width} pixels (${megapixels.toFixed(0)} megapixels): larger than the ${MAX_IMAGE_MEGAPIXELS} megapixels allowed for one image`;
  return undefined;
}

function pngHeader(head: Uint8Array): HeaderResult {
  // Signature, then the IHDR chunk: length 13, "IHDR", width, height, bit depth, colour type.
  if (head.length < 26) return { problem: 'PNG truncated before the end of its header (IHDR)' };
  if (u32(head, 8) !== 13 || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR') return { problem: 'PNG without an IHDR header chunk first: damaged' };
  const width = u32(head, 16), height = u32(head, 20), colourType = head[25];
  const channels = PNG_CHANNELS[colourType];
  if (channels === undefined) return { problem: `PNG colour type ${colourType} is not one PNG defines: damaged` };
  const wrong = sizeProblem(width, height);
  return wrong ? { problem: wrong } : { header: { format: 'PNG', width, height, channels } };
}

/** Frame headers the decoder (jpeg-js) reads: baseline, extended and progressive Huffman. */
const SOF_READ = new Set([0xc0, 0xc1, 0xc2]);
const SOF_OTHER = new Set([0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(head: Uint8Array, whole: boolean): HeaderResult {
  let at = 2;
  for (;;) {
    if (at + 4 > head.length) return whole ? { problem: 'JPEG ends before its frame header (SOF): truncated' } : { needMore: true };
    if (head[at] !== 0xff) return { problem: `JPEG damaged: expected a marker at byte ${at}, found 0x${head[at].toString(16)}` };
    const marker = head[at + 1];
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return { problem: 'JPEG without a frame header (SOF) before its image data: damaged' };
    if (SOF_READ.has(marker) || SOF_OTHER.has(marker)) {
      if (SOF_OTHER.has(marker)) return { problem: `JPEG coding SOF${marker - 0xc0} (lossless, hierarchical or arithmetic) is not supported: save it as baseline or progressive JPEG` };
      if (at + 10 > head.length) return whole ? { problem: 'JPEG ends inside its frame header (SOF): truncated' } : { needMore: true };
      const height = u16(head, at + 5), width = u16(head, at + 7), components = head[at + 9];
      if (components !== 1 && components !== 3 && components !== 4) return { problem: `JPEG with ${components} colour components: expected 1 (grayscale) or 3 (colour)` };
      const wrong = sizeProblem(width, height);
      return wrong ? { problem: wrong } : { header: { format: 'JPEG', width, height, channels: components === 1 ? 1 : 3 } };
    }
    at += 2 + u16(head, at + 2);
  }
}

/**
 * Reads an image's header from its first bytes. `whole` says `head` is the whole file (nothing
 * more to read). A 0-byte file or one of neither signature is a problem.
 */
export function parseImageHeader(head: Uint8Array, whole: boolean): HeaderResult {
  if (head.length === 0) return { problem: 'empty file (0 bytes)' };
  if (isPng(head)) return pngHeader(head);
  if (isJpeg(head)) return jpegHeader(head, whole);
  return { problem: 'not a PNG or JPEG file (its first bytes are neither signature)' };
}

/** Why the file does not end as its format requires (cut short in a copy or download), or undefined. */
export function truncationProblem(format: ImageHeader['format'], tail: Uint8Array): string | undefined {
  if (format === 'PNG') {
    const end = tail.subarray(Math.max(0, tail.length - PNG_IEND.length));
    return end.length === PNG_IEND.length && PNG_IEND.every((b, i) => end[i] === b) ? undefined : 'truncated: a PNG ends with an IEND chunk, this one does not';
  }
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return undefined;
  return `truncated: a JPEG ends with an end-of-image marker (FF D9), this one has none in its last ${tail.length} bytes (cut short, or data appended after the image)`;
}
