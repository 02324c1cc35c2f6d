// The state of every point of a sweep, from the manifest, the points files and the run folders'
// status.json (the run folder wins: the engine writes it last). Used by `aelab sweep status`,
// the table, resume, and any other executor (Slurm adds its scheduler's view on top).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedExperiment } from '../core/experiment.generated';
import { readRun } from '../core/runFolder';
import { RUN_FILES, type RunSummary } from '../core/runFormat';
import { ManifestPoint, PointState, pointState, SweepManifest } from '../core/sweep/sweepFormat';
import { canonicalJson, trainingKey } from '../core/sweep/trainingKey';
import { readManifest, readPointFile } from './sweepFolder';

export interface PointStatus extends ManifestPoint {
  state: PointState;
  runDir?: string;
  modelFrom?: string;
  error?: string;
  /** Last epoch reported by a running point. */
  epoch?: number;
  epochs?: number;
  /** When completed. */
  summary?: RunSummary;
  /** The experiment the run folder ran (config.json). */
  experiment?: ResolvedExperiment;
}

export interface SweepStatus {
  dir: string;
  manifest: SweepManifest;
  points: PointStatus[];
}

export function readPointStatus(dir: string, point: ManifestPoint): PointStatus {
  const file = readPointFile(dir, point.index);
  let run: ReturnType<typeof readRun> | undefined;
  if (file?.runDir) {
    try {
      run = readRun(file.runDir);
    } catch {
      run = undefined; // folder removed or never written: the points file alone decides
    }
  }
  const state = pointState(file, run && { state: run.status.state, stale: run.stale });
  return {
    ...point, state, runDir: file?.runDir, modelFrom: run?.config?.modelFrom ?? file?.modelFrom,
    error: run?.status.error ?? file?.error, epoch: run?.status.epoch, epochs: run?.status.epochs,
    summary: state === 'completed' ? run?.summary : undefined, experiment: run?.config?.experiment,
  };
}

/** Undefined when the sweep folder has no manifest (the sweep never started). */
export function readSweepStatus(dir: string): SweepStatus | undefined {
  const manifest = readManifest(dir);
  if (!manifest) return undefined;
  return { dir, manifest, points: manifest.points.map((p) => readPointStatus(dir, p)) };
}

/** The point completed running exactly this experiment (an edited file makes it stale). */
export function isUpToDate(status: PointStatus, experiment: ResolvedExperiment): boolean {
  return status.state === 'completed' && status.experiment !== undefined && canonicalJson(status.experiment) === canonicalJson(experiment);
}

/** A completed run of the same training setting that trained its own model, to score with instead of training again. */
export function trainedModelFor(statuses: readonly PointStatus[], key: string): string | undefined {
  for (const s of statuses) {
    if (s.state !== 'completed' || s.modelFrom || !s.runDir || !s.experiment) continue;
    if (trainingKey(s.experiment) !== key) continue;
    if (fs.existsSync(path.join(s.runDir, RUN_FILES.model, 'model.json'))) return s.runDir;
  }
  return undefined;
}

export function countByState(points: readonly PointStatus[]): Record<PointState, number> {
  const counts: Record<PointState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const p of points) counts[p.state] += 1;
  return counts;
}
