// `aelab score`: a trained run's model scores image files (PNG / JPEG) with the run's own
// preprocessing (its image size and channels; other sizes resized bilinearly, colour to
// luminance for one channel). Unreadable files become per-file warnings and never stop the batch.
// The Score panel's thumbnails (fileThumbnails) go through the same preprocessing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../core/errors';
import { resizeBilinear } from '../core/imageResize';
import type { ScoredImageThumbnails } from '../core/protocol';
import { RUN_FILES, ThresholdStrategy } from '../core/runFormat';
import { readRun } from '../core/runFolder';
import { scoreCsv } from '../core/scoreCsv';
import { decodeImageFile, ImageFileError, isImageFileName } from './images/decode';
import { loadModel } from './modelIo';
import { anomalyMap, displayPlanes } from './run';
import { reconstructAll, scoreImages } from './score';

export interface ScoredFile {
  file: string;
  score: number;
  flagged: boolean;
}

export interface ScoreFilesResult {
  threshold: number;
  /** Where the threshold came from: `--threshold`, or a strategy of the run. */
  thresholdSource: string;
  scoreKind: 'mse' | 'ssim';
  width: number;
  height: number;
  scored: ScoredFile[];
  /** One line per file that could not be read or decoded. */
  warnings: string[];
}

export interface ScoreFilesOptions {
  threshold?: number;
  strategy?: ThresholdStrategy;
  /** Checked between batches (the event loop runs between them, so a cancel message gets through). */
  signal?: AbortSignal;
  /** Files read so far (scored or skipped) of all found, after every batch. */
  onProgress?: (done: number, total: number) => void;
}

/** Deepest folder level walked under a given folder. */
const MAX_DEPTH = 16;
/** Images decoded and scored together (bounds memory, not results). */
const BATCH = 64;

/** Image files under the given paths: files as given, folders walked (sorted, symlink loops skipped with a warning). */
export function collectImageFiles(paths: readonly string[], warnings: string[]): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, depth: number) => {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch (err) {
      warnings.push(`${dir}: ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symlink loop' : 'cannot be read'}; skipped`);
      return;
    }
    if (seen.has(real)) {
      warnings.push(`${dir}: already visited (a symlink loop?); skipped`);
      return;
    }
    seen.add(real);
    if (depth > MAX_DEPTH) {
      warnings.push(`${dir}: deeper than ${MAX_DEPTH} folders; skipped`);
      return;
    }
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDir = fs.statSync(full).isDirectory();
        } catch (err) {
          if (isImageFileName(entry.name)) warnings.push(`${full}: ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symlink loop' : 'a broken link'}; skipped`);
          continue;
        }
      }
      if (isDir) walk(full, depth + 1);
      else if (isImageFileName(entry.name)) files.push(full);
    }
  };
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch (err) {
      warnings.push(`${p}: ${(err as NodeJS.ErrnoException).code === 'ELOOP' ? 'a symlink loop' : 'does not exist'}; skipped`);
      continue;
    }
    if (stat.isDirectory()) walk(p, 0);
    else files.push(p);
  }
  return files;
}

