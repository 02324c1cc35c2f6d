// Quick fixes for "did you mean" problems (an unknown key, an enum value with a typo): the
// validation that reports them also says what to replace the key or value with.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateExperiment } from '../core/config';
import { DIAGNOSTIC_SOURCE, problemRange } from './diagnostics';
import { EXPERIMENT_SELECTOR } from './languageFeatures';
import { Disposable } from './lifecycle';

export class ExperimentQuickFixes extends Disposable implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  constructor() {
    super();
    this._register(vscode.languages.registerCodeActionsProvider(EXPERIMENT_SELECTOR, this, { providedCodeActionKinds: ExperimentQuickFixes.kinds }));
  }

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    // Without the dataset checks: they never suggest a replacement.
    const { problems } = validateExperiment(document.getText(), path.basename(document.uri.fsPath || document.uri.path));
    const actions: vscode.CodeAction[] = [];
    for (const p of problems) {
      if (!p.fix) continue;
      const at = problemRange(p);
      if (!at.intersection(range)) continue;
      const action = new vscode.CodeAction(p.fix.title, vscode.CodeActionKind.QuickFix);
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(document.uri, at, p.fix.replacement);
      action.diagnostics = context.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE && d.range.isEqual(at) && d.message === p.message);
      action.isPreferred = true;
      actions.push(action);
    }
    return actions;
  }
}
