// The CLI side of `aelab sweep --on slurm`: options, submission report, --wait, status and
// cancel. The sweep command (sweep.ts) owns the manifest and decides which points to run.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../../core/runFolder';
import { isTaskActive, pointState, PointRunState, SlurmTask, SweepPointView } from '../../core/slurmQueue';
import type { PointFile } from '../../core/sweep/sweepFormat';
import { SlurmSubmitOptions } from './batchScript';
import { cancelSweep, querySweepTasks, SLURM_FILES, SlurmSubmission, submitSweep, waitForSweep, withdrawSubmission } from './slurmSweep';

/** parseArgs options of `aelab sweep` that only Slurm uses. */
export const SLURM_SWEEP_OPTIONS = {
  partition: { type: 'string' },
  'time-limit': { type: 'string' },
  'cpus-per-task': { type: 'string' },
  'sbatch-arg': { type: 'string', multiple: true },
} as const;

export const SLURM_USAGE = `                   with --on slurm: [--partition P] [--time-limit T] [--cpus-per-task N]
                   [--sbatch-arg=--FLAG=VALUE]...; one job array (sbatch --array=0-N%P, P = --parallel)`;

export interface SlurmOptionValues {
  partition?: string;
  'time-limit'?: string;
  'cpus-per-task'?: string;
  'sbatch-arg'?: string[];
}

export function slurmOptionsFrom(values: SlurmOptionValues, parallel: number | undefined): SlurmSubmitOptions {
  const cpus = values['cpus-per-task'] === undefined ? 1 : Number(values['cpus-per-task']);
  return { parallel, cpusPerTask: cpus, timeLimit: values['time-limit'], partition: values.partition, extraArgs: values['sbatch-arg'] ?? [] };
}

interface Io { out: (s: string) => void; err: (s: string) => void }

export interface SlurmSweepRun {
  sweepDir: string;
  name: string;
  experimentFile: string;
  set: readonly string[];
  backend?: string;
  threads?: string;
  runsDir: string;
  /** Points to submit (the others are completed). */
  indices: number[];
  /**
   * Of those, the points that score with a model another of them trains (same training setting):
   * a second array that waits for the first, so each setting trains once.
   */
  reuse: number[];
  total: number;
  options: SlurmSubmitOptions;
  wait: boolean;
  cliPath: string;
  /** Each point's run folder state now (for --wait's report and the final count). */
  runStates: () => Map<number, PointRunState>;
  signal?: AbortSignal;
  io: Io;
}

function countStates(views: readonly SweepPointView[]): string {
  const counts = new Map<string, number>();
  for (const v of views) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}

export function pointViews(indices: readonly number[], runs: Map<number, PointRunState>, tasks: readonly SlurmTask[]): SweepPointView[] {
  const byIndex = new Map(tasks.map((t) => [t.index, t]));
  return indices.map((i) => pointState(i, runs.get(i), byIndex.get(i)));
}

/**
 * Writes the points files of tasks that Slurm ended before their run could say so (cancelled while
 * pending, failed on the node, out of time), so the sweep folder tells what happened to every point.
 */
export function recordSlurmEndings(sweepDir: string, tasks: readonly SlurmTask[], now = new Date()): number {
  let written = 0;
  for (const task of tasks) {
    if (isTaskActive(task) || task.state === 'COMPLETED') continue;
    const file = path.join(sweepDir, 'points', `${task.index}.json`);
    let current: PointFile | undefined;
    try { current = JSON.parse(fs.readFileSync(file, 'utf8')) as PointFile; } catch { current = undefined; }
    if (current && current.state !== 'running') continue;
    const state = task.state === 'CANCELLED' ? 'cancelled' : 'failed';
    const why = task.state === 'TIMEOUT' ? "Slurm's time limit" : task.state === 'CANCELLED' ? 'scancel' : task.state;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeJsonAtomic(file, { ...current, index: task.index, state, updatedAt: now.toISOString(), error: `Slurm job ${task.jobId}_${task.index} ended: ${why}${task.node ? ` on ${task.node}` : ''}` });
    written += 1;
  }
  return written;
}

