// Messages between the main thread and an engine thread (worker_threads). Kept in the engine:
// nothing outside it sees them.
import type * as tf from '@tensorflow/tfjs-core';
import type { ResolvedEvaluationConfig, ResolvedTrainingConfig } from '../../core/experiment.generated';
import type { CollectiveBuffers } from './collective';

/** The per-image anomaly score (evaluation.score); here so score.ts and these messages share it without a cycle. */
export type ScoreKind = ResolvedEvaluationConfig['score'];

/** A model as tfjs's save handler hands it over: enough to rebuild it in another thread. */
export interface ModelArtifacts {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

/** workerData of an engine thread. */
export interface ThreadSetup {
  /** Where the tfjs wasm binaries are; the thread's own wasm backend loads them. */
  wasmDir?: string;
}

/** Score images [from, to) of the shared images into the shared scores. */
export interface ScoreRequest {
  type: 'score';
  id: number;
  model: ModelArtifacts;
  /** Float32 images, `width * height` values each, shared with the main thread. */
  images: SharedArrayBuffer;
  /** Float32 scores, one per image; the thread writes its range. */
  scores: SharedArrayBuffer;
  from: number;
  to: number;
  width: number;
  height: number;
  score: ScoreKind;
  batchSize: number;
}

/** Shared memory of one data-parallel training session (src/engine/dataParallel.ts). */
export interface DataParallelBuffers {
  collective: CollectiveBuffers;
  /** Int32 [command, main thread's rows, engine thread's rows] of the step about to run. */
  header: SharedArrayBuffer;
  /** Float32 images of the engine thread's rows. */
  rows: SharedArrayBuffer;
  /** Float32 gradients, parameterCount values: each variable's from the thread that does not update it. */
  gradients: SharedArrayBuffer;
  /** Float32 new values, parameterCount values: each variable's from the thread that updates it. */
  values: SharedArrayBuffer;
  /** Float64 each thread's scaled loss of the last step. */
  losses: SharedArrayBuffer;
  parameterCount: number;
}

/** Train a copy of the model alongside the main thread until it says stop (one long request). */
export interface TrainSessionRequest {
  type: 'train';
  id: number;
  model: ModelArtifacts;
  training: ResolvedTrainingConfig;
  width: number;
  height: number;
  buffers: DataParallelBuffers;
}

export type ThreadRequest = ScoreRequest | TrainSessionRequest;

export type ThreadReply =
  | { type: 'ready' }
  /** A training session is set up and waits for its first step. */
  | { type: 'started'; id: number }
  | { type: 'done'; id: number }
  | { type: 'error'; id?: number; message: string };
