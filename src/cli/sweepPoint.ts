// One point of a sweep: which experiment it runs, whether it can score with a model another
// point already trained, and its points/<index>.json, kept in step with its run.
import * as path from 'node:path';
import { Problem } from '../core/config';
import { datasetAccessFor } from '../core/datasetFiles';
import { notText, readTextFileBounded } from '../core/fileAccess';
import { expandSweep, SweepPlan } from '../core/sweep/expand';
import type { RunState } from '../core/runFormat';
import { ensureManifest, manifestFor, sweepDir, writePointFile } from './sweepFolder';
import { readSweepStatus, SweepStatus, trainedModelFor } from './sweepStatus';

export interface LoadedSweep {
  plan: SweepPlan;
  /** The sweep folder, <runsDir>/.sweeps/<name>. */
  dir: string;
  runsDir: string;
  experimentPath: string;
  set: string[];
  /** Image folders must lie inside it: the working folder, as for `aelab run` (also each point's run). */
  workspaceRoot: string;
}

export type LoadResult = { ok: true; sweep: LoadedSweep } | { ok: false; problems: Problem[]; message?: string };

/** Reads, expands and validates the sweep of an experiment file (nothing is written). */
export function loadSweep(file: string, set: readonly string[], runsDir: string, workspaceRoot: string, yes = false): LoadResult {
  let text: string;
  try {
    text = readTextFileBounded(file);
  } catch (err) {
    return { ok: false, problems: [], message: `${file}: ${(err as Error).message}` };
  }
  const binary = notText(text);
  if (binary) return { ok: false, problems: [], message: `${file}:1:1: ${binary}` };
  const expansion = expandSweep(text, file, set, { yes, dataset: datasetAccessFor(file, workspaceRoot) });
  if (!expansion.ok) return { ok: false, problems: expansion.problems };
  if (!expansion.plan) return { ok: false, problems: expansion.problems, message: `${file}: has no sweep: section (add sweep: { parameters: { corruption.level: [0.1, 0.2] } }, or use aelab run)` };
  return { ok: true, sweep: { plan: expansion.plan, dir: sweepDir(runsDir, expansion.plan.name), runsDir, experimentPath: file, set: [...set], workspaceRoot } };
}

/** Writes the manifest (if it changed) and reads every point's state. */
export function startSweepFolder(sweep: LoadedSweep): SweepStatus {
  ensureManifest(sweep.dir, manifestFor(sweep.plan, sweep.experimentPath, sweep.set));
  const status = readSweepStatus(sweep.dir);
  if (!status) throw new Error(`${sweep.dir}: cannot read back the manifest just written`);
  return status;
}

/** A completed run of the point's training setting whose model it can score with, if any. */
export function modelForPoint(status: SweepStatus, index: number): string | undefined {
  const point = status.points.find((p) => p.index === index);
  return point ? trainedModelFor(status.points.filter((p) => p.index !== index), point.trainingKey) : undefined;
}

/** Keeps points/<index>.json in step with the point's run. */
export class PointRecorder {
  private runDir: string | undefined;

  constructor(private readonly dir: string, private readonly index: number, private readonly modelFrom: string | undefined) {}

  started(runDir: string): void {
    this.runDir = runDir;
    this.write('running');
  }

  finished(state: Exclude<RunState, 'running'>, error?: string): void {
    this.write(state, error);
  }

  private write(state: RunState, error?: string): void {
    writePointFile(this.dir, {
      index: this.index, runDir: this.runDir, state, updatedAt: new Date().toISOString(),
      ...(this.modelFrom ? { modelFrom: this.modelFrom } : {}), ...(error ? { error } : {}),
    });
  }
}

export function describePoint(overrides: Record<string, unknown>): string {
  return Object.entries(overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}

export function relativeTo(cwd: string, p: string): string {
  return path.relative(cwd, p) || p;
}
