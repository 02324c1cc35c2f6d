// What every CLI command shares: its I/O, exit codes and the usage error.
export const EXIT = { ok: 0, invalidInput: 1, runFailed: 2, cancelled: 130 } as const;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  interactive: boolean;
  cwd: string;
  /** Where the bundled tfjs wasm binaries are, when running from a bundle. */
  wasmDir?: string;
  /** dist/worker.js, the process a sweep runs each point in (default: beside the source tree's dist/). */
  workerPath?: string;
  /** dist/cli.js itself: what a Slurm task runs (default: beside the source tree's dist/). */
  cliPath?: string;
}

/** Bad command-line usage: printed with the usage text, exit 1. */
export class UsageError extends Error {}
