// Compare Runs: the Compare panel of two or more runs (loss curves, ROC curves or score
// distributions, a table of settings and metrics). Select runs in the tree (multi-select) or
// pick them. Returns the run folders' Uris.
import * as vscode from 'vscode';
import { isRunFolder, pickRuns, runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.compareRuns, async (arg?: unknown, selected?: unknown): Promise<vscode.Uri[] | undefined> => {
    const fromArgs = (Array.isArray(selected) ? selected : Array.isArray(arg) ? arg : arg !== undefined ? [arg] : [])
      .map((a: unknown) => runFromArg(a)?.dir)
      .filter((d): d is string => d !== undefined && isRunFolder(d));
    let dirs = [...new Set(fromArgs)];
    if (dirs.length < 2) {
      const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state !== 'queued' && r.state !== 'running', 'Runs to compare (pick two or more)', true);
      if (!picked) return undefined;
      dirs = [...new Set([...dirs, ...picked.map((r) => r.dir as string)])];
    }
    if (dirs.length < 2) {
      void vscode.window.showInformationMessage('Compare Runs needs at least two runs.');
      return undefined;
    }
    ctx.panels.compare(dirs);
    return dirs.map((d) => vscode.Uri.file(d));
  });
}
