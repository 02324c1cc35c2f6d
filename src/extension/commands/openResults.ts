// Open Results: the Results panel of a run (a tree node, a run folder, or picked). Returns the
// run folder's Uri. A run still training can be opened: its panel follows it live.
import * as vscode from 'vscode';
import { isRunFolder, pickRuns, runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.openResults, async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    let dir = runFromArg(arg)?.dir;
    if (!dir) {
      const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state !== 'queued', 'Run to open', false);
      dir = picked?.[0]?.dir;
    }
    if (!dir) return undefined;
    if (!isRunFolder(dir)) {
      void vscode.window.showErrorMessage(`${dir} is not a run folder.`);
      return undefined;
    }
    ctx.panels.openResults(dir);
    return vscode.Uri.file(dir);
  });
}
