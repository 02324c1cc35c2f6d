// The one message protocol: discriminated unions per direction. Every `switch` over a union
// ends in assertNever so adding a message type is a compile error until every side handles it.
import type { ResolvedExperiment } from './experiment.generated';
import type { EpochMetrics, RunSummary } from './runFormat';

export function assertNever(value: never, what = 'message'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type RunPhase = 'loading' | 'training' | 'scoring' | 'saving';

/** Progress of one run, as the engine reports it (CLI, worker, tests all consume this). */
export type RunEvent =
  | { type: 'started'; runId: string; runDir: string; backend: string; epochs: number; batchesPerEpoch: number }
  | { type: 'phase'; phase: RunPhase; message: string }
  | { type: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number }
  | ({ type: 'epoch'; epochs: number } & EpochMetrics)
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'completed'; summary: RunSummary }
  | { type: 'cancelled'; message: string }
  | { type: 'failed'; error: string };

/** A request to run one experiment. */
export interface RunRequest {
  experiment: ResolvedExperiment;
  /** Absolute path of the experiment file (IDX paths resolve relative to it). */
  experimentPath?: string;
  /** Folder that holds <experiment-name>/<run-id>/. */
  runsDir: string;
  backend: BackendPreference;
}

/** host -> worker (Node IPC channel). */
export type HostToWorker =
  | { type: 'run'; request: RunRequest }
  | { type: 'cancel' };

/** worker -> host (Node IPC channel). */
export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'event'; event: RunEvent }
  | { type: 'exit'; code: number };
