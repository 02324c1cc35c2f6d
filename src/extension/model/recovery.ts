// What the host does with a run folder when its worker died without finishing it (crash,
// kill, out of memory): mark it failed with the reason, keep the log. vscode-free.
import * as path from 'node:path';
import { RUN_FILES, RunStatusFile } from '../../core/runFormat';
import { readRunStatus, writeJsonAtomic } from '../../core/runFolder';
import { removeTempFiles } from '../../core/runFolderLifecycle';

/** status.json if it is there and well-formed (the shared run-file schema decides). */
export function readStatusFile(runDir: string): RunStatusFile | undefined {
  return readRunStatus(runDir);
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
  delete final.pidStartTime;
  delete final.host;
  writeJsonAtomic(path.join(runDir, RUN_FILES.status), final);
  return final;
}

export { removeTempFiles } from '../../core/runFolderLifecycle';
export { appendRunLog } from '../../core/runFolder';
