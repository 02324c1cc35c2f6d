// New Experiment: pick one of the shipped examples as a template, name it, write
// <name>.aelab.yaml (valid by construction: the template validates and only `name` changes) and
// open it. Arguments { template, name, folder } skip the questions (scripts and tests).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatProblem, validateExperiment } from '../../core/config';
import { EXPERIMENT_SUFFIX, isValidExperimentName, newExperimentText, listTemplates, uniqueExperimentName } from '../model/templates';
import { COMMANDS, CommandContext } from './context';

export interface NewExperimentArgs {
  /** Template id (example file name without .aelab.yaml) or experiment name. */
  template?: string;
  name?: string;
  /** Folder to write into (default: the first workspace folder). */
  folder?: vscode.Uri;
}

function isArgs(v: unknown): v is NewExperimentArgs {
  return typeof v === 'object' && v !== null && !(v instanceof vscode.Uri) && !('kind' in v);
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.newExperiment, async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    const args: NewExperimentArgs = isArgs(arg) ? arg : {};
    const templates = listTemplates(ctx.examplesDir);
    if (templates.length === 0) {
      void vscode.window.showErrorMessage(`No experiment templates found in ${ctx.examplesDir}.`);
      return undefined;
    }
    let template = args.template ? templates.find((t) => t.id === args.template || t.name === args.template) : undefined;
    if (args.template && !template) {
      void vscode.window.showErrorMessage(`No template "${args.template}" (have: ${templates.map((t) => t.id).join(', ')}).`);
      return undefined;
    }
    if (!template) {
      const picked = await vscode.window.showQuickPick(
        templates.map((t) => ({ label: t.name, description: path.basename(t.file), detail: t.description, template: t })),
        { placeHolder: 'Start from which example?', matchOnDetail: true },
      );
      if (!picked) return undefined;
      template = picked.template;
    }
    const folder = args.folder ?? (arg instanceof vscode.Uri ? arg : undefined) ?? vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) {
      void vscode.window.showErrorMessage('Open a folder first: New Experiment writes the file into the workspace.');
      return undefined;
    }
    const taken = new Set((await ctx.tree.experiments()).map((e) => e.file.name).filter((n): n is string => n !== undefined));
    let name = args.name;
    if (!name) {
      name = await vscode.window.showInputBox({
        prompt: 'Experiment name (letters, digits, . _ -); the file is <name>.aelab.yaml',
        value: uniqueExperimentName(`my-${template.id}`, taken, folder.fsPath),
        validateInput: (v) => (isValidExperimentName(v) ? (taken.has(v) ? `an experiment named ${v} exists (its runs would be shared)` : undefined) : 'start with a letter or digit; then letters, digits, . _ - (at most 80)'),
      });
      if (!name) return undefined;
    }
    if (!isValidExperimentName(name)) {
      void vscode.window.showErrorMessage(`"${name}" is not a valid experiment name.`);
      return undefined;
    }
    const target = vscode.Uri.joinPath(folder, `${name}${EXPERIMENT_SUFFIX}`);
    try {
      await vscode.workspace.fs.stat(target);
      void vscode.window.showErrorMessage(`${target.fsPath} exists already.`);
      return undefined;
    } catch {
      // free
    }
    const text = newExperimentText(template, name);
    const check = validateExperiment(text, path.basename(target.fsPath));
    if (!check.ok) {
      const first = check.problems.find((p) => p.severity === 'error');
      void vscode.window.showErrorMessage(`Template ${template.id} did not produce a valid experiment: ${first ? formatProblem(first) : 'invalid'}`);
      return undefined;
    }
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    const doc = await vscode.workspace.openTextDocument(target);
    await vscode.window.showTextDocument(doc);
    ctx.tree.refresh();
    return target;
  });
}
