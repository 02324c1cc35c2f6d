// How many cores a run trains and scores on. The engine thread (thread/spawn.ts) is a second
// wasm backend; it pays only on wasm (tfjs-node and cpu have their own threading or none), with a
// spare core, and for enough work to repay booting it (~0.3 s: Node, tfjs, wasm compilation).
import type { ResolvedExperiment } from '../core/experiment.generated';
import type { ThreadsPreference } from '../core/protocol';
import { spareCores } from './thread/spawn';

/**
 * Fewer images trained on (training images x epochs) than this, one thread: a two-thread session
 * needs ~200 steps to reach its speed (docs/perf-notes-kernels.md, "Warm-up"). Measured on the
 * CLI, training seconds one / two threads: cnn 4,500 images 0.7 / 0.8, 9,000 1.2 / 1.3, 18,000
 * 2.4 / 2.2; fcn-deep 9,000 2.1 / 2.5, 18,000 3.9 / 4.2, 18,000 x 3 epochs 12.5 / 10.4.
 */
export const PARALLEL_TRAIN_MIN_IMAGE_PASSES = 40_000;
/** Smaller batches: halves too small to keep a core busy between two barriers. */
export const PARALLEL_TRAIN_MIN_BATCH = 16;
/**
 * Where two threads measured faster (npm run bench, batch 64, 2-core EPYC VM): cnn 1.2-1.35x,
 * fcn-deep 1.2x. Not fcn-simple: its step is mostly [64 x 784 x 128]-sized products, and halved
 * (32 rows) they slow each other down by ~30% on two cores of this VM; with the exchange on top,
 * two threads took 3.6-4.2 ms a step against 2.6.
 */
const PARALLEL_ARCHITECTURES: ReadonlySet<string> = new Set(['cnn', 'fcn-deep']);

/** Whether the run should start an engine thread at all (for training, scoring or both). */
export function wantsEngineThread(preference: ThreadsPreference, backend: string): boolean {
  return preference !== 1 && backend === 'wasm' && (preference === 2 || spareCores() > 0);
}

/** Whether two threads can train this architecture at all: not fcn-simple, which they only slow down. */
export function trainsOnTwoThreads(architecture: string): boolean {
  return PARALLEL_ARCHITECTURES.has(architecture);
}

/**
 * Threads to train with; on wasm this changes the speed, never the bytes: one thread replays the
 * two threads' halves (train.ts halvesStep), and fcn-simple, which one thread trains in whole
 * batches, always trains on one. 'auto' trains data-parallel on wasm with a spare core, for the
 * architectures where it measured faster, enough images times epochs and a batch worth
 * splitting; 2 forces it on wasm for cnn and fcn-deep (the other backends train on one).
 */
export function trainingThreads(preference: ThreadsPreference, backend: string, experiment: ResolvedExperiment, trainCount: number): 1 | 2 {
  const imagePasses = trainCount * experiment.training.epochs;
  if (!wantsEngineThread(preference, backend)) return 1;
  if (experiment.training.batchSize < 2 || trainCount < 2) return 1;
  if (!PARALLEL_ARCHITECTURES.has(experiment.model.architecture)) return 1;
  if (preference === 2) return 2;
  return PARALLEL_ARCHITECTURES.has(experiment.model.architecture) && imagePasses >= PARALLEL_TRAIN_MIN_IMAGE_PASSES
    && experiment.training.batchSize >= PARALLEL_TRAIN_MIN_BATCH ? 2 : 1;
}
