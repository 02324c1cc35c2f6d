// "Use this threshold": strategy manual + value in the run's experiment file, through a
// WorkspaceEdit on the document (so Undo in the editor reverts it) and saved. Comments and
// formatting survive: setManualThreshold edits the YAML text in place.
import * as vscode from 'vscode';
import { setManualThreshold } from '../../core/config';
import { minimalReplacement } from './textDiff';

export async function writeManualThreshold(experimentPath: string, value: number): Promise<void> {
  const uri = vscode.Uri.file(experimentPath);
  const doc = await vscode.workspace.openTextDocument(uri);
  const before = doc.getText();
  const after = setManualThreshold(before, value);
  const change = minimalReplacement(before, after);
  if (!change) return;
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(doc.positionAt(change.start), doc.positionAt(change.end)), change.text);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${experimentPath}`);
  await doc.save();
}
