// Reading and writing run folders (docs/RUN-FORMAT.md). Every file is written atomically
// (temp file + rename) so a reader never sees half a file, whatever happens to the writer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { confusionAt, operatingPoint } from './metrics';
import {
  EpochMetrics, ManualThresholdFile, RUN_FILES, RUN_FORMAT_VERSION, RunConfigFile, RunStatusFile, RunSummary, SamplesHeader, ScoresHeader,
} from './runFormat';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
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

/** Appends one line; a line is either whole or (after a crash mid-write) unparsable and skipped. */
export function appendMetrics(runDir: string, metrics: EpochMetrics): void {
  fs.appendFileSync(path.join(runDir, RUN_FILES.metrics), JSON.stringify(metrics) + '\n');
}

export function readMetrics(runDir: string): EpochMetrics[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(runDir, RUN_FILES.metrics), 'utf8');
  } catch {
    return [];
  }
  const out: EpochMetrics[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as EpochMetrics);
    } catch {
      // A torn last line from a killed writer: ignore it rather than misread it.
    }
  }
  return out;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunListing {
  runId: string;
  dir: string;
  status: RunStatusFile;
  summary?: RunSummary;
  /** state says running but the writing process is gone: the run crashed or was killed. */
  stale: boolean;
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
}

function readStatus(dir: string): RunStatusFile | undefined {
  return readJson<RunStatusFile>(path.join(dir, RUN_FILES.status));
}

function isStale(status: RunStatusFile): boolean {
  return status.state === 'running' && status.pid !== undefined && !isProcessAlive(status.pid);
}

/** Runs of one experiment, newest first. Folders without a readable status.json are not runs. */
export function listRuns(runsDir: string, experimentName: string): RunListing[] {
  const root = experimentRunsDir(runsDir, experimentName);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(root, { withFileTypes: true });
  } catch {
    return [];
  }
  const runs: RunListing[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const status = readStatus(dir);
    if (!status) continue;
    const summary = status.state === 'completed' ? readJson<RunSummary>(path.join(dir, RUN_FILES.summary)) : undefined;
    runs.push({ runId: entry.name, dir, status, summary, stale: isStale(status) });
  }
  runs.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
  return runs;
}

export function readRun(dir: string): RunContents {
  const status = readStatus(dir);
  if (!status) throw new Error(`${dir} is not a run folder (no readable ${RUN_FILES.status})`);
  return {
    dir,
    status,
    config: readJson<RunConfigFile>(path.join(dir, RUN_FILES.config)),
    metrics: readMetrics(dir),
    summary: status.state === 'completed' ? readJson<RunSummary>(path.join(dir, RUN_FILES.summary)) : undefined,
    manualThreshold: readJson<ManualThresholdFile>(path.join(dir, RUN_FILES.manualThreshold)),
    stale: isStale(status),
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

export function writeScores(runDir: string, header: ScoresHeader, scores: Float32Array, validationScores: Float32Array, labels: Uint8Array, classes?: Uint8Array, testImages?: Uint8Array): void {
  const all = new Float32Array(scores.length + validationScores.length);
  all.set(scores, 0);
  all.set(validationScores, scores.length);
  writeFileAtomic(path.join(runDir, RUN_FILES.scores), new Uint8Array(all.buffer));
  writeFileAtomic(path.join(runDir, RUN_FILES.labels), labels);
  if (testImages) writeFileAtomic(path.join(runDir, RUN_FILES.images), testImages);
  if (classes) writeFileAtomic(path.join(runDir, RUN_FILES.classes), classes);
  // The header goes last: its presence means the binaries beside it are complete.
  writeJsonAtomic(path.join(runDir, RUN_FILES.scoresHeader), header);
}

export function readScores(runDir: string): RunScores {
  const header = readJson<ScoresHeader>(path.join(runDir, RUN_FILES.scoresHeader));
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
  const header = readJson<SamplesHeader>(path.join(runDir, RUN_FILES.samplesHeader));
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
  const header = readJson<ScoresHeader>(path.join(runDir, RUN_FILES.scoresHeader));
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

/** Appends whole lines to run.log (written by whoever drives the run: CLI or extension host). */
export function appendRunLog(runDir: string, text: string): void {
  fs.appendFileSync(path.join(runDir, RUN_FILES.log), text);
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
