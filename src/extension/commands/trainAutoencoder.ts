// Train Autoencoder: validate the experiment (refuse with the first error and show Problems when
// it is invalid: nothing is started or written), then queue a run in a worker process with a
// cancellable progress notification. Returns the run's key (for callers and tests).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatProblem, validateExperiment, ValidationResult } from '../../core/config';
import { runsDirEscapes } from '../../core/runFolderLifecycle';
import { datasetAccessOf, isExperimentUri } from '../diagnostics';
import { showRunProgress } from '../runProgress';
import { folderFor, readSettings, runsDirFor } from '../settings';
import { resolveExperimentUri } from './args';
import { COMMANDS, CommandContext } from './context';

async function validateForRun(ctx: CommandContext, uri: vscode.Uri): Promise<ValidationResult> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) {
    // The run records the file: save unsaved edits first so file and run agree.
    if (open.isDirty) await open.save();
    return ctx.diagnostics.validate(open);
  }
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  const result = validateExperiment(text, path.basename(uri.fsPath), datasetAccessOf(uri));
  ctx.diagnostics.publish(uri, result);
  return result;
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.train, async (arg?: unknown): Promise<string | undefined> => {
    const uri = await resolveExperimentUri(arg, 'Experiment to train');
    if (!uri) return undefined;
    if (!isExperimentUri(uri)) {
      void vscode.window.showErrorMessage(`${path.basename(uri.fsPath)} is not an experiment file (*.aelab.yaml).`);
      return undefined;
    }
    let result: ValidationResult;
    try {
      result = await validateForRun(ctx, uri);
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot read ${uri.fsPath}: ${(err as Error).message}`);
      return undefined;
    }
    if (!result.ok || !result.experiment) {
      const first = result.problems.find((p) => p.severity === 'error');
      void vscode.commands.executeCommand('workbench.actions.view.problems');
      void vscode.window.showErrorMessage(`Cannot train: ${first ? formatProblem(first) : 'the experiment is invalid'}`);
      return undefined;
    }
    const runsDir = runsDirFor(uri);
    if (!runsDir) {
      void vscode.window.showErrorMessage('Cannot train: no folder to write runs to (open a workspace folder or set aelab.runsFolder to an absolute path).');
      return undefined;
    }
    // A relative runs folder belongs to the workspace: a symbolic link in it must not lead elsewhere.
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const escapes = folder && !path.isAbsolute(readSettings(uri).runsFolder) ? runsDirEscapes(runsDir, folder.uri.fsPath) : undefined;
    if (escapes) {
      void vscode.window.showErrorMessage(`Cannot train: ${escapes}.`);
      return undefined;
    }
    const live = ctx.manager.enqueue({
      experiment: result.experiment,
      experimentPath: uri.fsPath,
      runsDir,
      workspaceRoot: folderFor(uri)?.uri.fsPath,
      backend: readSettings(uri).backend,
      threads: readSettings(uri).threads,
    }, uri.fsPath);
    void showRunProgress(ctx.manager, live.key);
    return live.key;
  });
}
