// Runs experiments in worker processes: a queue limited by aelab.maxConcurrentRuns, one child
// process per run, typed IPC events -> LiveRun state -> tree / progress / status bar, cancel with
// a grace period then kill, and crash recovery (a worker that dies leaves a failed run with the
// error and the log). Deactivation stops every worker: no process is left behind.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever, RunRequest, WorkerToHost } from '../core/protocol';
import { RUN_FILES } from '../core/runFormat';
import { Disposable } from './lifecycle';
import { applyRunEvent, fractionOf, isActiveState, isFinalState, LiveRun, newLiveRun, progressMessage } from './model/liveRun';
import { appendRunLog, finalizeAbandonedRun } from './model/recovery';
import { RunQueue } from './model/runQueue';
import { WorkerProcess } from './workerProcess';

/** How long a cancelled worker may take to reach the next batch before it is killed. */
export const CANCEL_GRACE_MS = 5000;
/** Grace period when the extension is disposed (window closing): shorter, the host is going away. */
const DISPOSE_GRACE_MS = 2000;
/** How long a worker may take to load and say `ready`. */
const READY_TIMEOUT_MS = 30_000;
/** Lines of worker stderr kept for the error message of a crash. */
const STDERR_TAIL = 20;

interface Job {
  readonly id: string;
  start(): Promise<void>;
}

interface ManagedRun {
  live: LiveRun;
  request: RunRequest;
  worker?: WorkerProcess;
  cancelRequested: boolean;
  /** Log lines not yet written to run.log (before the run folder exists). */
  pendingLog: string[];
  stderrTail: string[];
  done: Promise<LiveRun>;
  resolveDone: (run: LiveRun) => void;
}

export interface RunManagerOptions {
  workerPath: string;
  output: vscode.OutputChannel;
  maxConcurrent: () => number;
  /** Extra environment for workers. */
  env?: NodeJS.ProcessEnv;
}

export class RunManager extends Disposable {
  private readonly runs = new Map<string, ManagedRun>();
  private readonly queue: RunQueue<Job>;
  private readonly _onDidChangeRuns = this._register(new vscode.EventEmitter<LiveRun | undefined>());
  private readonly _onDidFinishRun = this._register(new vscode.EventEmitter<LiveRun>());
  /** Fires on every state or progress change (undefined: several runs changed). */
  readonly onDidChangeRuns = this._onDidChangeRuns.event;
  /** Fires once per run when it reaches completed, cancelled or failed. */
  readonly onDidFinishRun = this._onDidFinishRun.event;
  private counter = 0;
  private readonly finished = new Set<string>();
  private shuttingDown = false;

  constructor(private readonly options: RunManagerOptions) {
    super();
    this.queue = new RunQueue<Job>(options.maxConcurrent(), () => this._onDidChangeRuns.fire(undefined));
  }

  /** dist/worker.js, which what-if scoring forks too. */
  get workerPath(): string {
    return this.options.workerPath;
  }

  /** Extra environment for workers. */
  get workerEnv(): NodeJS.ProcessEnv {
    return this.options.env ?? {};
  }

  /** Runs of this window, oldest first (finished ones stay until the window closes). */
  get liveRuns(): LiveRun[] {
    return [...this.runs.values()].map((r) => r.live);
  }

  get activeRuns(): LiveRun[] {
    return this.liveRuns.filter((r) => isActiveState(r.state));
  }

  get(key: string): LiveRun | undefined {
    return this.runs.get(key)?.live;
  }

  findByRunId(runId: string): LiveRun | undefined {
    return this.liveRuns.find((r) => r.runId === runId);
  }

  /** Pid of the worker process of a run, while it lives. */
  workerPid(key: string): number | undefined {
    const w = this.runs.get(key)?.worker;
    return w && !w.hasExited ? w.pid : undefined;
  }

  /** Resolves when the run is completed, cancelled or failed. */
  whenFinished(key: string): Promise<LiveRun> {
    const run = this.runs.get(key);
    if (!run) return Promise.reject(new Error(`no run ${key}`));
    return run.done;
  }

  refreshLimit(): void {
    this.queue.setLimit(this.options.maxConcurrent());
  }

