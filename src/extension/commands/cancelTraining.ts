// Cancel Training: a queued run never starts; a training run stops at its next batch (and is
// killed after a grace period), ending cancelled with a consistent folder.
import * as vscode from 'vscode';
import { progressMessage } from '../model/liveRun';
import { runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.cancel, async (arg?: unknown): Promise<boolean> => {
    const target = runFromArg(arg);
    let key = target?.liveKey;
    if (!key && target?.dir) key = ctx.manager.liveRuns.find((r) => r.runDir === target.dir)?.key;
    if (!key) {
      const active = ctx.manager.activeRuns.filter((r) => r.state !== 'cancelling');
      if (active.length === 0) {
        void vscode.window.showInformationMessage(target ? 'That run is not training in this window.' : 'No run is training.');
        return false;
      }
      if (active.length === 1) key = active[0].key;
      else {
        const picked = await vscode.window.showQuickPick(
          active.map((r) => ({ label: `${r.experimentName}${r.runId ? ` / ${r.runId}` : ''}`, description: progressMessage(r, Date.now()), key: r.key })),
          { placeHolder: 'Run to cancel' },
        );
        key = picked?.key;
      }
    }
    return key ? ctx.manager.cancel(key) : false;
  });
}
