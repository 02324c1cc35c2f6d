// The runs a multi-run command acts on: the tree selection (or a list of run folders passed by
// a panel or a test; a sweep node stands for its completed points' runs), else the sweep of the
// experiment in the active editor, else a pick of completed runs.
import * as vscode from 'vscode';
import { completedRunDirs, declaresSweep, noCompletedRunsMessage, readSweepFolder, sweepDirOf } from '../model/sweepModel';
import { readExperimentFile } from '../model/treeModel';
import { runsDirFor } from '../settings';
import { isRunFolder, isTreeNode, pickRuns, runFromArg } from './args';
import type { CommandContext } from './context';

/** The run folders one argument stands for: a run (node, path, Uri) or a sweep node (read afresh). */
function runDirsOf(arg: unknown): { dirs: string[]; problem?: string } {
  if (isTreeNode(arg) && arg.kind === 'sweep') {
    const sweep = readSweepFolder(arg.sweep.dir) ?? arg.sweep;
    const dirs = completedRunDirs(sweep).filter(isRunFolder);
    return dirs.length > 0 ? { dirs } : { dirs, problem: noCompletedRunsMessage(sweep) };
  }
  const dir = runFromArg(arg)?.dir;
  return { dirs: dir !== undefined && isRunFolder(dir) ? [dir] : [] };
}

/** The completed runs of the sweep of the experiment open in the active editor, if it has run one. */
function activeEditorSweepRuns(): string[] {
  const doc = vscode.window.activeTextEditor?.document;
  if (!doc || !doc.uri.path.endsWith('.aelab.yaml') || !declaresSweep(doc.getText())) return [];
  const name = readExperimentFile(doc.uri.fsPath).name;
  const runsDir = runsDirFor(doc.uri);
  const sweep = name && runsDir ? readSweepFolder(sweepDirOf(runsDir, name)) : undefined;
  return sweep ? completedRunDirs(sweep).filter(isRunFolder) : [];
}

export async function selectedRuns(ctx: CommandContext, arg: unknown, selected: unknown, placeHolder: string): Promise<string[] | undefined> {
  const args = Array.isArray(selected) ? selected : Array.isArray(arg) ? arg : arg !== undefined ? [arg] : [];
  const found = args.map(runDirsOf);
  const fromArgs = found.flatMap((f) => f.dirs);
  if (fromArgs.length > 0) return [...new Set(fromArgs)];
  const problem = found.find((f) => f.problem)?.problem;
  if (problem) {
    void vscode.window.showInformationMessage(problem);
    return undefined;
  }
  const fromEditor = args.length === 0 ? activeEditorSweepRuns() : [];
  if (fromEditor.length > 0) return [...new Set(fromEditor)];
  const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state === 'completed', placeHolder, true);
  if (!picked || picked.length === 0) return undefined;
  return [...new Set(picked.map((r) => r.dir as string))];
}

export function runUris(dirs: readonly string[]): vscode.Uri[] {
  return dirs.map((d) => vscode.Uri.file(d));
}
