// Live validation of open *.aelab.yaml documents: YAML syntax and schema problems as Problems at
// the exact range of the offending key or value, debounced while typing, cleared when fixed or
// when the document closes.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Problem, validateExperiment, ValidationResult } from '../core/config';
import { Disposable } from './lifecycle';

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

export class ExperimentDiagnostics extends Disposable {
  readonly collection = this._register(vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE));
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor() {
    super();
    this._register(vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)));
    this._register(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document, DEBOUNCE_MS)));
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
    const result = validateExperiment(document.getText(), path.basename(document.uri.fsPath || document.uri.path));
    this.collection.set(document.uri, result.problems.map(toDiagnostic));
    return result;
  }

  /** Publishes problems found for a file that is not open (Train / Validate from the tree). */
  publish(uri: vscode.Uri, result: ValidationResult): void {
    this.collection.set(uri, result.problems.map(toDiagnostic));
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
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.delete(key);
    this.collection.delete(uri);
  }
}
