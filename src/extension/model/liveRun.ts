// The state of a run this window manages (queued, training, finished), built from the worker's
// typed events. vscode-free: the run manager owns the objects, the tree and progress read them.
import type { BatchLossPoint, RunEvent, RunPhase } from '../../core/protocol';
import { assertNever } from '../../core/protocol';
import type { RunSummary } from '../../core/runFormat';
import { etaSeconds, formatDuration, formatF1, formatLoss, trainingFraction } from './format';

export type LiveState = 'queued' | 'starting' | 'running' | 'cancelling' | 'completed' | 'cancelled' | 'failed';

export interface LiveRun {
  /** Host-side id, known before the engine picks the run id. */
  readonly key: string;
  readonly experimentName: string;
  readonly experimentPath: string;
  state: LiveState;
  runId?: string;
  runDir?: string;
  backend?: string;
  phase?: RunPhase;
  phaseMessage?: string;
  /** 1-based epoch in progress (or last finished). */
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Last training batch loss. */
  loss?: number;
  /** Last validation loss (after an epoch). */
  valLoss?: number;
  readonly enqueuedAt: number;
  startedAt?: number;
  endedAt?: number;
  pid?: number;
  error?: string;
  /** The engine refused the run before creating its folder (an input problem). */
  refusedAtStart?: boolean;
  summary?: RunSummary;
  /** Batch and epoch events seen (for tests and the log). */
  batchEvents: number;
  epochEvents: number;
  /** Per-batch training loss for the live loss chart (thinned to at most MAX_BATCH_POINTS). */
  batchLoss: BatchLossPoint[];
  /** Increments whenever batchLoss is thinned (readers then re-read it whole). */
  batchLossGeneration: number;
  firstBatchAt?: number;
}

/** Enough points to draw a smooth curve across any chart width, few enough to post cheaply. */
export const MAX_BATCH_POINTS = 2000;

/** Appends a point; past `max`, keeps every other one (older ones first). Returns whether it thinned. */
export function recordBatchLoss(points: BatchLossPoint[], point: BatchLossPoint, max = MAX_BATCH_POINTS): boolean {
  points.push(point);
  if (points.length <= max) return false;
  let w = 0;
  for (let r = 0; r < points.length; r += 2) points[w++] = points[r];
  points.length = w;
  return true;
}

export function newLiveRun(key: string, experimentName: string, experimentPath: string, epochs: number, now: number): LiveRun {
  return { key, experimentName, experimentPath, state: 'queued', epoch: 0, epochs, batch: 0, batches: 0, enqueuedAt: now, batchEvents: 0, epochEvents: 0, batchLoss: [], batchLossGeneration: 0 };
}

export function isActiveState(state: LiveState): boolean {
  return state === 'queued' || state === 'starting' || state === 'running' || state === 'cancelling';
}

export function isFinalState(state: LiveState): state is 'completed' | 'cancelled' | 'failed' {
  return state === 'completed' || state === 'cancelled' || state === 'failed';
}

/** Applies one worker event. Returns a log line for the output channel, if the event has one. */
export function applyRunEvent(run: LiveRun, event: RunEvent, now: number): string | undefined {
  switch (event.type) {
    case 'started':
      run.runId = event.runId;
      run.runDir = event.runDir;
      run.backend = event.backend;
      run.epochs = event.epochs;
      run.batches = event.batchesPerEpoch;
      if (run.state !== 'cancelling') run.state = 'running';
      run.startedAt ??= now;
      return `run ${event.runId} started (${event.backend}, ${event.epochs} epoch(s) x ${event.batchesPerEpoch} batches) in ${event.runDir}`;
    case 'phase':
      run.phase = event.phase;
      run.phaseMessage = event.message;
      return `${event.phase}: ${event.message}`;
    case 'batch':
      run.epoch = event.epoch;
      run.epochs = event.epochs;
      run.batch = event.batch;
      run.batches = event.batches;
      run.loss = event.loss;
      run.batchEvents++;
      run.firstBatchAt ??= now;
      if (Number.isFinite(event.loss) && event.batches > 0) {
        const point = { epoch: event.epoch - 1 + event.batch / event.batches, seconds: (now - run.firstBatchAt) / 1000, loss: event.loss };
        if (recordBatchLoss(run.batchLoss, point)) run.batchLossGeneration++;
      }
      return undefined;
    case 'epoch':
      run.epoch = event.epoch;
      run.epochs = event.epochs;
      run.batch = run.batches;
      run.valLoss = event.valLoss;
      run.loss = event.trainLoss;
      run.epochEvents++;
      return `epoch ${event.epoch}/${event.epochs}: train loss ${formatLoss(event.trainLoss)}, validation loss ${formatLoss(event.valLoss)} (${event.seconds.toFixed(1)} s)`;
    case 'log':
      return event.level === 'warn' ? `warning: ${event.message}` : event.message;
    case 'completed':
      run.state = 'completed';
      run.summary = event.summary;
      run.endedAt = now;
      return `completed: AUROC ${event.summary.auroc.toFixed(4)}, ${formatF1(event.summary, 4)} (${event.summary.totalSeconds.toFixed(1)} s)`;
    case 'cancelled':
      run.state = 'cancelled';
      run.endedAt = now;
      return `cancelled: ${event.message}`;
    case 'failed':
      run.state = 'failed';
      run.error = event.error;
      if (!run.runDir) run.refusedAtStart = true;
      run.endedAt = now;
      return `failed: ${event.error}`;
    default:
      return assertNever(event, 'run event');
  }
}

/** "epoch 2/5 · loss 0.0123 · ETA 12s", for progress notifications and the tree. */
export function progressMessage(run: LiveRun, now: number, withEta = true): string {
  if (run.state === 'queued') return 'queued';
  if (run.state === 'starting') return 'starting';
  if (run.state === 'cancelling') return 'cancelling…';
  if (run.phase && run.phase !== 'training' && run.batchEvents === 0) return run.phaseMessage ?? run.phase;
  if (run.phase === 'scoring' || run.phase === 'saving') return run.phaseMessage ?? run.phase;
  const parts = [`epoch ${Math.max(1, run.epoch)}/${run.epochs}`];
  if (run.loss !== undefined) parts.push(`loss ${formatLoss(run.loss)}`);
  if (withEta && run.startedAt !== undefined) {
    const eta = etaSeconds((now - run.startedAt) / 1000, trainingFraction(run.epoch, run.epochs, run.batch, run.batches));
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  }
  return parts.join(' · ');
}

export function fractionOf(run: LiveRun): number {
  if (run.state === 'completed') return 1;
  return trainingFraction(run.epoch, run.epochs, run.batch, run.batches);
}
