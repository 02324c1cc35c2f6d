// What-if scoring for the Results panel: a warm dist/worker.js process (one per panel) re-corrupts
// the run's test set and scores it with the run's model (nothing written), and *Save as run* queues
// an ordinary run with the same request (modelFrom = the source run), so saved and previewed
// scores are the same bytes.
import * as path from 'node:path';
import type { RunRequest, WhatIfResult } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import { WhatIfCorruption, whatIfExperiment } from '../../core/whatIfExperiment';
import type { RunManager } from '../runManager';
import { readSettings } from '../settings';
import { WorkerProcess } from '../workerProcess';

/** The request that previews or saves a what-if of `runDir`, or why there is none. */
export function whatIfRequest(runDir: string, corruption: WhatIfCorruption): { request: RunRequest & { modelFrom: string } } | { error: string } {
  const config = readRun(runDir).config;
  if (!config) return { error: `${runDir} has no config.json` };
  // A run that reused a model points at its source: the what-if reuses that model too.
  const modelFrom = config.modelFrom ?? runDir;
  const changed = whatIfExperiment(config.experiment, corruption);
  if ('error' in changed) return changed;
  const settings = readSettings();
  return {
    request: {
      experiment: changed.experiment, experimentPath: config.experimentPath,
      // <runsDir>/<experiment name>/<run id>
      runsDir: path.dirname(path.dirname(runDir)),
      backend: settings.backend, threads: settings.threads, modelFrom,
    },
  };
}

type WhatIfRequest = RunRequest & { modelFrom: string };

/** One dist/worker.js process: booting until `ready`, then answering what-ifs one at a time. */
interface ScoringProcess {
  worker: WorkerProcess;
  ready: boolean;
  /** Sent once the process is ready. */
  queued?: WhatIfRequest;
  error?: string;
  stderr: string[];
}

interface Pending {
  scoring: ScoringProcess;
  resolve(result: WhatIfResult | undefined): void;
  reject(err: Error): void;
}

/** An idle warm process is ended after this long, so a forgotten panel does not hold its memory. */
const IDLE_MS = 5 * 60_000;

/**
 * Scores what-ifs for one Results panel in one warm child process (fork and engine boot once,
 * not per request). A newer request while one is being scored kills that process and boots a
 * fresh one; dispose (the panel closing) kills it.
 */
export class WhatIfScorer {
  private scoring: ScoringProcess | undefined;
  private pending: Pending | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: RunManager) {}

  score(request: WhatIfRequest): Promise<WhatIfResult | undefined> {
    this.clearIdle();
    if (this.pending) {
      // Stale: its answer would arrive after this request's; stop it now.
      const stale = this.pending;
      this.pending = undefined;
      stale.resolve(undefined);
      this.stop(stale.scoring);
    }
    const scoring = this.scoring ?? this.start();
    return new Promise((resolve, reject) => {
      this.pending = { scoring, resolve, reject };
      if (scoring.ready) scoring.worker.send({ type: 'whatIf', request, keepAlive: true });
      else scoring.queued = request;
    });
  }

  private start(): ScoringProcess {
    const worker = new WorkerProcess(this.manager.workerPath, this.manager.workerEnv, [], 'advanced');
    const scoring: ScoringProcess = { worker, ready: false, stderr: [] };
    this.scoring = scoring;
    worker.onOutput((o) => { if (o.stream === 'stderr') scoring.stderr.push(o.text); });
    worker.onMessage((m) => {
      if (m.type === 'ready') {
        scoring.ready = true;
        if (scoring.queued) worker.send({ type: 'whatIf', request: scoring.queued, keepAlive: true });
        scoring.queued = undefined;
      } else if (m.type === 'whatIf') {
        this.settle(scoring, (p) => p.resolve(m.result));
        this.idleTimer = setTimeout(() => this.stop(scoring), IDLE_MS);
        this.idleTimer.unref?.();
      } else if (m.type === 'event' && m.event.type === 'failed') {
        scoring.error = m.event.error;
      }
    });
    void worker.exited.then(() => {
      if (this.scoring === scoring) this.scoring = undefined;
      worker.dispose();
      const error = scoring.error ?? (scoring.stderr.length > 0 ? scoring.stderr.join('').trim().split('\n').slice(-3).join(' ') : undefined);
      // Killed as stale or disposed: nobody waits; else the request it was scoring failed.
      this.settle(scoring, (p) => (error ? p.reject(new Error(error)) : p.resolve(undefined)));
    });
    return scoring;
  }

  private settle(scoring: ScoringProcess, how: (p: Pending) => void): void {
    if (this.pending?.scoring !== scoring) return;
    const pending = this.pending;
    this.pending = undefined;
    how(pending);
  }

  private stop(scoring: ScoringProcess): void {
    if (this.scoring === scoring) this.scoring = undefined;
    scoring.worker.dispose();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  dispose(): void {
    this.clearIdle();
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(undefined);
    if (this.scoring) this.stop(this.scoring);
  }
}
