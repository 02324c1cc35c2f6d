// How many cores a run trains and scores on. The engine thread (thread/spawn.ts) is a second
// wasm backend; it pays only on wasm (tfjs-node and cpu have their own threading or none), with a
// spare core, and for enough work to repay booting it (~0.3 s: Node, tfjs, wasm compilation).
import type { ResolvedExperiment } from '../core/experiment.generated';
import type { ThreadsPreference } from '../core/protocol';
import { spareCores } from './thread/spawn';

/** Fewer training images than this: booting the thread costs more than the second core saves. */
export const PARALLEL_TRAIN_MIN_IMAGES = 2048;
/** Smaller batches: halves too small to keep a core busy between two barriers. */
export const PARALLEL_TRAIN_MIN_BATCH = 16;
/**
 * Where two threads measured faster (npm run bench, batch 64, 2-core EPYC VM): cnn 1.2-1.35x,
 * fcn-deep 1.2x. Not fcn-simple: its 2.5-3 ms step is mostly fixed per-step cost (~100 small
 * kernels), which both threads pay in full, so two threads took 4.2 ms a step against 2.9.
 */
const PARALLEL_ARCHITECTURES: ReadonlySet<string> = new Set(['cnn', 'fcn-deep']);

/** Whether the run should start an engine thread at all (for training, scoring or both). */
export function wantsEngineThread(preference: ThreadsPreference, backend: string): boolean {
  return preference !== 1 && backend === 'wasm' && (preference === 2 || spareCores() > 0);
}

/**
 * Threads to train with. 'auto' trains data-parallel on wasm with a spare core, for the
 * architectures where it measured faster, enough images and a batch worth splitting; 2 forces it
 * on wasm (the other backends train on one).
 */
export function trainingThreads(preference: ThreadsPreference, backend: string, experiment: ResolvedExperiment, trainCount: number): 1 | 2 {
  if (!wantsEngineThread(preference, backend)) return 1;
  if (experiment.training.batchSize < 2 || trainCount < 2) return 1;
  if (preference === 2) return 2;
  return PARALLEL_ARCHITECTURES.has(experiment.model.architecture) && trainCount >= PARALLEL_TRAIN_MIN_IMAGES
    && experiment.training.batchSize >= PARALLEL_TRAIN_MIN_BATCH ? 2 : 1;
}
