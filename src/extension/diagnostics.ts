// Live validation of open *.aelab.yaml documents: YAML syntax, schema and dataset problems as
// Problems at the exact range of the offending key or value, debounced while typing, cleared when
// fixed or when the document closes; and why training refused a file, once a run reports it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DatasetAccess, Problem, validateExperiment, ValidationResult } from '../core/config';
import { cachingFolderReader, datasetAccessFor, nodeDatasetReader } from '../core/datasetFiles';
import { Disposable } from './lifecycle';
import { folderFor } from './settings';

export const DIAGNOSTIC_SOURCE = 'aelab';
const DEBOUNCE_MS = 250;

/** An experiment file on disk (or unsaved); not a git/diff/output view of one. */
export function isExperimentUri(uri: vscode.Uri): boolean {
  return (uri.scheme === 'file' || uri.scheme === 'untitled') && uri.path.endsWith('.aelab.yaml');
}

export function problemRange(p: Problem): vscode.Range {
  const startLine = Math.max(0, p.line - 1);
  const startCol = Math.max(0, p.column - 1);
  const endLine = Math.max(startLine, p.endLine - 1);
  const endCol = endLine === startLine ? Math.max(startCol, p.endColumn - 1) : Math.max(0, p.endColumn - 1);
  return new vscode.Range(startLine, startCol, endLine, endCol);
}

export function toDiagnostic(p: Problem): vscode.Diagnostic {
  const d = new vscode.Diagnostic(problemRange(p), p.message, p.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error);
  d.source = DIAGNOSTIC_SOURCE;
  if (p.path) d.code = p.path;
  return d;
}

/**
 * Dataset checks for files on disk (relative data.files start beside the file; image folders must
 * lie in the workspace folder a run from here gets); none for unsaved ones.
 */
export function datasetAccessOf(uri: vscode.Uri): DatasetAccess | undefined {
  return uri.scheme === 'file' ? datasetAccessFor(uri.fsPath, folderFor(uri)?.uri.fsPath, editorDatasetReader) : undefined;
}

/** Image folders re-read only where they changed: the editor validates on every pause in typing. */
const editorDatasetReader = { ...nodeDatasetReader, folders: cachingFolderReader() };

export class ExperimentDiagnostics extends Disposable {
  readonly collection = this._register(vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE));
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Why training refused a file that validation passed, shown until the file changes. */
  private readonly runRefusals = new Map<string, Problem>();

  constructor() {
    super();
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) this.runRefusals.delete(e.document.uri.toString());
      this.schedule(e.document, DEBOUNCE_MS);
    }));
    this._register(vscode.workspace.onDidCloseTextDocument((d) => this.clear(d.uri)));
    this._register(vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((f) => this.clear(f))));
    this._register(vscode.workspace.onDidRenameFiles((e) => e.files.forEach((f) => this.clear(f.oldUri))));
    this._register({ dispose: () => this.timers.forEach((t) => clearTimeout(t)) });
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Validates now and publishes the result. */
  validate(document: vscode.TextDocument): ValidationResult {
    const key = document.uri.toString();
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.delete(key);
    const result = validateExperiment(document.getText(), path.basename(document.uri.fsPath || document.uri.path), datasetAccessOf(document.uri));
    this.publish(document.uri, result);
    return result;
  }

  /** Publishes problems found for a file that is not open (Train / Validate from the tree). */
  publish(uri: vscode.Uri, result: ValidationResult): void {
    const refusal = this.runRefusals.get(uri.toString());
    this.collection.set(uri, [...result.problems, ...(refusal ? [refusal] : [])].map(toDiagnostic));
  }

  /**
   * A run of this file was refused at start (the worker's input check): checks the file again,
   * dataset included, so the problem shows at its key; when validation finds nothing (a check it
   * does not know), the engine's message shows at the top of the file until the file changes.
   */
  async reportRunFailure(uri: vscode.Uri, error: string): Promise<void> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    let result: ValidationResult;
    try {
      const text = open ? open.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      result = validateExperiment(text, path.basename(uri.fsPath), datasetAccessOf(uri));
    } catch {
      return; // the file is gone: nothing to point at
    }
    if (result.ok) {
      this.runRefusals.set(uri.toString(), {
        file: path.basename(uri.fsPath), line: 1, column: 1, endLine: 1, endColumn: 1, path: '', severity: 'error',
        message: `training refused this experiment: ${error.split('\n')[0]}`,
      });
    }
    this.publish(uri, result);
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    if (!isExperimentUri(document.uri) || this.isDisposed) return;
    const key = document.uri.toString();
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      if (!document.isClosed) this.validate(document);
    }, delay));
  }

  private clear(uri: vscode.Uri): void {
    const key = uri.toString();
    this.runRefusals.delete(key);
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.delete(key);
    this.collection.delete(uri);
  }
}
