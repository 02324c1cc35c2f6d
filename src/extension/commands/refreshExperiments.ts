// Refresh (view title): re-reads experiments and run folders.
import * as vscode from 'vscode';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.refresh, () => ctx.tree.refresh());
}
