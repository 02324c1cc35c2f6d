// The IDX format's header (MNIST and its relatives): a 4-byte magic (0, 0, element type, number
// of dimensions), one big-endian uint32 per dimension, then the elements row-major. Only
// unsigned-byte files are accepted. Pure byte parsing, shared by the engine's loading
// (engine/idx.ts) and validation's header checks (core/datasetFiles.ts), so both refuse alike.
import { InputError } from './errors';

export type IdxKind = 'images' | 'labels';

const UNSIGNED_BYTE = 0x08;
const EXPECTED: Record<IdxKind, { magic: number; dims: number; what: string; unit: string }> = {
  images: { magic: 0x00000803, dims: 3, what: 'unsigned byte images, 3 dims', unit: 'pixels' },
  labels: { magic: 0x00000801, dims: 1, what: 'unsigned byte labels, 1 dim', unit: 'labels' },
};
// Other IDX element types, named so a wrong file is reported as what it is.
const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte', 0x09: 'signed byte', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64',
};
// The largest header: 4 magic bytes plus 255 dimensions.
export const MAX_HEADER_BYTES = 4 + 4 * 255;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function describeMagic(bytes: Uint8Array): string {
  const type = TYPE_NAMES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) return 'not an IDX file';
  return `${type}, ${bytes[3]} dim${bytes[3] === 1 ? '' : 's'}`;
}

export interface IdxHeader {
  dims: number[];
  headerBytes: number;
  /** Bytes per item: the product of every dimension after the first. */
  itemBytes: number;
}

/** Validates magic and header against what `expect` asks for; `bytes` needs only the header. */
export function parseHeader(bytes: Uint8Array, name: string, expect: IdxKind | undefined): IdxHeader {
  if (bytes.length < 4) {
    throw new InputError(`${name}: not an IDX file: ${bytes.length} byte(s), too short for the 4-byte magic number`);
  }
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const ndims = bytes[3];
  const want = expect ? EXPECTED[expect] : undefined;
  const magicOk = bytes[0] === 0 && bytes[1] === 0 && bytes[2] === UNSIGNED_BYTE && ndims > 0;
  if (!magicOk || (want && magic !== want.magic)) {
    const expected = want ? `IDX magic ${hex(want.magic)} (${want.what})` : 'an IDX magic 0x000008NN (unsigned byte, N >= 1 dims)';
    throw new InputError(`${name}: expected ${expected}, found ${hex(magic)} (${describeMagic(bytes)})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new InputError(`${name}: truncated: the header declares ${ndims} dims (${headerBytes} header bytes), file has ${bytes.length} bytes`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const itemBytes = dims.slice(1).reduce((p, n) => p * n, 1);
  return { dims, headerBytes, itemBytes };
}

/** The body must hold exactly what the header declares: fewer is truncation, more is a wrong shape. */
export function checkBodyLength(header: IdxHeader, bodyBytes: number, name: string, expect: IdxKind | undefined): void {
  const declared = header.dims[0] * header.itemBytes;
  if (declared === bodyBytes) return;
  const unit = expect ? EXPECTED[expect].unit : 'data';
  const says = `header says ${header.dims.join('x')} = ${declared} bytes of ${unit}`;
  const has = `file has ${bodyBytes} after its ${header.headerBytes}-byte header`;
  throw new InputError(bodyBytes < declared
    ? `${name}: truncated: ${says}, ${has}`
    : `${name}: ${says}, ${has} (${bodyBytes - declared} extra bytes)`);
}
