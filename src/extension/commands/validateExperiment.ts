// Validate Experiment: checks the file now, publishes Problems, and says what it found.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatProblem, validateExperiment, ValidationResult } from '../../core/config';
import { datasetAccessOf } from '../diagnostics';
import { resolveExperimentUri } from './args';
import { COMMANDS, CommandContext } from './context';

export interface ValidateResultSummary {
  ok: boolean;
  errors: number;
  warnings: number;
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.validate, async (arg?: unknown): Promise<ValidateResultSummary | undefined> => {
    const uri = await resolveExperimentUri(arg, 'Experiment to validate');
    if (!uri) return undefined;
    let result: ValidationResult;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) result = ctx.diagnostics.validate(open);
    else {
      try {
        result = validateExperiment(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), path.basename(uri.fsPath), datasetAccessOf(uri));
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot read ${uri.fsPath}: ${(err as Error).message}`);
        return undefined;
      }
      ctx.diagnostics.publish(uri, result);
    }
    const errors = result.problems.filter((p) => p.severity === 'error');
    const warnings = result.problems.length - errors.length;
    if (errors.length > 0) {
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)}: ${errors.length} error(s). First: ${formatProblem(errors[0])}`);
    } else {
      void vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} is valid${warnings ? ` (${warnings} warning(s))` : ''}.`);
    }
    return { ok: result.ok, errors: errors.length, warnings };
  });
}