  /** Queues a run; it starts as soon as a slot is free. */
  enqueue(request: RunRequest, experimentPath: string): LiveRun {
    if (this.isDisposed || this.shuttingDown) throw new Error('the run manager is shutting down');
    const key = `run-${++this.counter}-${Date.now().toString(36)}`;
    const live = newLiveRun(key, request.experiment.name, experimentPath, request.experiment.training.epochs, Date.now());
    let resolveDone: (run: LiveRun) => void = () => undefined;
    const done = new Promise<LiveRun>((resolve) => { resolveDone = resolve; });
    const run: ManagedRun = { live, request, cancelRequested: false, pendingLog: [], stderrTail: [], done, resolveDone };
    this.runs.set(key, run);
    this.log(run, `queued ${experimentPath} (backend ${request.backend}, runs folder ${request.runsDir})`);
    this.queue.enqueue({ id: key, start: () => this.startWorker(run) });
    if (this.queue.stateOf(key) === 'queued') this.log(run, `waiting: ${this.queue.activeJobs.length} run(s) training, limit ${this.queue.limit} (aelab.maxConcurrentRuns)`);
    this._onDidChangeRuns.fire(live);
    return live;
  }

  /** Cancels a queued run (it never starts) or stops a training one at its next batch. */
  cancel(key: string): boolean {
    const run = this.runs.get(key);
    if (!run || !isActiveState(run.live.state)) return false;
    run.cancelRequested = true;
    if (this.queue.removeQueued(key)) {
      this.log(run, 'cancelled before it started');
      this.finish(run, 'cancelled');
      return true;
    }
    run.live.state = 'cancelling';
    this.log(run, `cancelling (stops at the next batch; killed after ${CANCEL_GRACE_MS / 1000} s)`);
    run.worker?.cancel(CANCEL_GRACE_MS);
    this._onDidChangeRuns.fire(run.live);
    return true;
  }

  /** Stops everything (deactivation): queued runs never start, workers get a short grace, then are killed. */
  async shutdown(graceMs = 2000): Promise<void> {
    this.shuttingDown = true;
    for (const job of this.queue.dispose()) {
      const run = this.runs.get(job.id);
      if (run) this.finish(run, 'cancelled');
    }
    const workers = [...this.runs.values()].map((r) => {
      r.cancelRequested = true;
      return r.worker;
    }).filter((w): w is WorkerProcess => w !== undefined && !w.hasExited);
    await Promise.all(workers.map((w) => w.stop(graceMs)));
  }

  /**
   * Disposal (VS Code disposes subscriptions right after calling deactivate, without waiting for
   * it): ask every worker to stop at its next batch, so it writes its run folder as cancelled and
   * exits; one that does not exit within the grace period is killed and its folder marked here.
   */
  override dispose(): void {
    this.shuttingDown = true;
    for (const job of this.queue.dispose()) {
      const run = this.runs.get(job.id);
      if (run) this.finish(run, 'cancelled');
    }
    for (const r of this.runs.values()) {
      if (r.worker && !r.worker.hasExited) {
        r.cancelRequested = true;
        r.worker.cancel(DISPOSE_GRACE_MS);
      }
    }
    super.dispose();
  }

  private startWorker(run: ManagedRun): Promise<void> {
    const { live } = run;
    live.state = 'starting';
    live.startedAt = Date.now();
    const worker = new WorkerProcess(this.options.workerPath, this.options.env);
    run.worker = worker;
    live.pid = worker.pid;
    this.log(run, `worker pid ${worker.pid ?? '?'} started`);
    this._onDidChangeRuns.fire(live);

    const readyTimer = setTimeout(() => {
      if (live.state === 'starting') {
        run.stderrTail.push(`the worker did not report ready within ${READY_TIMEOUT_MS / 1000} s`);
        worker.kill('SIGKILL');
      }
    }, READY_TIMEOUT_MS);

    worker.onMessage((message) => this.onMessage(run, message));
    worker.onOutput(({ stream, text }) => {
      for (const line of text.split('\n').filter((l) => l.trim())) {
        if (stream === 'stderr') {
          run.stderrTail.push(line);
          if (run.stderrTail.length > STDERR_TAIL) run.stderrTail.shift();
        }
        this.log(run, `${stream}: ${line}`);
      }
    });
    return worker.exited.then(({ code, signal }) => {
      clearTimeout(readyTimer);
      this.onWorkerExit(run, code, signal);
      worker.dispose();
    });
  }

