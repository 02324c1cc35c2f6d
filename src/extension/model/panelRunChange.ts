// What a panel must tell its webview after its run folder changed on disk (vscode-free, so it is
// unit-tested): nothing, new epochs, the whole run (it now has scores, or its folder came back),
// or that the folder is gone. Also the titles that tell Compare tabs apart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRun, RunContents } from '../../core/runFolder';
import type { RunState } from '../../core/runFormat';

/** What the panel last sent its webview. */
export interface SentRun {
  state?: RunState;
  epochs: number;
  scores: boolean;
  removed: boolean;
}

export type PanelRunUpdate =
  | { kind: 'none' }
  | { kind: 'removed' }
  | { kind: 'init' }
  | { kind: 'progress'; run: RunContents };

export function runFolderExists(runDir: string): boolean {
  return fs.existsSync(runDir);
}

export function nextPanelUpdate(runDir: string, sent: SentRun): PanelRunUpdate {
  if (!runFolderExists(runDir)) return sent.removed ? { kind: 'none' } : { kind: 'removed' };
  let run: RunContents;
  try {
    run = readRun(runDir);
  } catch {
    return { kind: 'none' }; // half-written: the next change will tell
  }
  if (sent.removed) return { kind: 'init' };
  const completed = run.status.state === 'completed' && run.summary !== undefined;
  if (completed && !sent.scores) return { kind: 'init' };
  if (run.status.state !== sent.state || run.metrics.length !== sent.epochs) return { kind: 'progress', run };
  return { kind: 'none' };
}

/** `HH:MM:SS` of a run id `YYYYMMDD-HHMMSS-xxxx` (UTC), else the id. */
function runTime(runId: string): string {
  const m = /^\d{8}-(\d{2})(\d{2})(\d{2})-/.exec(runId);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : runId;
}

/**
 * A Compare tab's title from its runs' folders: the experiments' names (with the run's time when
 * one experiment appears twice), the first three and a count of the rest.
 */
export function compareTitle(runDirs: readonly string[]): string {
  const runs = runDirs.map((d) => ({ experiment: path.basename(path.dirname(d)), runId: path.basename(d) }));
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.experiment, (counts.get(r.experiment) ?? 0) + 1);
  const names = runs.map((r) => ((counts.get(r.experiment) ?? 0) > 1 ? `${r.experiment} ${runTime(r.runId)}` : r.experiment));
  const shown = names.slice(0, 3).join(', ');
  return `Compare: ${shown}${names.length > 3 ? ` +${names.length - 3}` : ''}`;
}
