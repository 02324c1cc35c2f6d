// Open Study: the Study panel (experiments table, metric-vs-parameter charts, per-digit AUROC
// beside published results) for the runs selected in the tree, or picked.
import * as vscode from 'vscode';
import { COMMANDS, CommandContext } from './context';
import { runUris, selectedRuns } from './runSelection';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.openStudy, async (arg?: unknown, selected?: unknown): Promise<vscode.Uri[] | undefined> => {
    const dirs = await selectedRuns(ctx, arg, selected, 'Runs to study (pick any number)');
    if (!dirs) return undefined;
    ctx.panels.study(dirs);
    return runUris(dirs);
  });
}
