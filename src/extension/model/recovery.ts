// What the host does with a run folder when its worker died without finishing it (crash,
// kill, out of memory): mark it failed with the reason, keep the log. vscode-free.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, RunStatusFile } from '../../core/runFormat';
import { writeJsonAtomic } from '../../core/runFolder';

export function readStatusFile(runDir: string): RunStatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.status), 'utf8')) as RunStatusFile;
  } catch {
    return undefined;
  }
}

/**
 * If the run folder still says `running` (its writer died or was killed), rewrites status.json
 * in a final state: `failed` with the reason, or `cancelled` when the host killed a worker that
 * did not stop in time after Cancel. Leftover temp files go too, so the folder is consistent.
 * Returns the final status (rewritten or as found), undefined when there is no status.json.
 */
export function finalizeAbandonedRun(
  runDir: string, outcome: { state: 'failed' | 'cancelled'; error?: string }, now: Date = new Date(),
): RunStatusFile | undefined {
  const status = readStatusFile(runDir);
  if (!status) return undefined;
  removeTempFiles(runDir);
  if (status.state !== 'running') return status;
  const final: RunStatusFile = { ...status, state: outcome.state, endedAt: now.toISOString() };
  if (outcome.error) final.error = outcome.error;
  delete final.pid;
  writeJsonAtomic(path.join(runDir, RUN_FILES.status), final);
  return final;
}

/** Leftover temp files of interrupted atomic writes (`<file>.<pid>.<time>.tmp`). */
export function removeTempFiles(runDir: string): string[] {
  const removed: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !e.name.endsWith('.tmp')) walk(p);
      else if (e.name.endsWith('.tmp')) {
        try {
          fs.rmSync(p, { force: true, recursive: true });
          removed.push(p);
        } catch {
          // best effort
        }
      }
    }
  };
  walk(runDir);
  return removed;
}

export { appendRunLog } from '../../core/runFolder';
