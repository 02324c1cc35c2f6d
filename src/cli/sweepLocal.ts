// Runs the points of a sweep on this machine: each point in its own worker process
// (dist/worker.js, the one the extension uses), up to `parallel` at once. Points that share a
// training setting wait for the first of them to train, then score with its model.
import { fork } from 'node:child_process';
import type { BackendPreference, HostToWorker, RunEvent, ThreadsPreference, WorkerToHost } from '../core/protocol';
import type { RunSummary } from '../core/runFormat';
import type { SweepPoint } from '../core/sweep/expand';
import { PointRecorder } from './sweepPoint';

export interface PointOutcome {
  state: 'completed' | 'cancelled' | 'failed';
  runDir?: string;
  summary?: RunSummary;
  error?: string;
  /** The run folder whose model it scored with. */
  modelFrom?: string;
}

export interface PointJob {
  point: SweepPoint;
  modelFrom?: string;
}

/** Runs one point to its end; `signal` asks it to stop (its run folder ends `cancelled`). */
export type PointRunner = (job: PointJob, onEvent: (e: RunEvent) => void, signal: AbortSignal) => Promise<PointOutcome>;

export interface LocalSweepOptions {
  /** Points to run, in sweep order. */
  todo: SweepPoint[];
  /** Training key -> a completed run folder with a model of that setting. */
  models: Map<string, string>;
  parallel: number;
  runner: PointRunner;
  signal: AbortSignal;
  onStart?: (job: PointJob) => void;
  onEvent?: (index: number, e: RunEvent) => void;
  onDone?: (point: SweepPoint, outcome: PointOutcome) => void;
}

/**
 * The scheduler. A point is started when a slot is free and either a model of its training
 * setting exists (it scores with it) or no other point of that setting is training (it trains).
 * After a cancel, nothing new starts and the running points are let finish cancelling.
 */
export async function runPointsLocally(o: LocalSweepOptions): Promise<Map<number, PointOutcome>> {
  const outcomes = new Map<number, PointOutcome>();
  const waiting = [...o.todo];
  const training = new Set<string>();
  const running = new Map<number, Promise<void>>();
  const next = (): PointJob | undefined => {
    for (let i = 0; i < waiting.length; i++) {
      const point = waiting[i];
      const modelFrom = o.models.get(point.trainingKey);
      if (!modelFrom && training.has(point.trainingKey)) continue;
      waiting.splice(i, 1);
      return { point, modelFrom };
    }
    return undefined;
  };
  while (!o.signal.aborted && (waiting.length > 0 || running.size > 0)) {
    let job: PointJob | undefined;
    while (running.size < o.parallel && !o.signal.aborted && (job = next())) {
      const { point, modelFrom } = job;
      if (!modelFrom) training.add(point.trainingKey);
      o.onStart?.(job);
      const done = o.runner(job, (e) => o.onEvent?.(point.index, e), o.signal).catch((err: unknown): PointOutcome => ({
        state: 'failed', error: err instanceof Error ? err.message : String(err),
      })).then((outcome) => {
        outcome.modelFrom = modelFrom;
        outcomes.set(point.index, outcome);
        if (!modelFrom) {
          training.delete(point.trainingKey);
          if (outcome.state === 'completed' && outcome.runDir) o.models.set(point.trainingKey, outcome.runDir);
        }
        running.delete(point.index);
        o.onDone?.(point, outcome);
      });
      running.set(point.index, done);
    }
    if (running.size === 0) break; // nothing can start (cannot happen: a waiting point can always train)
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  return outcomes;
}

export interface WorkerRunnerOptions {
  workerPath: string;
  sweepDir: string;
  experimentPath: string;
  runsDir: string;
  /** Image folders must lie inside it (the sweep's working folder, as for `aelab run`). */
  workspaceRoot: string;
  backend: BackendPreference;
  threads: ThreadsPreference;
  /** After a cancel, how long a worker may take to stop before it is killed. */
  killAfterMs?: number;
}

/** Runs a point in a child process (dist/worker.js) and keeps its points file in step. */
export function workerRunner(w: WorkerRunnerOptions): PointRunner {
  return (job, onEvent, signal) => new Promise<PointOutcome>((resolve) => {
    const { point, modelFrom } = job;
    const recorder = new PointRecorder(w.sweepDir, point.index, modelFrom);
    const child = fork(w.workerPath, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    let outcome: PointOutcome | undefined;
    let runDir: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const send = (m: HostToWorker) => { if (child.connected) child.send(m); };
    const onAbort = () => {
      send({ type: 'cancel' });
      killTimer = setTimeout(() => child.kill('SIGKILL'), w.killAfterMs ?? 30_000);
    };
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'ready') {
        send({ type: 'run', request: { experiment: point.experiment, experimentPath: w.experimentPath, runsDir: w.runsDir, workspaceRoot: w.workspaceRoot, backend: w.backend, threads: w.threads, modelFrom, sweep: { name: point.experiment.name, index: point.index } } });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      } else if (m.type === 'event') {
        const e = m.event;
        if (e.type === 'started') {
          runDir = e.runDir;
          recorder.started(e.runDir);
        } else if (e.type === 'completed') outcome = { state: 'completed', runDir, summary: e.summary };
        else if (e.type === 'cancelled') outcome = { state: 'cancelled', runDir };
        else if (e.type === 'failed') outcome = { state: 'failed', runDir, error: e.error };
        onEvent(e);
      }
    });
    child.on('exit', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      const final: PointOutcome = outcome ?? {
        state: signal.aborted ? 'cancelled' : 'failed', runDir,
        error: `worker exited (${sig ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`,
      };
      recorder.finished(final.state, final.error);
      resolve(final);
    });
  });
}