  private onMessage(run: ManagedRun, message: WorkerToHost): void {
    switch (message.type) {
      case 'ready':
        if (run.cancelRequested) {
          run.worker?.cancel(0);
          return;
        }
        run.worker?.send({ type: 'run', request: run.request });
        return;
      case 'event': {
        const line = applyRunEvent(run.live, message.event, Date.now());
        if (run.cancelRequested && run.live.state === 'running') run.live.state = 'cancelling';
        if (message.event.type === 'started') this.flushLog(run);
        if (line) this.log(run, line);
        this._onDidChangeRuns.fire(run.live);
        return;
      }
      case 'exit':
        this.log(run, `worker says exit ${message.code}`);
        return;
      case 'whatIf':
      case 'scoreProgress':
      case 'scoreImages':
      case 'thumbnails':
        // Only what-if and scoring workers (model/whatIfScorer.ts, panels/imageScoring.ts) send these; a run's worker never does.
        return;
      default:
        assertNever(message, 'worker message');
    }
  }

  private onWorkerExit(run: ManagedRun, code: number | null, signal: NodeJS.Signals | null): void {
    const { live } = run;
    live.pid = undefined;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    this.log(run, `worker ${how}`);
    if (isFinalState(live.state)) {
      this.finish(run, live.state);
      return;
    }
    // The worker ended without a final event: it crashed, was killed, or was killed by us after Cancel.
    const cancelled = run.cancelRequested;
    const tail = run.stderrTail.length ? `\n${run.stderrTail.join('\n')}` : '';
    const error = cancelled ? undefined : `the training process ${how} before the run finished${tail}`;
    if (live.runDir) {
      const status = finalizeAbandonedRun(live.runDir, cancelled ? { state: 'cancelled' } : { state: 'failed', error: error ?? how });
      if (status && status.state !== 'running') this.log(run, `run folder marked ${status.state} by the host`);
    }
    live.error = error;
    this.finish(run, cancelled ? 'cancelled' : 'failed');
  }

  private finish(run: ManagedRun, state: 'completed' | 'cancelled' | 'failed'): void {
    const { live } = run;
    live.state = state;
    live.endedAt ??= Date.now();
    this.flushLog(run);
    this._onDidChangeRuns.fire(live);
    if (this.finished.has(live.key)) return;
    this.finished.add(live.key);
    run.resolveDone(live);
    this._onDidFinishRun.fire(live);
  }

  private log(run: ManagedRun, message: string): void {
    const stamp = new Date().toISOString().slice(11, 23);
    const label = run.live.runId ? `${run.live.experimentName}/${run.live.runId}` : run.live.experimentName;
    this.options.output.appendLine(`${stamp} [${label}] ${message}`);
    run.pendingLog.push(`${new Date().toISOString()} ${message}`);
    if (run.live.runDir) this.flushLog(run);
  }

  /** Appends pending lines to <runDir>/run.log (the host writes the log; the engine does not). */
  private flushLog(run: ManagedRun): void {
    if (!run.live.runDir || run.pendingLog.length === 0) return;
    try {
      appendRunLog(run.live.runDir, run.pendingLog.join('\n') + '\n');
      run.pendingLog = [];
    } catch {
      // folder deleted under us: keep the lines for the output channel only
      run.pendingLog = [];
    }
  }

  /** Progress text and fraction for notifications. */
  describe(key: string): { message: string; fraction: number } | undefined {
    const live = this.get(key);
    return live ? { message: progressMessage(live, Date.now()), fraction: fractionOf(live) } : undefined;
  }

  /** The log lines of a run that has no folder (refused at start), for Show Log; undefined otherwise. */
  logLinesOf(key: string): string[] | undefined {
    const run = this.runs.get(key);
    return run && !run.live.runDir ? [...run.pendingLog] : undefined;
  }

  logFileOf(live: LiveRun): string | undefined {
    return live.runDir ? path.join(live.runDir, RUN_FILES.log) : undefined;
  }
}
