// What the Study panel shows, read from run folders (vscode-free: the browser tests' fake host
// uses it too). Completed runs only; the others are named with their state.
import { readRun } from '../../core/runFolder';
import type { HostToStudyWebview, StudyRunData } from '../../core/protocol';

export function loadStudyRuns(runDirs: readonly string[]): Extract<HostToStudyWebview, { type: 'init' }> {
  const runs: StudyRunData[] = [];
  const skipped: { runDir: string; reason: string }[] = [];
  for (const runDir of runDirs) {
    try {
      const run = readRun(runDir);
      const state = run.stale ? 'failed (writer gone)' : run.status.state;
      if (state === 'completed' && run.summary && run.config) runs.push({ runDir, runId: run.status.runId, experiment: run.config.experiment, summary: run.summary });
      else skipped.push({ runDir, reason: state });
    } catch (err) {
      skipped.push({ runDir, reason: (err as Error).message });
    }
  }
  return { type: 'init', runs, skipped };
}
