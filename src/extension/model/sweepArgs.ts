// The `aelab sweep` command line Run Sweep starts, from the settings. vscode-free, unit-tested.

export interface SweepLaunchSettings {
  /** Submit to Slurm instead of running here. */
  enabled: boolean;
  partition: string;
  timeLimit: string;
  cpusPerTask: number;
  /** Cap on array tasks running at once (`%P`); 0: no cap. */
  parallel: number;
  extraArgs: string[];
}

export function sweepCommandArgs(experimentFile: string, runsDir: string, slurm: SweepLaunchSettings): string[] {
  const args = ['sweep', experimentFile, '--runs-dir', runsDir];
  if (!slurm.enabled) return args;
  // --wait: the notification follows the job array to its end (cancel = scancel).
  args.push('--on', 'slurm', '--wait', '--cpus-per-task', String(slurm.cpusPerTask));
  if (slurm.parallel > 0) args.push('--parallel', String(slurm.parallel));
  if (slurm.partition) args.push('--partition', slurm.partition);
  if (slurm.timeLimit) args.push('--time-limit', slurm.timeLimit);
  for (const extra of slurm.extraArgs) args.push(`--sbatch-arg=${extra}`);
  return args;
}

export function cancelCommandArgs(experimentFile: string, runsDir: string): string[] {
  return ['sweep', 'cancel', experimentFile, '--runs-dir', runsDir];
}
