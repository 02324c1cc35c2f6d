// Reveal Run Folder: in the Explorer when the folder is in the workspace, else in the OS file manager.
import * as vscode from 'vscode';
import { pickRuns, runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.revealRunFolder, async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    let dir = runFromArg(arg)?.dir;
    if (!dir) dir = (await pickRuns(ctx.tree, (r) => r.dir !== undefined, 'Run folder to reveal', false))?.[0]?.dir;
    if (!dir) return undefined;
    const uri = vscode.Uri.file(dir);
    if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
    else if (vscode.env.uiKind === vscode.UIKind.Desktop) await vscode.commands.executeCommand('revealFileInOS', uri);
    else void vscode.window.showInformationMessage(`Run folder: ${dir}`);
    return uri;
  });
}
