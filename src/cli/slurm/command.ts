// Slurm's client commands (sbatch, squeue, scancel) as child processes with a timeout, each a
// Disposable so a caller going away kills what it started. Errors name the command and carry
// Slurm's own message.
import { execFile } from 'node:child_process';

export interface Disposable { dispose(): void }

export class SlurmCommandError extends Error {
  constructor(readonly command: string, message: string) {
    super(`${command}: ${message}`);
  }
}

export interface CommandOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** One running Slurm command; `result` settles with stdout, or rejects with a SlurmCommandError. */
export class SlurmCommand implements Disposable {
  readonly result: Promise<string>;
  private readonly abort = new AbortController();

  constructor(readonly program: string, readonly args: readonly string[], options: CommandOptions = {}) {
    const shown = [program, ...args].join(' ');
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.result = new Promise<string>((resolve, reject) => {
      execFile(program, args, { timeout: timeoutMs, signal: this.abort.signal, env: options.env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
        if (e.code === 'ENOENT') return reject(new SlurmCommandError(shown, `${program} not found on PATH: is Slurm installed here (Debian: apt-get install slurm-wlm)?`));
        if (e.name === 'AbortError') return reject(new SlurmCommandError(shown, 'stopped (the caller went away)'));
        if (e.killed) return reject(new SlurmCommandError(shown, `no answer within ${Math.round(timeoutMs / 1000)} s (is slurmctld reachable?)`));
        const said = (stderr || stdout).trim() || `exit code ${String(e.code)}`;
        reject(new SlurmCommandError(shown, said));
      });
    });
  }

  dispose(): void {
    this.abort.abort();
  }
}

/** Runs a command to completion; the process is killed when it overruns its timeout. */
export async function runSlurmCommand(program: string, args: readonly string[], options?: CommandOptions): Promise<string> {
  const command = new SlurmCommand(program, args, options);
  try {
    return await command.result;
  } finally {
    command.dispose();
  }
}
