// The job array's batch script (job.sbatch in the sweep folder): readable, and reusable by hand
// with `sbatch job.sbatch` (its #SBATCH lines repeat every option the submission used).

export interface SlurmSubmitOptions {
  /** Task cap: at most this many array tasks run at once (`%P`). */
  parallel?: number;
  cpusPerTask: number;
  /** Slurm time format (`MM`, `HH:MM:SS`, `D-HH:MM`...); absent: the partition's default. */
  timeLimit?: string;
  partition?: string;
  /** More sbatch options, each one flag as sbatch takes it (`--mem=2G`, `--qos=short`). */
  extraArgs: string[];
}

export interface BatchScriptInput {
  jobName: string;
  /** Array indices to run (the sweep's points not yet completed). */
  indices: readonly number[];
  options: SlurmSubmitOptions;
  nodePath: string;
  cliPath: string;
  experimentFile: string;
  /** The sweep's `--set` overrides, passed on to every task. */
  set: readonly string[];
  /** `aelab run --backend` / `--threads` of every task, when given. */
  backend?: string;
  threads?: string;
  runsDir: string;
  /** Where each task's stdout/stderr goes (`%A_%a.out` inside). */
  logDir: string;
  /** A job whose end this array waits for (`--dependency=afterany:ID`): the trainings its points reuse. */
  afterJob?: string;
}

/** `0-3`, `0,2,5-7`: the indices as Slurm's --array takes them, plus `%P` when capped. */
export function arraySpec(indices: readonly number[], parallel?: number): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error('a job array needs at least one index');
  const parts: string[] = [];
  let start = sorted[0];
  let prev = start;
  for (const i of [...sorted.slice(1), Number.NaN]) {
    if (i === prev + 1) { prev = i; continue; }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = i;
  }
  return parts.join(',') + (parallel !== undefined && parallel > 0 ? `%${parallel}` : '');
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Problems with the options, in words (empty: fine). Checked before anything is written. */
export function checkSubmitOptions(options: SlurmSubmitOptions): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(options.cpusPerTask) || options.cpusPerTask < 1) problems.push(`cpus per task must be a whole number >= 1, got ${options.cpusPerTask}`);
  if (options.parallel !== undefined && (!Number.isInteger(options.parallel) || options.parallel < 1)) problems.push(`--parallel must be a whole number >= 1, got ${options.parallel}`);
  if (options.timeLimit !== undefined && !/^(\d+-)?\d+(:\d+){0,2}$|^\d+-\d+$/.test(options.timeLimit)) problems.push(`time limit "${options.timeLimit}" is not in Slurm's format (minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS)`);
  if (options.partition !== undefined && !/^[\w.,-]+$/.test(options.partition)) problems.push(`partition "${options.partition}" is not a partition name`);
  for (const arg of options.extraArgs) {
    if (!arg.startsWith('-') || /[\r\n]/.test(arg)) problems.push(`extra sbatch argument "${arg}" must be one option starting with "-" on one line`);
  }
  return problems;
}

/** The sbatch options of a submission, in the order they are written and passed. */
export function sbatchOptions(input: BatchScriptInput): string[] {
  const o = input.options;
  return [
    // #SBATCH lines split on blanks: the name keeps to one word.
    `--job-name=${input.jobName.replace(/[^\w.-]+/g, '-')}`,
    `--array=${arraySpec(input.indices, o.parallel)}`,
    '--ntasks=1',
    `--cpus-per-task=${o.cpusPerTask}`,
    ...(o.timeLimit ? [`--time=${o.timeLimit}`] : []),
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    `--output=${input.logDir}/%A_%a.out`,
    ...(input.afterJob ? [`--dependency=afterany:${input.afterJob}`] : []),
    ...o.extraArgs,
  ];
}

export function batchScript(input: BatchScriptInput): string {
  // One thread per task unless the task has two cores to train on.
  const threads = input.threads ?? (input.options.cpusPerTask >= 2 ? 'auto' : '1');
  const run = [input.nodePath, input.cliPath, 'run', input.experimentFile, '--sweep-index', '"$SLURM_ARRAY_TASK_ID"', '--runs-dir', input.runsDir, '--threads', threads, ...(input.backend ? ['--backend', input.backend] : []), ...input.set.flatMap((o) => ['--set', o])]
    .map((w) => (w.startsWith('"$') ? w : shellQuote(w)));
  return [
    '#!/bin/bash',
    `# aelab sweep "${input.jobName}": one array task per sweep point. Written by \`aelab sweep --on slurm\`;`,
    '# resubmit by hand with `sbatch job.sbatch` (the sweep skips nothing then: every listed index runs).',
    ...sbatchOptions(input).map((opt) => `#SBATCH ${opt}`),
    '',
    '# exec: the run gets Slurm\'s SIGTERM itself (scancel, time limit) and leaves its run folder cancelled.',
    `exec ${run.join(' ')}`,
    '',
  ].join('\n');
}
