// Autoencoder Lab: activation wires the services together; everything registered is a
// Disposable in context.subscriptions; deactivate() stops every worker process.
const loadedAt = performance.now();

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AelabApi } from './api';
import * as cancelTraining from './commands/cancelTraining';
import * as compareRuns from './commands/compareRuns';
import * as generateReport from './commands/generateReport';
import * as openStudy from './commands/openStudy';
import { COMMANDS, CommandContext } from './commands/context';
import * as deleteRun from './commands/deleteRun';
import * as newExperiment from './commands/newExperiment';
import * as openResults from './commands/openResults';
import * as refreshExperiments from './commands/refreshExperiments';
import * as revealRunFolder from './commands/revealRunFolder';
import * as showLog from './commands/showLog';
import * as runSweep from './commands/runSweep';
import * as cancelSweep from './commands/cancelSweep';
import * as scoreImages from './commands/scoreImages';
import { SweepSessions } from './sweepSessions';
import * as trainAutoencoder from './commands/trainAutoencoder';
import * as validateExperiment from './commands/validateExperiment';
import { ExperimentDiagnostics } from './diagnostics';
import { ExperimentsTreeProvider, VIEW_ID } from './experimentsTree';
import { ExperimentLanguageFeatures } from './languageFeatures';
import { ExperimentQuickFixes } from './quickFixes';
import { formatF1, formatMetric, formatMs } from './model/format';
import { Panels } from './panels/panels';
import { RunManager } from './runManager';
import { RunStatusBar } from './statusBar';
import { readSettings } from './settings';

export const OUTPUT_CHANNEL_NAME = 'Autoencoder Lab';

let manager: RunManager | undefined;

export function activate(context: vscode.ExtensionContext): AelabApi {
  const started = performance.now();
  const output = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME);
  context.subscriptions.push(output);

  const runs = new RunManager({
    workerPath: context.asAbsolutePath(path.join('dist', 'worker.js')),
    output,
    maxConcurrent: () => readSettings().maxConcurrentRuns,
  });
  manager = runs;
  const diagnostics = new ExperimentDiagnostics();
  const tree = new ExperimentsTreeProvider(runs);
  const panels = new Panels({ extensionUri: context.extensionUri, manager: runs, output });
  const statusBar = new RunStatusBar(runs);
  context.subscriptions.push(runs, diagnostics, tree, panels, statusBar, new ExperimentLanguageFeatures(), new ExperimentQuickFixes());
  context.subscriptions.push(vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true }));

  const ctx: CommandContext = { manager: runs, tree, diagnostics, panels, output, examplesDir: context.asAbsolutePath('examples'), cliPath: context.asAbsolutePath(path.join('dist', 'cli.js')), sweeps: new SweepSessions() };
  for (const command of [trainAutoencoder, cancelTraining, openResults, compareRuns, openStudy, generateReport, newExperiment, validateExperiment, deleteRun, revealRunFolder, showLog, refreshExperiments, runSweep, cancelSweep, scoreImages]) {
    context.subscriptions.push(command.register(ctx));
  }

  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration('aelab.maxConcurrentRuns')) runs.refreshLimit();
    if (e.affectsConfiguration('aelab')) tree.refresh();
  }));
  context.subscriptions.push(runs.onDidFinishRun((run) => {
    const name = run.runId ? `${run.experimentName} / ${run.runId}` : run.experimentName;
    switch (run.state) {
      case 'completed': {
        const s = run.summary;
        if (readSettings().openResultsOnComplete && run.runDir) void vscode.commands.executeCommand(COMMANDS.openResults, run.runDir);
        else {
          void vscode.window.showInformationMessage(`${name} completed: AUROC ${formatMetric(s?.auroc)}, ${formatF1(s)}`, 'Open Results').then((a) => {
            if (a && run.runDir) void vscode.commands.executeCommand(COMMANDS.openResults, run.runDir);
          });
        }
        break;
      }
      case 'cancelled':
        vscode.window.setStatusBarMessage(`$(circle-slash) ${name} cancelled`, 5000);
        break;
      case 'failed':
        // Refused before its folder existed: bad input, so show it in the file too.
        if (run.refusedAtStart && run.error) void diagnostics.reportRunFailure(vscode.Uri.file(run.experimentPath), run.error);
        void vscode.window.showErrorMessage(`Training ${name} failed: ${(run.error ?? 'unknown error').split('\n')[0]}`, 'Open Log').then((a) => {
          if (a) void vscode.commands.executeCommand(COMMANDS.showLog, run.runDir ?? run.key);
        });
        break;
      default:
        break;
    }
  }));

  const ended = performance.now();
  const activationMs = ended - loadedAt;
  output.appendLine(`${new Date().toISOString().slice(11, 23)} Autoencoder Lab ${String(context.extension.packageJSON.version)} activated in ${formatMs(activationMs)} (activate() ${formatMs(ended - started)}, UI ${vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop'}, VS Code ${vscode.version})`);

  return {
    activationMs,
    tree: {
      getChildren: (node) => tree.getChildren(node),
      getTreeItem: (node) => tree.getTreeItem(node),
      onDidChangeTreeData: tree.onDidChangeTreeData,
      get refreshCount() { return tree.refreshCount; },
    },
    runs: {
      get liveRuns() { return runs.liveRuns; },
      get: (key) => runs.get(key),
      whenFinished: (key) => runs.whenFinished(key),
      workerPid: (key) => runs.workerPid(key),
      onDidChangeRuns: runs.onDidChangeRuns,
      onDidFinishRun: runs.onDidFinishRun,
    },
    panels: { describe: () => panels.describe() },
    get statusBarText() { return statusBar.text; },
  };
}

/** Stops every worker (grace period, then kill) so closing the window leaves no process behind. */
export async function deactivate(): Promise<void> {
  const m = manager;
  manager = undefined;
  await m?.shutdown();
}
