// Runs the CLI in-process (src/cli/main.ts) and captures what it prints, for the CLI tests.
import { main } from '../../../src/cli/main';
import type { Io } from '../../../src/cli/cliTypes';

export interface Captured { code: number; out: string; err: string; ms: number }

export async function runCli(cwd: string, argv: string[], io: Partial<Io> = {}): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const started = Date.now();
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), interactive: false, cwd, ...io });
  return { code, out: out.join('\n'), err: err.join('\n'), ms: Date.now() - started };
}
