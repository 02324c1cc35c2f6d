// A sweep as one Slurm job array: submit (job.sbatch + slurm.json in the sweep folder), ask
// squeue about its tasks, wait, cancel. Point states merge these with the run folders
// (core/slurmQueue.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import { writeFileAtomic, writeJsonAtomic } from '../../core/runFolder';
import { isTaskActive, parseSqueue, SlurmTask, SQUEUE_FORMAT } from '../../core/slurmQueue';
import { arraySpec, batchScript, BatchScriptInput, checkSubmitOptions, sbatchOptions } from './batchScript';
import { runSlurmCommand, SlurmCommandError } from './command';

export const SLURM_FILES = { script: 'job.sbatch', reuseScript: 'job-reuse.sbatch', record: 'slurm.json', logs: 'logs' } as const;

/** One sbatch call that Slurm accepted. */
export interface SlurmSubmission {
  jobId: string;
  /** The --array value, e.g. `0-3%2`. */
  array: string;
  indices: number[];
  submittedAt: string;
  /** The command as run, for people reading the sweep folder. */
  command: string[];
  /** The job this one waits for (its points score with that job's trained models). */
  afterJob?: string;
}

/** slurm.json in the sweep folder: every accepted submission, oldest first. */
export interface SlurmRecordFile {
  formatVersion: 1;
  submissions: SlurmSubmission[];
}

export function readSlurmRecord(sweepDir: string): SlurmRecordFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(sweepDir, SLURM_FILES.record), 'utf8')) as SlurmRecordFile;
  } catch {
    return undefined;
  }
}

export interface SubmitRequest extends Omit<BatchScriptInput, 'logDir'> {
  sweepDir: string;
  now?: Date;
}

/**
 * Submits the points as one job array. Either Slurm accepted it and slurm.json records the job,
 * or nothing is queued (a failed sbatch queues nothing; a job that cannot be recorded is
 * cancelled again) and the error names the command and Slurm's message.
 */
export async function submitSweep(request: SubmitRequest): Promise<SlurmSubmission> {
  const problems = checkSubmitOptions(request.options);
  if (problems.length > 0) throw new InputError(problems.join('; '));
  if (request.indices.length === 0) throw new InputError('every point of the sweep is completed: nothing to submit');
  // The job it waits for is this submission's own first wave, queued a moment ago.
  const active = request.afterJob ? [] : (await querySweepTasks(request.sweepDir)).filter(isTaskActive);
  if (active.length > 0) {
    const jobs = [...new Set(active.map((t) => t.jobId))].join(', ');
    throw new InputError(`this sweep is still in Slurm's queue (job ${jobs}, ${active.length} task(s) pending or running): wait for it, or \`aelab sweep cancel\` it first`);
  }
  const input: BatchScriptInput = { ...request, logDir: path.join(request.sweepDir, SLURM_FILES.logs) };
  fs.mkdirSync(input.logDir, { recursive: true });
  const scriptPath = path.join(request.sweepDir, request.afterJob ? SLURM_FILES.reuseScript : SLURM_FILES.script);
  // Submitted from a side file that becomes job.sbatch only once Slurm accepted it (sbatch keeps
  // its own copy), so a rejected submission leaves the script of the last accepted one in place.
  const candidate = `${scriptPath}.submitting`;
  writeFileAtomic(candidate, batchScript(input));
  // --array is also in the script; passing the options explicitly makes the command say what it does.
  const options = sbatchOptions(input);
  let out: string;
  try {
    out = await runSlurmCommand('sbatch', ['--parsable', ...options, candidate], { timeoutMs: 60_000 });
  } catch (err) {
    fs.rmSync(candidate, { force: true });
    throw err;
  }
  fs.renameSync(candidate, scriptPath);
  const args = ['--parsable', ...options, scriptPath];
  const jobId = out.trim().split(';')[0];
  if (!/^\d+$/.test(jobId)) throw new SlurmCommandError(`sbatch ${args.join(' ')}`, `unexpected answer "${out.trim()}" (expected a job id)`);
  const submission: SlurmSubmission = {
    jobId, array: arraySpec(request.indices, request.options.parallel), indices: [...request.indices].sort((a, b) => a - b),
    submittedAt: (request.now ?? new Date()).toISOString(), command: ['sbatch', ...args],
    ...(request.afterJob ? { afterJob: request.afterJob } : {}),
  };
  try {
    const record = readSlurmRecord(request.sweepDir) ?? { formatVersion: 1, submissions: [] };
    record.submissions.push(submission);
    writeJsonAtomic(path.join(request.sweepDir, SLURM_FILES.record), record);
  } catch (err) {
    await runSlurmCommand('scancel', [jobId]).catch(() => undefined);
    throw new Error(`Slurm accepted job ${jobId} but ${SLURM_FILES.record} could not be written (${(err as Error).message}); the job was cancelled again`);
  }
  return submission;
}

/** Takes back a submission whose second wave Slurm refused: scancel, and off the record. */
export async function withdrawSubmission(sweepDir: string, jobId: string): Promise<void> {
  await runSlurmCommand('scancel', [jobId]).catch(() => undefined);
  const record = readSlurmRecord(sweepDir);
  if (!record) return;
  record.submissions = record.submissions.filter((s) => s.jobId !== jobId);
  writeJsonAtomic(path.join(sweepDir, SLURM_FILES.record), record);
}

/**
 * Every array task Slurm still knows of, one per index (the newest submission wins). A job that
 * Slurm has forgotten (finished longer ago than its MinJobAge) has no tasks: the run folders
 * speak for it.
 */
export async function querySweepTasks(sweepDir: string): Promise<SlurmTask[]> {
  const record = readSlurmRecord(sweepDir);
  if (!record) return [];
  const byIndex = new Map<number, SlurmTask>();
  for (const submission of record.submissions) {
    let text: string;
    try {
      text = await runSlurmCommand('squeue', ['-h', '-r', '--states=all', '-j', submission.jobId, '-o', SQUEUE_FORMAT]);
    } catch (err) {
      if (err instanceof SlurmCommandError && /Invalid job id/i.test(err.message)) continue;
      throw err;
    }
    for (const task of parseSqueue(text)) {
      if (task.jobId === submission.jobId) byIndex.set(task.index, task);
    }
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** scancel for every submission with tasks still queued or running; returns the job ids. */
export async function cancelSweep(sweepDir: string): Promise<string[]> {
  const active = (await querySweepTasks(sweepDir)).filter(isTaskActive);
  const jobs = [...new Set(active.map((t) => t.jobId))];
  for (const job of jobs) await runSlurmCommand('scancel', [job]);
  return jobs;
}

export interface WaitOptions {
  pollMs?: number;
  signal?: AbortSignal;
  onTasks?: (tasks: SlurmTask[]) => void;
}

/** Resolves when no task of the sweep is queued or running (or the signal stops the waiting). */
export async function waitForSweep(sweepDir: string, options: WaitOptions = {}): Promise<SlurmTask[]> {
  for (;;) {
    const tasks = await querySweepTasks(sweepDir);
    options.onTasks?.(tasks);
    if (!tasks.some(isTaskActive) || options.signal?.aborted) return tasks;
    await new Promise<void>((resolve) => {
      const onAbort = () => { clearTimeout(timer); resolve(); };
      const timer = setTimeout(() => { options.signal?.removeEventListener('abort', onAbort); resolve(); }, options.pollMs ?? 2000);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
