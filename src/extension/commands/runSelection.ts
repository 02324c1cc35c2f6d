// The runs a multi-run command acts on: the tree selection (or a list of run folders passed by
// a panel or a test), else a pick of completed runs.
import * as vscode from 'vscode';
import { isRunFolder, pickRuns, runFromArg } from './args';
import type { CommandContext } from './context';

export async function selectedRuns(ctx: CommandContext, arg: unknown, selected: unknown, placeHolder: string): Promise<string[] | undefined> {
  const fromArgs = (Array.isArray(selected) ? selected : Array.isArray(arg) ? arg : arg !== undefined ? [arg] : [])
    .map((a: unknown) => runFromArg(a)?.dir)
    .filter((d): d is string => d !== undefined && isRunFolder(d));
  if (fromArgs.length > 0) return [...new Set(fromArgs)];
  const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state === 'completed', placeHolder, true);
  if (!picked || picked.length === 0) return undefined;
  return [...new Set(picked.map((r) => r.dir as string))];
}

export function runUris(dirs: readonly string[]): vscode.Uri[] {
  return dirs.map((d) => vscode.Uri.file(d));
}
