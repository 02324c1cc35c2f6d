// The aelab.* settings, typed.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BackendPreference, ThreadsPreference } from '../core/protocol';
import type { SweepLaunchSettings } from './model/sweepArgs';

export const SECTION = 'aelab';
export const DEFAULT_RUNS_FOLDER = '.aelab/runs';

export interface AelabSettings {
  runsFolder: string;
  backend: BackendPreference;
  threads: ThreadsPreference;
  maxConcurrentRuns: number;
  openResultsOnComplete: boolean;
}

const BACKENDS: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function readSettings(scope?: vscode.ConfigurationScope): AelabSettings {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const backend = c.get<string>('backend', 'auto');
  const threads = c.get<string>('threads', 'auto');
  const max = c.get<number>('maxConcurrentRuns', 1);
  return {
    runsFolder: c.get<string>('runsFolder', DEFAULT_RUNS_FOLDER) || DEFAULT_RUNS_FOLDER,
    backend: (BACKENDS as readonly string[]).includes(backend) ? (backend as BackendPreference) : 'auto',
    threads: threads === '1' ? 1 : threads === '2' ? 2 : 'auto',
    maxConcurrentRuns: Number.isFinite(max) && max >= 1 ? Math.floor(max) : 1,
    openResultsOnComplete: c.get<boolean>('openResultsOnComplete', true),
  };
}

/** aelab.slurm.*: where Run Sweep runs its points (the fields sweepArgs.ts turns into `aelab sweep` options). */
export type SlurmSettings = SweepLaunchSettings;

export function readSlurmSettings(scope?: vscode.ConfigurationScope): SlurmSettings {
  const c = vscode.workspace.getConfiguration(`${SECTION}.slurm`, scope);
  const whole = (v: number | undefined, min: number, fallback: number) => (Number.isFinite(v) && (v as number) >= min ? Math.floor(v as number) : fallback);
  return {
    enabled: c.get<boolean>('enabled', false),
    partition: c.get<string>('partition', '').trim(),
    timeLimit: c.get<string>('timeLimit', '').trim(),
    cpusPerTask: whole(c.get<number>('cpusPerTask'), 1, 1),
    parallel: whole(c.get<number>('parallel'), 0, 0),
    extraArgs: (c.get<unknown[]>('extraArgs', []) ?? []).filter((a): a is string => typeof a === 'string' && a.trim() !== '').map((a) => a.trim()),
  };
}

/** The workspace folder an experiment belongs to (or the first one). */
export function folderFor(uri?: vscode.Uri): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

/**
 * Absolute runs folder for an experiment file: aelab.runsFolder, relative to the experiment's
 * workspace folder (or to the experiment's own folder when it is outside every workspace folder).
 */
export function runsDirFor(experimentUri?: vscode.Uri): string | undefined {
  const folder = folderFor(experimentUri);
  const setting = readSettings(folder?.uri).runsFolder;
  if (path.isAbsolute(setting)) return setting;
  if (folder) return path.join(folder.uri.fsPath, setting);
  if (experimentUri) return path.join(path.dirname(experimentUri.fsPath), setting);
  return undefined;
}

/** Every runs folder in use (one per workspace folder, fewer when they share an absolute one). */
export function allRunsDirs(): string[] {
  const dirs = new Set<string>();
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const d = runsDirFor(f.uri);
    if (d) dirs.add(d);
  }
  return [...dirs];
}
