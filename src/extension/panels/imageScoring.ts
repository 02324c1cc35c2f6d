// Scoring image files with a run's model for *Score Images with Model...*: one dist/worker.js
// process per request (forked with advanced IPC serialization, so scores and pixels travel as
// typed arrays) runs `aelab score`'s engine code; nothing is written.
import * as vscode from 'vscode';
import { SCORE_PAGE_SIZE, type HostToWorker, type ScoreImagesRequest, type ScoreImagesResult, type ScoredImageThumbnails } from '../../core/protocol';
import type { RunManager } from '../runManager';
import { readSettings } from '../settings';
import { WorkerProcess } from '../workerProcess';

/** Grace before a cancelled scoring worker is killed. */
const CANCEL_GRACE_MS = 2000;

export interface PageThumbnails {
  width: number;
  height: number;
  images: ScoredImageThumbnails[];
  warnings: string[];
}

interface Reply {
  result?: ScoreImagesResult;
  thumbnails?: PageThumbnails;
}

export interface ScoringHooks {
  onProgress?: (done: number, total: number) => void;
  /** Aborting it cancels the worker (it stops between batches; killed after a grace period). */
  signal?: AbortSignal;
}

/** Sends one message to a fresh worker and collects its answer; rejects with the worker's error. */
function askWorker(manager: RunManager, message: HostToWorker, hooks: ScoringHooks): Promise<Reply> {
  const worker = new WorkerProcess(manager.workerPath, manager.workerEnv, [], 'advanced');
  return new Promise<Reply>((resolve, reject) => {
    const reply: Reply = {};
    let error: string | undefined;
    const stderr: string[] = [];
    const cancel = () => worker.cancel(CANCEL_GRACE_MS);
    hooks.signal?.addEventListener('abort', cancel);
    worker.onOutput((o) => { if (o.stream === 'stderr') stderr.push(o.text); });
    worker.onMessage((m) => {
      if (m.type === 'ready') worker.send(message);
      else if (m.type === 'scoreProgress') hooks.onProgress?.(m.done, m.total);
      else if (m.type === 'scoreImages') reply.result = m.result;
      else if (m.type === 'thumbnails') reply.thumbnails = { width: m.width, height: m.height, images: m.images, warnings: m.warnings };
      else if (m.type === 'event' && m.event.type === 'failed') error = m.event.error;
    });
    void worker.exited.then((exit) => {
      hooks.signal?.removeEventListener('abort', cancel);
      worker.dispose();
      if (reply.result || reply.thumbnails) resolve(reply);
      else if (hooks.signal?.aborted) resolve({});
      else reject(new Error(error ?? (stderr.join('').trim().split('\n').slice(-3).join(' ') || `the scoring worker exited with ${exit.code ?? exit.signal}`)));
    });
  });
}

/** Scores the request's images; undefined when cancelled through `hooks.signal`. */
export async function scoreImagesInWorker(manager: RunManager, request: ScoreImagesRequest, hooks: ScoringHooks = {}): Promise<ScoreImagesResult | undefined> {
  return (await askWorker(manager, { type: 'scoreImages', request }, hooks)).result;
}

/** Original / reconstruction / difference of `files` (one page of the Score panel). */
export async function thumbnailsInWorker(manager: RunManager, request: Extract<HostToWorker, { type: 'thumbnails' }>['request']): Promise<PageThumbnails> {
  const { thumbnails } = await askWorker(manager, { type: 'thumbnails', request }, {});
  if (!thumbnails) throw new Error('the scoring worker sent no thumbnails');
  return thumbnails;
}

/**
 * Scores `paths` with the model of `runDir` behind a cancellable progress notification, with the
 * panel's first page of thumbnails; undefined when cancelled. Throws the worker's error.
 */
export function scoreImagesWithProgress(manager: RunManager, runDir: string, paths: string[], label: string): Thenable<ScoreImagesResult | undefined> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Scoring images with ${label}`, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    let reported = 0;
    try {
      return await scoreImagesInWorker(manager, { runDir, paths, backend: readSettings().backend, thumbnails: SCORE_PAGE_SIZE }, {
        signal: abort.signal,
        onProgress: (done, total) => {
          const percent = total > 0 ? (100 * done) / total : 100;
          progress.report({ message: `${done} of ${total} files`, increment: percent - reported });
          reported = percent;
        },
      });
    } finally {
      cancelled.dispose();
    }
  });
}