/** Scores the images under `paths` with the completed run in `runDir`. */
export async function scoreFiles(runDir: string, paths: readonly string[], options: ScoreFilesOptions = {}): Promise<ScoreFilesResult> {
  const run = readRun(runDir);
  if (run.status.state !== 'completed' || !run.summary || !run.config) throw new InputError(`${runDir}: the run is ${run.status.state}, not completed: only a completed run has a model and thresholds`);
  const summary = run.summary;
  let threshold: number;
  let thresholdSource: string;
  if (options.threshold !== undefined) {
    threshold = options.threshold;
    thresholdSource = '--threshold';
  } else {
    const strategy = options.strategy ?? summary.chosen;
    const found = summary.thresholds.find((t) => t.strategy === strategy);
    if (!found) throw new InputError(`the run has no ${strategy} threshold; it has ${summary.thresholds.map((t) => t.strategy).join(', ')}`);
    threshold = found.value;
    thresholdSource = `${strategy}${options.strategy ? '' : ' (the run\'s chosen strategy)'}`;
  }
  const scoreKind = run.config.experiment.evaluation.score;
  const warnings: string[] = [];
  const files = collectImageFiles(paths, warnings);
  const model = await loadModel(modelDirOf(runDir, run.config.modelFrom));
  try {
    const [, height, width, channels] = model.inputs[0].shape as number[];
    if (channels !== 1 && channels !== 3) throw new InputError(`the run's model takes ${channels} channels: only 1 or 3 can be scored`);
    const pixels = width * height * channels;
    const scored: ScoredFile[] = [];
    for (let start = 0; start < files.length; start += BATCH) {
      if (options.signal?.aborted) break;
      const batch: string[] = [];
      const images = new Float32Array(Math.min(BATCH, files.length - start) * pixels);
      for (const file of files.slice(start, start + BATCH)) {
        try {
          images.set(decodeForModel(file, width, height, channels), batch.length * pixels);
          batch.push(file);
        } catch (err) {
          if (!(err instanceof ImageFileError)) throw err;
          warnings.push(`${err.message}; skipped`);
        }
      }
      const scores = scoreImages(model, images, batch.length, width, height, scoreKind);
      batch.forEach((file, i) => scored.push({ file, score: scores[i], flagged: scores[i] >= threshold }));
      options.onProgress?.(Math.min(start + BATCH, files.length), files.length);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { threshold, thresholdSource, scoreKind, width, height, scored, warnings };
  } finally {
    model.dispose();
  }
}

/** The run's model: its own, or that of the run it scored with (config.json `modelFrom`: what-ifs saved as runs, sweep points sharing a training). */
function modelDirOf(runDir: string, modelFrom: string | undefined): string {
  return path.join(modelFrom ?? runDir, RUN_FILES.model);
}

/** `file` as the model sees it: decoded to its channels, resized (bilinear) to its input size. */
function decodeForModel(file: string, width: number, height: number, channels: number): Float32Array {
  const image = decodeImageFile(file, channels as 1 | 3);
  return image.width === width && image.height === height ? image.pixels : resizeBilinear(image.pixels, image.height, image.width, channels, height, width);
}

export interface FileThumbnails {
  width: number;
  height: number;
  images: ScoredImageThumbnails[];
  /** Files that could not be read (they have no thumbnails). */
  warnings: string[];
}

/** Original / reconstruction / difference of `files` with the run's model, preprocessed as scoreFiles does. */
export async function fileThumbnails(runDir: string, files: readonly string[]): Promise<FileThumbnails> {
  const model = await loadModel(modelDirOf(runDir, readRun(runDir).config?.modelFrom));
  try {
    const [, height, width, channels] = model.inputs[0].shape as number[];
    const pixels = width * height * channels;
    const warnings: string[] = [];
    const read: string[] = [];
    const inputs = new Float32Array(files.length * pixels);
    for (const file of files) {
      try {
        inputs.set(decodeForModel(file, width, height, channels), read.length * pixels);
        read.push(file);
      } catch (err) {
        if (!(err instanceof ImageFileError)) throw err;
        warnings.push(`${err.message}; skipped`);
      }
    }
    const reconstructions = reconstructAll(model, inputs, read.length, width, height);
    const bytes = (plane: Float32Array) => Uint8Array.from(plane, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
    const images = read.map((file, k) => {
      const input = inputs.subarray(k * pixels, (k + 1) * pixels);
      const reconstruction = reconstructions.subarray(k * pixels, (k + 1) * pixels);
      return {
        file, original: bytes(displayPlanes(input, channels)), reconstruction: bytes(displayPlanes(reconstruction, channels)),
        difference: bytes(anomalyMap(input, reconstruction, channels)),
      };
    });
    return { width, height, images, warnings };
  } finally {
    model.dispose();
  }
}

/** CSV: header then `path,score,flagged` per image (core/scoreCsv.ts, shared with the Score panel). */
export function scoresCsv(result: ScoreFilesResult, display: (file: string) => string = (f) => f): string {
  return scoreCsv(result.scored.map((r) => ({ path: display(r.file), score: r.score, flagged: r.flagged })));
}
