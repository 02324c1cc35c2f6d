// Images held as bytes (value * 255), read back as floats one image at a time. Small sets stay in
// memory; large ones go to a file in the OS temp folder, so a folder of 10,000 128x128x3 images
// costs the process a batch, not 492 MB (the OS page cache holds the file and can drop it).
// On POSIX the file is unlinked as soon as it is open: nothing is left behind, even after a crash.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Where the bytes are: one array, or a file read at offsets. */
export interface ByteStore {
  read(offset: number, into: Uint8Array): void;
  close(): void;
}

class MemoryStore implements ByteStore {
  constructor(private readonly bytes: Uint8Array) {}
  read(offset: number, into: Uint8Array): void {
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  close(): void {}
}

class FileStore implements ByteStore {
  private fd: number | undefined;
  private readonly dir: string;
  private readonly file: string;
  private linked = true;
  private size = 0;
  private readonly removeAtExit = () => this.close();

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-images-'));
    this.file = path.join(this.dir, 'images.u8');
    this.fd = fs.openSync(this.file, 'w+', 0o600);
    try {
      // POSIX: the open descriptor keeps the data; the name goes now. Windows refuses: removed at close or exit.
      fs.rmSync(this.dir, { recursive: true });
      this.linked = false;
    } catch {
      process.once('exit', this.removeAtExit);
    }
  }

  append(bytes: Uint8Array): void {
    let written = 0;
    try {
      while (written < bytes.length) written += fs.writeSync(this.requireOpen(), bytes, written, bytes.length - written, this.size + written);
    } catch (err) {
      // Most likely a full disk: say where, as the user can point TMPDIR (TEMP on Windows) elsewhere.
      throw new Error(`cannot keep the training images in a temp file in ${path.dirname(this.dir)}: ${(err as Error).message}`);
    }
    this.size += bytes.length;
  }

  read(offset: number, into: Uint8Array): void {
    let got = 0;
    while (got < into.length) {
      const n = fs.readSync(this.requireOpen(), into, got, into.length - got, offset + got);
      if (n === 0) throw new Error(`image cache ${this.file}: ${into.length} bytes at ${offset} lie past its end (${this.size} bytes)`);
      got += n;
    }
  }

  private requireOpen(): number {
    if (this.fd === undefined) throw new Error(`image cache ${this.file} is closed`);
    return this.fd;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    if (this.linked) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.linked = false;
      process.removeListener('exit', this.removeAtExit);
    }
  }
}

/**
 * `count` images of `values` bytes each; `rows` maps each image to its place in the store (a
 * subset or reordering is a new map over the same bytes, never a copy).
 */
export class ByteImages {
  private readonly scratch: Uint8Array;

  private constructor(
    private readonly store: ByteStore,
    readonly values: number,
    private readonly rows: Uint32Array,
  ) {
    this.scratch = new Uint8Array(values);
  }

  static inMemory(bytes: Uint8Array, values: number): ByteImages {
    return ByteImages.over(new MemoryStore(bytes), values, Math.floor(bytes.length / values));
  }

  /** The first `count` images of `store`, in order. */
  static over(store: ByteStore, values: number, count: number): ByteImages {
    return new ByteImages(store, values, Uint32Array.from({ length: count }, (_, i) => i));
  }

  /** Whether the bytes are in a file rather than in memory. */
  get inFile(): boolean {
    return this.store instanceof FileStore;
  }

  get count(): number {
    return this.rows.length;
  }

  /** Copies image `index` as floats in [0, 1] into `to` at `at`. */
  copyFloats(index: number, to: Float32Array, at: number): void {
    if (!(index >= 0 && index < this.rows.length)) throw new RangeError(`image ${index} is outside the ${this.rows.length} images`);
    this.store.read(this.rows[index] * this.values, this.scratch);
    for (let k = 0; k < this.values; k++) to[at + k] = this.scratch[k] / 255;
  }

  /** Floats of `n` images from `start`, in order, into `to` (from its start). */
  copyRangeFloats(start: number, n: number, to: Float32Array): void {
    for (let i = 0; i < n; i++) this.copyFloats(start + i, to, i * this.values);
  }

  /** The images at `indices` (of this set), in that order, sharing the bytes. */
  select(indices: ArrayLike<number>): ByteImages {
    const rows = new Uint32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i];
      if (!(index >= 0 && index < this.rows.length)) throw new RangeError(`image ${index} is outside the ${this.rows.length} images`);
      rows[i] = this.rows[index];
    }
    return new ByteImages(this.store, this.values, rows);
  }

  /** Every image as floats at once (4x the bytes: only for work that changes images, as contamination does). */
  toFloats(): Float32Array {
    const out = new Float32Array(this.count * this.values);
    this.copyRangeFloats(0, this.count, out);
    return out;
  }

  /** Frees the bytes (the file's descriptor and, where still named, the file); every set sharing them ends. */
  close(): void {
    this.store.close();
  }

  /**
   * Writes images one by one, then hands them over as ByteImages: in memory up to `memoryLimit`
   * bytes, in a temp file past it.
   */
  static writer(count: number, values: number, memoryLimit: number): ByteImagesWriter {
    return new ByteImagesWriter(count, values, memoryLimit);
  }
}

/** Fills images in order; `image(i)` is a buffer to write image i into, kept once the next is asked for. */
export class ByteImagesWriter {
  private readonly memory?: Uint8Array;
  private readonly file?: FileStore;
  private readonly pending?: Uint8Array;
  private next = 0;

  constructor(private readonly count: number, private readonly values: number, memoryLimit: number) {
    if (count * values <= memoryLimit) this.memory = new Uint8Array(count * values);
    else {
      this.file = new FileStore();
      this.pending = new Uint8Array(values);
    }
  }

  /** The bytes to fill for the next image (in order). */
  nextImage(): Uint8Array {
    if (this.next >= this.count) throw new RangeError(`all ${this.count} images were written`);
    this.flush();
    const index = this.next++;
    return this.memory ? this.memory.subarray(index * this.values, (index + 1) * this.values) : this.pending!;
  }

  private flush(): void {
    if (this.file && this.next > 0) this.file.append(this.pending!);
  }

  /** Every image written: the set. */
  finish(): ByteImages {
    if (this.next !== this.count) throw new Error(`${this.next} of ${this.count} images were written`);
    this.flush();
    if (this.memory) return ByteImages.inMemory(this.memory, this.values);
    return ByteImages.over(this.file!, this.values, this.count);
  }

  /** Abandons the images (a decoding problem): the file goes. */
  abandon(): void {
    this.file?.close();
  }
}
