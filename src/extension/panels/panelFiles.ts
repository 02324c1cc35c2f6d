// Saving what a panel exports (charts, tables) through the save dialog.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelExportFile } from '../../core/protocol';

/** Saves an exported chart or table where the user says; returns the file, or undefined if cancelled. */
export async function saveExport(file: PanelExportFile, defaultDir: string | undefined): Promise<vscode.Uri | undefined> {
  const filters: Record<string, string[]> = {
    png: { 'PNG image': ['png'] }, svg: { 'SVG image': ['svg'] }, csv: { CSV: ['csv'] }, markdown: { Markdown: ['md'] }, latex: { LaTeX: ['tex'] },
  }[file.kind];
  const base = defaultDir ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const target = await vscode.window.showSaveDialog({
    defaultUri: base ? vscode.Uri.file(path.join(base, file.suggestedName)) : undefined,
    filters,
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  const bytes = new Uint8Array(file.kind === 'png' ? Buffer.from(file.base64, 'base64') : Buffer.from(file.text, 'utf8'));
  await vscode.workspace.fs.writeFile(target, bytes);
  return target;
}

/** Saves an export through the save dialog and says what happened as a panel notice (undefined: the user cancelled). */
export async function saveExportWithNotice(file: PanelExportFile): Promise<{ level: 'info' | 'error'; message: string } | undefined> {
  try {
    const saved = await saveExport(file, undefined);
    return saved ? { level: 'info', message: `Saved ${saved.fsPath}` } : undefined;
  } catch (err) {
    return { level: 'error', message: `Export failed: ${(err as Error).message}` };
  }
}
