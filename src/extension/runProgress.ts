// The progress notification of one run: epoch x/y, loss, ETA, with a Cancel button.
import * as vscode from 'vscode';
import type { RunManager } from './runManager';

const REPORT_EVERY_MS = 250;

export function showRunProgress(manager: RunManager, key: string): Thenable<void> {
  const live = manager.get(key);
  if (!live) return Promise.resolve();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Training ${live.experimentName}`, cancellable: true },
    (progress, token) => new Promise<void>((resolve) => {
      let reported = 0;
      let last = 0;
      let trailing: NodeJS.Timeout | undefined;
      const report = () => {
        trailing = undefined;
        last = Date.now();
        const d = manager.describe(key);
        if (!d) return;
        const target = Math.floor(d.fraction * 100);
        const increment = target > reported ? target - reported : undefined;
        if (increment) reported = target;
        progress.report({ message: d.message, increment });
      };
      const cancelSub = token.onCancellationRequested(() => manager.cancel(key));
      const changeSub = manager.onDidChangeRuns((r) => {
        if (r && r.key !== key) return;
        if (Date.now() - last >= REPORT_EVERY_MS) report();
        else trailing ??= setTimeout(report, REPORT_EVERY_MS);
      });
      report();
      void manager.whenFinished(key).then(() => {
        if (trailing) clearTimeout(trailing);
        cancelSub.dispose();
        changeSub.dispose();
        resolve();
      });
    }),
  );
}
