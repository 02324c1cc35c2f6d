// Opening files a workspace names (experiment files, dataset files) without trusting them: the
// type and size are checked before a read, and nothing blocks on a FIFO or reads /dev/zero
// forever. Node-only (node:fs); the webview never imports it.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Experiment files are a few KB; anything past this is not one. */
export const MAX_EXPERIMENT_FILE_BYTES = 1024 * 1024;

/** "no space left on device (ENOSPC)" from Node's "ENOSPC: no space left on device, open '/x'". */
export function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e !== 'object' || !e.code) return err instanceof Error ? err.message : String(err);
  const words = /^[A-Z0-9_]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
  return `${words} (${e.code})`;
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** Why `file` (symbolic links followed) is not a regular file, or undefined when it is one. */
export function notARegularFile(stat: fs.Stats): string | undefined {
  return stat.isFile() ? undefined : `expected a regular file, found ${kindOf(stat)}`;
}

export class FileAccessError extends Error {
  override name = 'FileAccessError';
}

/**
 * Opens a regular file for reading. The type is checked before opening (opening a FIFO blocks
 * until a writer comes), and the open is non-blocking in case the path changed in between.
 * Returns the descriptor and the size; throws FileAccessError saying what is wrong.
 */
export function openRegularFile(file: string): { fd: number; size: number } {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new FileAccessError((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot open: ${fsReason(err)}`);
  }
  const wrong = notARegularFile(stat);
  if (wrong) throw new FileAccessError(wrong);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new FileAccessError(`cannot open: ${fsReason(err)}`);
  }
  const opened = fs.fstatSync(fd);
  const changed = notARegularFile(opened);
  if (changed) {
    fs.closeSync(fd);
    throw new FileAccessError(changed);
  }
  return { fd, size: opened.size };
}

/** Reads a whole text file of at most `maxBytes` (UTF-8); throws FileAccessError otherwise. */
export function readTextFileBounded(file: string, maxBytes = MAX_EXPERIMENT_FILE_BYTES): string {
  const { fd, size } = openRegularFile(file);
  try {
    if (size > maxBytes) throw new FileAccessError(`${size} bytes, more than the ${maxBytes}-byte limit for this file`);
    // One byte past the limit tells a file that grew since the stat.
    const buf = new Uint8Array(Math.min(size, maxBytes) + 1);
    let done = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, done, buf.length - done, done);
      if (n === 0) break;
      done += n;
      if (done === buf.length) throw new FileAccessError(`more than the ${maxBytes}-byte limit for this file`);
    }
    return new TextDecoder('utf-8').decode(buf.subarray(0, done));
  } finally {
    fs.closeSync(fd);
  }
}

/** Why `text` is not a text file (NUL bytes: binary, or UTF-16), or undefined when it looks like text. */
export function notText(text: string): string | undefined {
  const nul = text.indexOf('\u0000');
  if (nul < 0) return undefined;
  const utf16 = /^(\uFFFD\uFFFD|[^\u0000]\u0000[^\u0000]\u0000|\u0000[^\u0000]\u0000[^\u0000])/.test(text);
  return utf16 ? 'not UTF-8 text: it looks like UTF-16 (save it as UTF-8)' : `not a text file: it holds NUL bytes (the first at byte offset ${Buffer.byteLength(text.slice(0, nul))})`;
}

/** Up to `length` bytes at `position` (fewer only at the end of the file). */
export function readAt(fd: number, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * Every entry below `root`, depth first; `visit` returns true for a folder to go into it. Folders
 * that cannot be read are passed over (both callers are best-effort searches).
 */
export function walkEntries(root: string, visit: (entryPath: string, entry: fs.Dirent) => boolean | void): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(root, e.name);
    if (visit(p, e) === true && e.isDirectory()) walkEntries(p, visit);
  }
}
