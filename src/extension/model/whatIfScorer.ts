// The Results panel's what-if scorer without vscode: one warm worker process answers what-ifs
// one at a time (fork and engine boot once per panel, not per request). A newer request while
// one is being scored kills that process and boots a fresh one; an idle process is ended after
// a while; dispose (the panel closing) kills it. The process comes from a factory, so this is
// unit-tested with dist/worker.js forked directly.
import type { HostToWorker, RunRequest, WhatIfResult, WorkerToHost } from '../../core/protocol';

export type WhatIfRequest = RunRequest & { modelFrom: string };

/** What the scorer needs of a worker process (the extension's WorkerProcess, or a plain fork in tests). */
export interface WhatIfWorker {
  readonly exited: Promise<unknown>;
  onMessage(listener: (message: WorkerToHost) => void): void;
  onStderr(listener: (text: string) => void): void;
  send(message: HostToWorker): boolean;
  dispose(): void;
}

/** One worker process: booting until `ready`, then answering what-ifs one at a time. */
interface ScoringProcess {
  worker: WhatIfWorker;
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
export const WHAT_IF_IDLE_MS = 5 * 60_000;

export class WhatIfScorer {
  private scoring: ScoringProcess | undefined;
  private pending: Pending | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly startWorker: () => WhatIfWorker, private readonly idleMs = WHAT_IF_IDLE_MS) {}

  /** The warm (or busy) process, if one is up. */
  get worker(): WhatIfWorker | undefined {
    return this.scoring?.worker;
  }

  /** The what-if's scores; undefined when a newer request or dispose superseded it. */
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
    const worker = this.startWorker();
    const scoring: ScoringProcess = { worker, ready: false, stderr: [] };
    this.scoring = scoring;
    worker.onStderr((text) => scoring.stderr.push(text));
    worker.onMessage((m) => {
      if (m.type === 'ready') {
        scoring.ready = true;
        if (scoring.queued) worker.send({ type: 'whatIf', request: scoring.queued, keepAlive: true });
        scoring.queued = undefined;
      } else if (m.type === 'whatIf') {
        this.settle(scoring, (p) => p.resolve(m.result));
        this.idleTimer = setTimeout(() => this.stop(scoring), this.idleMs);
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
