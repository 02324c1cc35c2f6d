// Turning command arguments (tree nodes, URIs, paths, nothing) into what a command acts on,
// asking the user when there is nothing to go on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXPERIMENT_FILE_GLOB } from '../../core/config';
import { RUN_FILES } from '../../core/runFormat';
import { isExperimentUri } from '../diagnostics';
import type { ExperimentsTreeProvider } from '../experimentsTree';
import type { RunNodeModel, TreeNodeModel } from '../model/treeModel';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function isTreeNode(v: unknown): v is TreeNodeModel {
  return isObject(v) && (v.kind === 'experiment' || v.kind === 'run' || v.kind === 'results' || v.kind === 'log' || v.kind === 'sweep' || v.kind === 'sweepPoint');
}

/** The experiment file an argument points at: a tree node, a Uri, a path, else the active editor, else a pick. */
export async function resolveExperimentUri(arg: unknown, placeHolder: string): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return vscode.Uri.file(arg);
  if (isTreeNode(arg)) {
    if (arg.kind === 'experiment') return vscode.Uri.file(arg.file.path);
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isExperimentUri(active)) return active;
  const files = await vscode.workspace.findFiles(EXPERIMENT_FILE_GLOB, '**/node_modules/**');
  if (files.length === 0) {
    void vscode.window.showInformationMessage('No *.aelab.yaml experiment in the workspace. Create one with "Autoencoder Lab: New Experiment".');
    return undefined;
  }
  if (files.length === 1) return files[0];
  const picked = await vscode.window.showQuickPick(
    files.map((u) => ({ label: path.basename(u.fsPath), description: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder },
  );
  return picked?.uri;
}

/** A run from a tree node (run / results / log), a run folder path or Uri, or a live run key. */
export function runFromArg(arg: unknown): { dir?: string; liveKey?: string; node?: RunNodeModel } | undefined {
  if (isTreeNode(arg)) {
    if (arg.kind === 'run') return { dir: arg.dir, liveKey: arg.liveKey, node: arg };
    if (arg.kind === 'results' || arg.kind === 'log') return { dir: arg.run.dir, liveKey: arg.run.liveKey, node: arg.run };
    return undefined;
  }
  if (arg instanceof vscode.Uri) return { dir: arg.fsPath };
  if (typeof arg === 'string') {
    if (path.isAbsolute(arg)) return { dir: arg };
    return { liveKey: arg };
  }
  if (isObject(arg) && typeof arg.runDir === 'string') return { dir: arg.runDir };
  if (isObject(arg) && typeof arg.key === 'string') return { liveKey: arg.key, dir: typeof arg.runDir === 'string' ? arg.runDir : undefined };
  return undefined;
}

export function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, RUN_FILES.status));
}

/** Picks runs from every experiment (filter: which ones are offered). */
export async function pickRuns(
  tree: ExperimentsTreeProvider, filter: (r: RunNodeModel) => boolean, placeHolder: string, many: boolean,
): Promise<RunNodeModel[] | undefined> {
  const runs = (await tree.allRuns()).filter(filter);
  if (runs.length === 0) {
    void vscode.window.showInformationMessage('No matching runs.');
    return undefined;
  }
  const items = runs.map((r) => ({ label: `${r.experimentName} / ${r.label}`, description: r.description, run: r }));
  if (many) {
    const picked = await vscode.window.showQuickPick(items, { placeHolder, canPickMany: true });
    return picked?.map((p) => p.run);
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder });
  return picked ? [picked.run] : undefined;
}
