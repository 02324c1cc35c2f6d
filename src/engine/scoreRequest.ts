// The worker's side of *Score Images with Model...*: `aelab score`'s scoreFiles in the worker
// process, with progress and cancel, plus thumbnails of the highest scores (the Score panel's
// first page) and of any page asked for later. Nothing is written.
import type { BackendPreference, ScoreImagesRequest, ScoreImagesResult } from '../core/protocol';
import { selectBackend } from './run';
import { fileThumbnails, FileThumbnails, scoreFiles } from './scoreFiles';

export interface ScoreRequestOptions {
  signal?: AbortSignal;
  wasmDir?: string;
  log?: (message: string) => void;
  onProgress?: (done: number, total: number) => void;
}

/** Scores the request's images; undefined when cancelled. */
export async function scoreImagesRequest(request: ScoreImagesRequest, options: ScoreRequestOptions = {}): Promise<ScoreImagesResult | undefined> {
  const startedAt = Date.now();
  await selectBackend(request.backend, options.wasmDir, options.log ?? (() => undefined));
  const scored = await scoreFiles(request.runDir, request.paths, {
    threshold: request.threshold, strategy: request.strategy, signal: options.signal, onProgress: options.onProgress,
  });
  if (options.signal?.aborted) return undefined;
  const files = scored.scored.map((r) => r.file);
  const scores = Float32Array.from(scored.scored, (r) => r.score);
  const flagged = Uint8Array.from(scored.scored, (r) => (r.flagged ? 1 : 0));
  const top = [...files.keys()].sort((a, b) => scores[b] - scores[a]).slice(0, Math.max(0, request.thumbnails));
  const thumbnails = top.length > 0 ? (await fileThumbnails(request.runDir, top.map((i) => files[i]))).images : [];
  return {
    runDir: request.runDir, threshold: scored.threshold, thresholdSource: scored.thresholdSource, scoreKind: scored.scoreKind,
    width: scored.width, height: scored.height, files, scores, flagged, warnings: scored.warnings, thumbnails,
    seconds: (Date.now() - startedAt) / 1000,
  };
}

/** Thumbnails of `files` (a page of the Score panel). */
export async function thumbnailsRequest(request: { runDir: string; files: string[]; backend: BackendPreference }, options: ScoreRequestOptions = {}): Promise<FileThumbnails> {
  await selectBackend(request.backend, options.wasmDir, options.log ?? (() => undefined));
  return fileThumbnails(request.runDir, request.files);
}
