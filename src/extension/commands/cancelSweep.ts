// Cancel Sweep: stops a sweep this window runs (as its notification's Cancel does), or, for a
// sweep on Slurm started elsewhere, runs `aelab sweep cancel` (scancel) for it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cancelCommandArgs } from '../model/sweepArgs';
import { readExperimentFile } from '../model/treeModel';
import { readSweepFolder, sweepDirOf } from '../model/sweepModel';
import { runsDirFor } from '../settings';
import { WorkerProcess } from '../workerProcess';
import { isTreeNode } from './args';
import { COMMANDS, CommandContext } from './context';

/** The experiment file of a sweep node, experiment node, Uri or path. */
function experimentPathOf(arg: unknown): string | undefined {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (isTreeNode(arg)) {
    if (arg.kind === 'sweep') return arg.experimentPath;
    if (arg.kind === 'experiment') return arg.file.path;
  }
  return undefined;
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.cancelSweep, async (arg?: unknown): Promise<boolean> => {
    let file = experimentPathOf(arg);
    if (!file) {
      const running = ctx.sweeps.running;
      if (running.length === 0) {
        void vscode.window.showInformationMessage('No sweep is running in this window.');
        return false;
      }
      file = running.length === 1 ? running[0] : (await vscode.window.showQuickPick(running.map((f) => ({ label: path.basename(f), description: f, f }))))?.f;
      if (!file) return false;
    }
    if (ctx.sweeps.cancel(file)) return true;
    // Not run from here: a sweep on Slurm can still be cancelled through the scheduler.
    const name = readExperimentFile(file).name;
    const runsDir = runsDirFor(vscode.Uri.file(file));
    const sweep = name && runsDir ? readSweepFolder(sweepDirOf(runsDir, name)) : undefined;
    if (!sweep || sweep.slurmJobs.length === 0 || !runsDir) {
      void vscode.window.showInformationMessage(`The sweep of ${path.basename(file)} is not running in this window.`);
      return false;
    }
    const scancel = new WorkerProcess(ctx.cliPath, {}, cancelCommandArgs(file, runsDir));
    scancel.onOutput(({ text }) => ctx.output.append(text));
    const exit = await scancel.exited;
    scancel.dispose();
    ctx.tree.refresh();
    if (exit.code !== 0) void vscode.window.showErrorMessage(`Cancelling the sweep of ${sweep.name} on Slurm failed (see the Autoencoder Lab output).`, 'Open Log').then((a) => { if (a) ctx.output.show(); });
    return exit.code === 0;
  });
}
