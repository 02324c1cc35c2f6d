// Shared helpers for the in-host integration tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AelabApi } from '../../src/extension/api';
import type { ExperimentNodeModel, RunNodeModel, TreeNodeModel } from '../../src/extension/model/treeModel';

export const EXTENSION_ID = 'aelab.aelab';

export function extension(): vscode.Extension<AelabApi> {
  const ext = vscode.extensions.getExtension<AelabApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  return ext;
}

export async function api(): Promise<AelabApi> {
  const ext = extension();
  return ext.isActive ? ext.exports : ext.activate();
}

export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the tests need the fixture workspace open');
  return folder.uri.fsPath;
}

export function runsRoot(): string {
  return path.join(workspaceRoot(), '.aelab', 'runs');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until `check` returns a value that is not undefined/false. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

export async function experiments(a: AelabApi): Promise<ExperimentNodeModel[]> {
  return (await a.tree.getChildren()).filter((n): n is ExperimentNodeModel => n.kind === 'experiment');
}

export async function experimentNamed(a: AelabApi, name: string): Promise<ExperimentNodeModel | undefined> {
  return (await experiments(a)).find((e) => e.file.name === name);
}

export async function runsOf(a: AelabApi, name: string): Promise<RunNodeModel[]> {
  const e = await experimentNamed(a, name);
  if (!e) return [];
  return (await a.tree.getChildren(e)).filter((n): n is RunNodeModel => n.kind === 'run');
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export function uriOf(rel: string): vscode.Uri {
  return vscode.Uri.file(path.join(workspaceRoot(), rel));
}

export function iconId(item: vscode.TreeItem): string | undefined {
  return item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined;
}

export type { TreeNodeModel };