/** Submits; with --wait follows the array to its end. Exit code: 0 all completed (or submitted), 2 some did not, 130 stopped. */
export async function runSweepOnSlurm(run: SlurmSweepRun): Promise<number> {
  const reuse = new Set(run.reuse);
  const first = run.indices.filter((i) => !reuse.has(i));
  const common = {
    sweepDir: run.sweepDir, jobName: run.name, options: run.options, nodePath: process.execPath,
    cliPath: run.cliPath, experimentFile: run.experimentFile, set: run.set, backend: run.backend, threads: run.threads, runsDir: run.runsDir,
  };
  const submission = await submitSweep({ ...common, indices: first });
  let second: SlurmSubmission | undefined;
  if (reuse.size > 0) {
    try {
      second = await submitSweep({ ...common, indices: [...reuse], afterJob: submission.jobId });
    } catch (err) {
      // All or nothing, as one submission is: the first wave is taken back.
      await withdrawSubmission(run.sweepDir, submission.jobId);
      throw err;
    }
  }
  run.io.out(`submitted Slurm job ${submission.jobId}: array ${submission.array} (${first.length} of ${run.total} points${second ? ', one per training setting' : ''})`);
  if (second) run.io.out(`submitted Slurm job ${second.jobId}: array ${second.array} (${reuse.size} points scoring with those models, after job ${submission.jobId})`);
  run.io.out(`batch script: ${path.join(run.sweepDir, SLURM_FILES.script)}${second ? ` (and ${SLURM_FILES.reuseScript})` : ''}; task logs: ${path.join(run.sweepDir, SLURM_FILES.logs)}/`);
  if (!run.wait) {
    run.io.out(`follow with: aelab sweep status ${run.experimentFile} --runs-dir ${run.runsDir}`);
    return 0;
  }
  let last = '';
  const tasks = await waitForSweep(run.sweepDir, {
    signal: run.signal,
    onTasks: (t) => {
      const line = countStates(pointViews(run.indices, run.runStates(), t));
      if (line !== last) run.io.out(`job ${submission.jobId}${second ? `+${second.jobId}` : ''}: ${line}`);
      last = line;
    },
  });
  if (run.signal?.aborted) {
    run.io.err(`stopped waiting; job ${submission.jobId}${second ? ` and ${second.jobId}` : ''} go on (aelab sweep cancel ${run.experimentFile} cancels them)`);
    return 130;
  }
  recordSlurmEndings(run.sweepDir, tasks);
  const views = pointViews(run.indices, run.runStates(), tasks);
  run.io.out(`job ${submission.jobId}${second ? `+${second.jobId}` : ''} finished: ${countStates(views)}`);
  for (const v of views.filter((x) => x.state !== 'completed')) run.io.err(`  point ${v.index}: ${v.state}${v.detail ? ` (${v.detail})` : ''}`);
  return views.every((v) => v.state === 'completed') ? 0 : 2;
}

/** Slurm's view for `aelab sweep status`: every point merged with its task (empty when never submitted). */
export async function slurmPointViews(sweepDir: string, indices: readonly number[], runs: Map<number, PointRunState>): Promise<SweepPointView[]> {
  const tasks = await querySweepTasks(sweepDir);
  return pointViews(indices, runs, tasks);
}

export async function cancelSlurmSweep(sweepDir: string, io: Io): Promise<number> {
  const jobs = await cancelSweep(sweepDir);
  if (jobs.length === 0) {
    io.out('nothing of this sweep is queued or running on Slurm');
    return 0;
  }
  io.out(`scancel ${jobs.join(' ')}: running points stop at their next batch and end cancelled`);
  // Pending tasks never start: their points files say so at once.
  const tasks = await waitForSweep(sweepDir, { pollMs: 1000 });
  recordSlurmEndings(sweepDir, tasks);
  return 0;
}
