// Messages between the main thread and an engine thread (worker_threads). Kept in the engine:
// nothing outside it sees them.
import type * as tf from '@tensorflow/tfjs-core';
import type { ScoreKind } from '../score';

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

export type ThreadRequest = ScoreRequest;

export type ThreadReply =
  | { type: 'ready' }
  | { type: 'done'; id: number }
  | { type: 'error'; id?: number; message: string };
