// Reading and writing run folders (docs/RUN-FORMAT.md). Every file is written atomically
// (temp file + rename) so a reader never sees half a file, whatever happens to the writer.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { confusionAt, operatingPoint } from './metrics';
import {
  EpochMetrics, ManualThresholdFile, RUN_FILES, RUN_FORMAT_VERSION, RunConfigFile, RunStatusFile, RunSummary, SamplesHeader, ScoresHeader,
} from './runFormat';
import { fsReason } from './fileAccess';
import { runFileProblem } from './runFileSchemas';

export { fsReason };

/** A file or folder of a run could not be written; the message names it and says why, in one line. */
export class RunWriteError extends Error {
  override name = 'RunWriteError';
}

function writeFailure(what: string, err: unknown): RunWriteError {
  const folderGone = (err as NodeJS.ErrnoException)?.code === 'ENOENT' && !fs.existsSync(path.dirname(what));
  return new RunWriteError(`cannot write ${what}: ${folderGone ? 'its folder no longer exists' : fsReason(err)}`, { cause: err });
}

/** Temp file + rename; on failure the temp file is removed and a RunWriteError names the file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    // A partial temp file would hold the space that a final status.json needs.
    try { fs.rmSync(tmp, { force: true }); } catch { /* the folder itself is gone */ }
    throw writeFailure(file, err);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function readJson(file: string): { value?: unknown; error?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { error: fsReason(err) };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` };
  }
}

/** A run file read and checked against its schema: the value, or why it cannot be used. */
function readRunFile<T>(dir: string, name: string, check: (value: unknown) => string | undefined): { value?: T; damage?: string } {
  const { value, error } = readJson(path.join(dir, name));
  if (error) return { damage: `${name}: ${error}` };
  const wrong = check(value);
  return wrong ? { damage: `${name}: ${wrong}` } : { value: value as T };
}

/** Sortable, unique-enough run id: 20261128-174501-3fa2 (UTC time + random suffix). */
export function newRunId(now = new Date(), random = Math.random): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  const suffix = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `${stamp}-${suffix}`;
}

export function experimentRunsDir(runsDir: string, experimentName: string): string {
  return path.join(runsDir, experimentName);
}

/** A folder, not a symbolic link to one. */
export function isRealDirectory(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Appends one line; a line is either whole or (after a crash mid-write) unparsable and skipped. */
export function appendMetrics(runDir: string, metrics: EpochMetrics): void {
  const file = path.join(runDir, RUN_FILES.metrics);
  try {
    fs.appendFileSync(file, JSON.stringify(metrics) + '\n');
  } catch (err) {
    throw writeFailure(file, err);
  }
}

/** Epoch lines; a torn last line (killed writer) is skipped, any other bad line is damage. */
function readMetricsChecked(runDir: string): { metrics: EpochMetrics[]; damage?: string } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8');
  } catch {
    return { metrics: [] };
  }
  const metrics: EpochMetrics[] = [];
  const lines = text.split('\n');
  while (lines.length > 0 && !lines[lines.length - 1].trim()) lines.pop();
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      if (i === lines.length - 1) continue; // a torn last line from a killed writer
      return { metrics, damage: `${RUN_FILES.metrics} line ${i + 1}: not JSON` };
    }
    const wrong = runFileProblem('metricsLine', value);
    if (wrong) return { metrics, damage: `${RUN_FILES.metrics} line ${i + 1}: ${wrong}` };
    metrics.push(value as EpochMetrics);
  }
  return { metrics };
}

export function readMetrics(runDir: string): EpochMetrics[] {
  return readMetricsChecked(runDir).metrics;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When process `pid` started, as Linux's /proc/<pid>/stat field 22 (clock ticks since boot):
 * with the pid it names one process, even after the pid is reused. Undefined where /proc is
 * not available (macOS, Windows): there the pid alone decides, as before.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
}

export interface RunListing {
  runId: string;
  dir: string;
  status: RunStatusFile;
  summary?: RunSummary;
  /** state says running but the writing process is gone: the run crashed or was killed. */
  stale: boolean;
  /** Why the folder cannot be read as a run (a file of the wrong shape); status is then a stand-in saying failed. */
  damaged?: string;
}

export interface RunContents {
  dir: string;
  config?: RunConfigFile;
  status: RunStatusFile;
  metrics: EpochMetrics[];
  summary?: RunSummary;
  /** The threshold the user saved from the Results panel, if any. */
  manualThreshold?: ManualThresholdFile;
  stale: boolean;
  /** Why part of the folder cannot be read (see RunListing.damaged). */
  damaged?: string;
}

/** The status to record for a run this process writes: host, pid and, where known, its start time. */
export function writerIdentity(): { pid: number; pidStartTime?: string; host: string } {
  const pidStartTime = processStartTime(process.pid);
  const host = os.hostname();
  return pidStartTime === undefined ? { pid: process.pid, host } : { pid: process.pid, pidStartTime, host };
}

/** The host a `running` run's writer is on when that is not this machine (its pid means nothing here). */
export function writerElsewhere(status: RunStatusFile): string | undefined {
  return status.state === 'running' && status.host !== undefined && status.host !== os.hostname() ? status.host : undefined;
}

/** Whether the process that writes a `running` run is still the one alive under its pid. */
export function isWriterAlive(status: RunStatusFile): boolean {
  return status.state === 'running' && status.pid !== undefined && !isStale(status);
}

function isStale(status: RunStatusFile): boolean {
  if (status.state !== 'running' || status.pid === undefined) return false;
  // Written on another node (a cluster task): this machine cannot tell whether that process lives.
  if (writerElsewhere(status) !== undefined) return false;
  if (!isProcessAlive(status.pid)) return true;
  // The pid is alive, but is it still the writer, or a new process that reuses its number?
  if (status.pidStartTime === undefined) return false;
  const now = processStartTime(status.pid);
  return now !== undefined && now !== status.pidStartTime;
}

/** status.json, or a stand-in `failed` status naming the damage; undefined when there is none. */
function readStatusChecked(dir: string): { status: RunStatusFile; damaged?: string } | undefined {
  if (!fs.existsSync(path.join(dir, RUN_FILES.status))) return undefined;
  const { value, damage } = readRunFile<RunStatusFile>(dir, RUN_FILES.status, (v) => runFileProblem('status', v));
  // Only the state is required; the id is the folder's name when the file leaves it out.
  if (value) return { status: { ...value, runId: value.runId ?? path.basename(dir), startedAt: value.startedAt ?? '' } };
  const error = `damaged run folder: ${damage}`;
  return { status: { formatVersion: RUN_FORMAT_VERSION, runId: path.basename(dir), state: 'failed', startedAt: '', error }, damaged: damage };
}

/** status.json when it is there and well-formed; undefined otherwise. */
export function readRunStatus(dir: string): RunStatusFile | undefined {
  const read = readStatusChecked(dir);
  return read && !read.damaged ? read.status : undefined;
}

function readSummaryChecked(dir: string): { summary?: RunSummary; damage?: string } {
  const { value, damage } = readRunFile<RunSummary>(dir, RUN_FILES.summary, (v) => runFileProblem('summary', v));
  return { summary: value, damage };
}

/** Folder entries that are real folders: aelab follows no symbolic link inside a runs folder. */
function realSubfolders(dir: string): string[] {
  if (!isRealDirectory(dir)) return [];
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Runs of one experiment, newest first. Folders without a status.json are not runs; a run whose
 * files have the wrong shape is listed alone as damaged (state failed, `damaged` says why).
 */
export function listRuns(runsDir: string, experimentName: string): RunListing[] {
  const root = experimentRunsDir(runsDir, experimentName);
  const runs: RunListing[] = [];
  for (const name of realSubfolders(root)) {
    const dir = path.join(root, name);
    const read = readStatusChecked(dir);
    if (!read) continue;
    let { damaged } = read;
    let summary: RunSummary | undefined;
    if (!damaged && read.status.state === 'completed') {
      const s = readSummaryChecked(dir);
      summary = s.summary;
      damaged = s.damage;
    }
    const status = damaged && !read.damaged ? { ...read.status, state: 'failed' as const, error: `damaged run folder: ${damaged}` } : read.status;
    runs.push({ runId: name, dir, status, summary, stale: !damaged && isStale(status), damaged });
  }
  runs.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
  return runs;
}

/** Whether `dir` is a run folder a reader may open: a real folder (not a symlink) with a status.json. */
export function isRunFolder(dir: string): boolean {
  return isRealDirectory(dir) && fs.existsSync(path.join(dir, RUN_FILES.status));
}

export function readRun(dir: string): RunContents {
  const read = isRealDirectory(dir) ? readStatusChecked(dir) : undefined;
  if (!read) throw new Error(`${dir} is not a run folder (no ${RUN_FILES.status}${isRealDirectory(dir) ? '' : ', or a symbolic link'})`);
  const damages: string[] = read.damaged ? [read.damaged] : [];
  const config = fs.existsSync(path.join(dir, RUN_FILES.config)) ? readRunFile<RunConfigFile>(dir, RUN_FILES.config, (v) => runFileProblem('config', v)) : {};
  if (config.damage) damages.push(config.damage);
  const metrics = readMetricsChecked(dir);
  if (metrics.damage) damages.push(metrics.damage);
  let summary: RunSummary | undefined;
  if (!read.damaged && read.status.state === 'completed') {
    const s = readSummaryChecked(dir);
    summary = s.summary;
    if (s.damage) damages.push(s.damage);
  }
  const manual = fs.existsSync(path.join(dir, RUN_FILES.manualThreshold))
    ? readRunFile<ManualThresholdFile>(dir, RUN_FILES.manualThreshold, (v) => runFileProblem('manualThreshold', v)) : {};
  if (manual.damage) damages.push(manual.damage);
  const damaged = damages.length > 0 ? damages.join('; ') : undefined;
  // As listRuns does: a completed run whose summary cannot be read is shown as failed, not complete.
  const summaryDamage = damages.find((d) => d.startsWith(RUN_FILES.summary));
  const status = summaryDamage ? { ...read.status, state: 'failed' as const, error: `damaged run folder: ${summaryDamage}` } : read.status;
  return {
    dir, status, config: config.value, metrics: metrics.metrics, summary, manualThreshold: manual.value,
    stale: !read.damaged && isStale(read.status), damaged,
  };
}

export interface RunScores {
  header: ScoresHeader;
  scores: Float32Array;
  validationScores: Float32Array;
  labels: Uint8Array;
  classes?: Uint8Array;
}

function asFloat32(buf: Buffer): Float32Array {
  // Copy into an aligned buffer: Node's pooled Buffers may start at an odd offset.
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

export function writeScores(runDir: string, header: ScoresHeader, scores: Float32Array, validationScores: Float32Array, labels: Uint8Array, classes?: Uint8Array, testImages?: Uint8Array, masks?: Uint8Array): void {
  const all = new Float32Array(scores.length + validationScores.length);
  all.set(scores, 0);
  all.set(validationScores, scores.length);
  writeFileAtomic(path.join(runDir, RUN_FILES.scores), new Uint8Array(all.buffer));
  writeFileAtomic(path.join(runDir, RUN_FILES.labels), labels);
  if (testImages) writeFileAtomic(path.join(runDir, RUN_FILES.images), testImages);
  if (classes) writeFileAtomic(path.join(runDir, RUN_FILES.classes), classes);
  if (masks) writeFileAtomic(path.join(runDir, RUN_FILES.masks), masks);
  // The header goes last: its presence means the binaries beside it are complete.
  writeJsonAtomic(path.join(runDir, RUN_FILES.scoresHeader), header);
}

export function readScores(runDir: string): RunScores {
  const header = readJson(path.join(runDir, RUN_FILES.scoresHeader)).value as ScoresHeader | undefined;
  if (!header) throw new Error(`${runDir} has no ${RUN_FILES.scoresHeader}`);
  const all = asFloat32(fs.readFileSync(path.join(runDir, RUN_FILES.scores)));
  if (all.length !== header.count + header.validationCount) {
    throw new Error(`${RUN_FILES.scores} holds ${all.length} values, expected ${header.count + header.validationCount}`);
  }
  const labels = new Uint8Array(fs.readFileSync(path.join(runDir, RUN_FILES.labels)));
  if (labels.length !== header.count) throw new Error(`${RUN_FILES.labels} holds ${labels.length} labels, expected ${header.count}`);
  const classes = header.hasClasses ? new Uint8Array(fs.readFileSync(path.join(runDir, RUN_FILES.classes))) : undefined;
  return { header, scores: all.subarray(0, header.count), validationScores: all.subarray(header.count), labels, classes };
}

export function writeSamples(runDir: string, header: SamplesHeader, pixels: Float32Array): void {
  writeFileAtomic(path.join(runDir, RUN_FILES.samples), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
  writeJsonAtomic(path.join(runDir, RUN_FILES.samplesHeader), header);
}

export function readSamples(runDir: string): { header: SamplesHeader; pixels: Float32Array } {
  const header = readJson(path.join(runDir, RUN_FILES.samplesHeader)).value as SamplesHeader | undefined;
  if (!header) throw new Error(`${runDir} has no ${RUN_FILES.samplesHeader}`);
  const pixels = asFloat32(fs.readFileSync(path.join(runDir, RUN_FILES.samples)));
  const expected = header.samples.length * header.planes.length * header.width * header.height;
  if (pixels.length !== expected) throw new Error(`${RUN_FILES.samples} holds ${pixels.length} values, expected ${expected}`);
  return { header, pixels };
}

/** Quantises the test images (original, input, reconstruction) to bytes for images.bin. */
export function encodeTestImages(count: number, pixels: number, original: Float32Array, input: Float32Array, reconstruction: Float32Array): Uint8Array {
  const out = new Uint8Array(count * 3 * pixels);
  const planes = [original, input, reconstruction];
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 3; p++) {
      const src = planes[p];
      const base = (i * 3 + p) * pixels;
      for (let k = 0; k < pixels; k++) {
        const v = src[i * pixels + k];
        out[base + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
    }
  }
  return out;
}

/** Reads chosen test images from images.bin without loading the whole file: 3 planes per index. */
export function readTestImages(runDir: string, indices: readonly number[]): { width: number; height: number; images: Uint8Array[] } {
  const header = readJson(path.join(runDir, RUN_FILES.scoresHeader)).value as ScoresHeader | undefined;
  if (!header?.images) throw new Error(`${runDir} has no stored test images`);
  const { width, height } = header.images;
  const size = 3 * width * height;
  const fd = fs.openSync(path.join(runDir, RUN_FILES.images), 'r');
  try {
    const images = indices.map((index) => {
      if (!Number.isInteger(index) || index < 0 || index >= header.count) throw new Error(`test image index ${index} is outside 0..${header.count - 1}`);
      const buf = new Uint8Array(size);
      const read = fs.readSync(fd, buf, 0, size, index * size);
      if (read !== size) throw new Error(`${RUN_FILES.images} is truncated at image ${index}`);
      return buf;
    });
    return { width, height, images };
  } finally {
    fs.closeSync(fd);
  }
}

/** The masks (width*height bytes, 1 = defect) of chosen test images, or undefined when the run has none. */
export function readTestMasks(runDir: string, indices: readonly number[]): Uint8Array[] | undefined {
  const header = readJson(path.join(runDir, RUN_FILES.scoresHeader)).value as ScoresHeader | undefined;
  if (!header?.masks || !header.images) return undefined;
  const size = header.images.width * header.images.height;
  const fd = fs.openSync(path.join(runDir, RUN_FILES.masks), 'r');
  try {
    return indices.map((index) => {
      const buf = new Uint8Array(size);
      if (!Number.isInteger(index) || index < 0 || index >= header.count || fs.readSync(fd, buf, 0, size, index * size) !== size) {
        throw new Error(`${RUN_FILES.masks} has no mask for test image ${index}`);
      }
      return buf;
    });
  } finally {
    fs.closeSync(fd);
  }
}

/** Appends whole lines to run.log (written by whoever drives the run: CLI or extension host). */
export function appendRunLog(runDir: string, text: string): void {
  const file = path.join(runDir, RUN_FILES.log);
  try {
    fs.appendFileSync(file, text);
  } catch (err) {
    throw writeFailure(file, err);
  }
}

/** Records a threshold chosen by the user for a completed run, with its operating point on the run's scores. */
export function recordManualThreshold(runDir: string, value: number, experimentPath?: string, now = new Date()): ManualThresholdFile {
  if (!Number.isFinite(value)) throw new Error(`the threshold must be a finite number, got ${value}`);
  const { scores, labels } = readScores(runDir);
  const file: ManualThresholdFile = {
    formatVersion: RUN_FORMAT_VERSION, value, savedAt: now.toISOString(), experimentPath,
    operatingPoint: operatingPoint(confusionAt(scores, labels, value), value),
  };
  writeJsonAtomic(path.join(runDir, RUN_FILES.manualThreshold), file);
  return file;
}
