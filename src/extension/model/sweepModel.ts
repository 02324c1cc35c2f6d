// Sweeps as the tree and the Run Sweep progress show them, read from the sweep folders
// (`<runsDir>/.sweeps/<name>/`: manifest, points files, slurm.json) and the points' run folders.
// vscode-free, unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRun, RunContents } from '../../core/runFolder';
import { PointFile, pointState, SweepManifest, SWEEPS_DIR } from '../../core/sweep/sweepFormat';
import { formatMetric, truncate } from './format';

/** What the tree shows: `pending` = submitted to Slurm, not started yet. */
export type SweepPointDisplay = 'queued' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface SweepPointModel {
  index: number;
  state: SweepPointDisplay;
  /** `#2 corruption.level=0.2 seed=1` */
  label: string;
  description: string;
  runDir?: string;
  epoch?: number;
  epochs?: number;
}

export interface SweepModel {
  name: string;
  dir: string;
  experimentPath: string;
  points: SweepPointModel[];
  counts: Record<SweepPointDisplay, number>;
  /** Slurm job ids of its submissions (empty: run locally). */
  slurmJobs: string[];
  /** The latest submission's jobs: one array, or the trainings' and then the arrays that reuse them. */
  latestSlurmJobs: string[];
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function formatOverrides(overrides: Record<string, unknown>): string {
  return Object.entries(overrides).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

function describePoint(state: SweepPointDisplay, run: RunContents | undefined, job: string | undefined, file: PointFile | undefined): string {
  const s = run?.status;
  switch (state) {
    case 'completed':
      return run?.summary ? `AUROC ${formatMetric(run.summary.auroc)} · F1 ${formatMetric(run.summary.operatingPoint.f1)}` : 'completed';
    case 'running': return s?.epoch !== undefined ? `epoch ${Math.max(1, s.epoch)}/${s.epochs ?? '?'}` : 'starting';
    case 'pending': return `pending on Slurm (job ${job})`;
    case 'queued': return 'queued';
    case 'cancelled': return `cancelled${s?.epoch !== undefined ? ` at epoch ${s.epoch}/${s.epochs ?? '?'}` : ''}`;
    case 'failed': {
      const why = s?.error ?? file?.error ?? (run?.stale ? 'its process is gone' : undefined);
      return `failed${why ? `: ${truncate(why, 60)}` : ''}`;
    }
  }
}

/** One sweep folder, or undefined when it has no readable manifest. */
export function readSweepFolder(dir: string): SweepModel | undefined {
  const manifest = readJson<SweepManifest>(path.join(dir, 'manifest.json'));
  if (!manifest || !Array.isArray(manifest.points)) return undefined;
  const slurm = readJson<{ submissions?: { jobId: string; indices: number[]; afterJob?: string }[] }>(path.join(dir, 'slurm.json'));
  const submissions = slurm?.submissions ?? [];
  const jobOf = new Map<number, string>();
  for (const s of submissions) for (const i of s.indices) jobOf.set(i, s.jobId);
  const counts: Record<SweepPointDisplay, number> = { queued: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
  const points = manifest.points.map((p): SweepPointModel => {
    const file = readJson<PointFile>(path.join(dir, 'points', `${p.index}.json`));
    // A relative runDir is relative to the sweep folder (as `aelab report` reads it).
    const runDir = file?.runDir ? path.resolve(dir, file.runDir) : undefined;
    let run: RunContents | undefined;
    if (runDir) {
      try { run = readRun(runDir); } catch { /* folder gone: the points file speaks */ }
    }
    const core = pointState(file, run && { state: run.status.state, stale: run.stale });
    const job = jobOf.get(p.index);
    const state: SweepPointDisplay = core === 'queued' && job ? 'pending' : core;
    counts[state] += 1;
    return {
      index: p.index, state, label: `#${p.index} ${formatOverrides(p.overrides)}`, description: describePoint(state, run, job, file),
      runDir, epoch: run?.status.epoch, epochs: run?.status.epochs,
    };
  });
  const last = submissions[submissions.length - 1];
  const latestSlurmJobs = last ? [...(last.afterJob ? [last.afterJob] : []), last.jobId] : [];
  return { name: manifest.name, dir, experimentPath: manifest.experimentPath, points, counts, slurmJobs: submissions.map((s) => s.jobId), latestSlurmJobs };
}

export function sweepDirOf(runsDir: string, experimentName: string): string {
  return path.join(runsDir, SWEEPS_DIR, experimentName);
}

/** The experiment text declares a top-level `sweep:` (Run Sweep's editor button, Open Study from the palette). */
export function declaresSweep(text: string): boolean {
  return /^sweep\s*:/m.test(text);
}

/** The run folders a study or report of the sweep covers: its completed points', in point order. */
export function completedRunDirs(sweep: SweepModel): string[] {
  const dirs = sweep.points.filter((p) => p.state === 'completed' && p.runDir !== undefined).map((p) => p.runDir as string);
  return [...new Set(dirs)];
}

/** Why a sweep gives no runs to study yet. */
export function noCompletedRunsMessage(sweep: SweepModel): string {
  return `The sweep of ${sweep.name} has no completed point yet (${sweepDescription(sweep)}).`;
}

/** Some point is running or waiting in Slurm's queue (queued points of a stopped sweep do not count). */
export function isSweepActive(sweep: SweepModel): boolean {
  return sweep.counts.pending + sweep.counts.running > 0;
}

export function sweepDescription(sweep: SweepModel): string {
  const c = sweep.counts;
  const parts = [`${c.completed}/${sweep.points.length} done`];
  if (c.running) parts.push(`${c.running} running`);
  if (c.pending) parts.push(`${c.pending} pending`);
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (sweep.latestSlurmJobs.length) parts.push(`Slurm job${sweep.latestSlurmJobs.length > 1 ? 's' : ''} ${sweep.latestSlurmJobs.join('+')}`);
  return parts.join(' · ');
}

/**
 * The one progress line of a running sweep: `point k of n` (k = the point being run, counting the
 * finished ones) and the current point's epoch; `finished` = fraction of points final.
 */
export function sweepProgress(sweep: SweepModel): { message: string; finished: number } {
  const total = sweep.points.length;
  const final = sweep.counts.completed + sweep.counts.failed + sweep.counts.cancelled;
  const running = sweep.points.filter((p) => p.state === 'running');
  const k = Math.min(total, final + Math.max(1, running.length));
  const epochs = running.map((p) => (p.epoch !== undefined ? `#${p.index} epoch ${Math.max(1, p.epoch)}/${p.epochs ?? '?'}` : `#${p.index} starting`));
  const extra = [sweep.counts.pending ? `${sweep.counts.pending} pending on Slurm` : '', sweep.counts.failed ? `${sweep.counts.failed} failed` : ''].filter(Boolean);
  return { message: [`point ${k} of ${total}`, ...epochs, ...extra].join(' · '), finished: total === 0 ? 1 : final / total };
}
