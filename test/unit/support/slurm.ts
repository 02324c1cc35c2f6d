// Whether the real Slurm cluster of scripts/slurm-cluster.sh answers. Slurm tests skip with the
// reason locally and fail under CI=true (CI starts the cluster before npm test).
import { execFileSync } from 'node:child_process';

export function slurmUnavailable(): string | undefined {
  try {
    const state = execFileSync('sinfo', ['-h', '-o', '%T'], { timeout: 30_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (!/^(idle|mixed|allocated)/m.test(state)) return `the Slurm node is "${state || 'unknown'}", not idle`;
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return e.code === 'ENOENT' ? 'Slurm is not installed (sinfo not found)' : `sinfo failed: ${(e.stderr ?? e.message).trim()}`;
  }
}

/** In a mocha before(): skip the suite with the reason, or fail it under CI. */
export function requireSlurm(ctx: Mocha.Context): void {
  const why = slurmUnavailable();
  if (!why) return;
  if (process.env.CI === 'true') throw new Error(`Slurm tests need a running cluster (scripts/slurm-cluster.sh start): ${why}`);
  console.log(`    (skipping the Slurm tests: ${why}; start one with scripts/slurm-cluster.sh start)`);
  ctx.skip();
}
