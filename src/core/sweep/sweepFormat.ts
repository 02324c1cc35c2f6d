// The sweep folder: `<runsDir>/.sweeps/<experiment name>/` with `manifest.json` (what the sweep
// is) and `points/<index>.json` (one file per point, written by whoever runs it, so concurrent
// tasks never write one file). The points' run folders are ordinary runs of the experiment.
// Types and pure rules only; reading and writing are in src/cli/sweepFolder.ts.
import type { RunState } from '../runFormat';

export const SWEEP_FORMAT_VERSION = 1;
/** Folder under the runs dir that holds sweep folders; readers listing experiments skip names starting with '.'. */
export const SWEEPS_DIR = '.sweeps';

export interface ManifestPoint {
  index: number;
  /** Swept dotted path -> value, and `seed`. */
  overrides: Record<string, unknown>;
  /** Points with equal keys share one trained model. */
  trainingKey: string;
}

/** manifest.json */
export interface SweepManifest {
  formatVersion: number;
  name: string;
  /** Absolute path of the experiment file. */
  experimentPath: string;
  /** `--set` overrides applied to every point. */
  set: string[];
  method: 'grid';
  /** Swept paths in declared order. */
  parameters: string[];
  seeds: number[];
  points: ManifestPoint[];
  createdAt: string;
}

/** points/<index>.json */
export interface PointFile {
  index: number;
  /** Absent until the run folder exists. */
  runDir?: string;
  state: RunState;
  updatedAt: string;
  /** The run folder whose model this point scored with, when it did not train its own. */
  modelFrom?: string;
  error?: string;
}

/** A point's state as tools show it; `queued` = never started (no points file). */
export type PointState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/**
 * A point's state from its points file and its run folder's status: the run folder wins (it is
 * written last by the engine), and a `running` run whose writer is gone counts as failed.
 */
export function pointState(file: PointFile | undefined, run: { state: RunState; stale: boolean } | undefined): PointState {
  if (!file) return 'queued';
  if (!run) return file.state === 'running' ? 'failed' : file.state;
  if (run.state === 'running') return run.stale ? 'failed' : 'running';
  return run.state;
}

/**
 * Resume rule: a point runs again unless it completed with the same experiment it would run now;
 * failed and cancelled points run again. A point another process is running is left to it.
 */
export function needsRun(state: PointState, sameExperiment: boolean): boolean {
  if (state === 'running') return false;
  return !(state === 'completed' && sameExperiment);
}
