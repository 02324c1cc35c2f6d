// Run Sweep: runs the experiment's sweep with the CLI's sweep engine in a child process
// (`dist/cli.js sweep FILE`, locally or submitted to Slurm per aelab.slurm.*) under ONE progress
// notification: point k of n, the current point's epoch, Cancel (local: the CLI's Ctrl-C, which
// stops the whole sweep with every run folder final; Slurm: `aelab sweep cancel`, i.e. scancel).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cancelCommandArgs, sweepCommandArgs } from '../model/sweepArgs';
import { readExperimentFile } from '../model/treeModel';
import { declaresSweep, readSweepFolder, sweepDirOf, sweepProgress, SweepModel } from '../model/sweepModel';
import { folderFor, readSlurmSettings, runsDirFor } from '../settings';
import { WorkerProcess } from '../workerProcess';
import { resolveExperimentUri } from './args';
import { COMMANDS, CommandContext } from './context';

const POLL_MS = 1000;
/** After Cancel: how long the CLI gets to stop its runs before it is killed. */
const CANCEL_GRACE_MS = 60_000;

export interface SweepOutcome {
  exitCode: number | null;
  cancelled: boolean;
  sweep?: SweepModel;
}

function sweepArg(arg: unknown): string | undefined {
  if (typeof arg === 'object' && arg !== null && (arg as { kind?: unknown }).kind === 'sweep') return (arg as { experimentPath?: string }).experimentPath;
  return undefined;
}

/** `aelab.editorHasSweep`: the active editor is an experiment with a top-level `sweep:` (editor title button). */
function trackSweepEditors(): vscode.Disposable {
  const update = () => {
    const doc = vscode.window.activeTextEditor?.document;
    const has = doc !== undefined && doc.uri.path.endsWith('.aelab.yaml') && declaresSweep(doc.getText());
    void vscode.commands.executeCommand('setContext', 'aelab.editorHasSweep', has);
  };
  update();
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidSaveTextDocument((d) => { if (d === vscode.window.activeTextEditor?.document) update(); }),
  );
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.Disposable.from(trackSweepEditors(), registerCommand(ctx));
}

function registerCommand(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.runSweep, async (arg?: unknown): Promise<SweepOutcome | undefined> => {
    const fromTree = sweepArg(arg);
    const uri = fromTree ? vscode.Uri.file(fromTree) : await resolveExperimentUri(arg, 'Experiment whose sweep to run');
    if (!uri) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open?.isDirty) await open.save();
    const result = open ? ctx.diagnostics.validate(open) : undefined;
    const name = result?.experiment?.name ?? readExperimentFile(uri.fsPath).name;
    const runsDir = runsDirFor(uri);
    if (!name || !runsDir) {
      void vscode.window.showErrorMessage(`Cannot run the sweep of ${path.basename(uri.fsPath)}: ${!name ? 'the experiment is invalid (see Problems)' : 'no folder to write runs to'}.`);
      return undefined;
    }
    if (ctx.sweeps.running.includes(uri.fsPath)) {
      void vscode.window.showInformationMessage(`The sweep of ${name} is already running in this window.`);
      return undefined;
    }
    const slurm = readSlurmSettings(uri);
    const args = sweepCommandArgs(uri.fsPath, runsDir, slurm);
    const sweepDir = sweepDirOf(runsDir, name);
    ctx.output.appendLine(`[sweep ${name}] aelab ${args.join(' ')}`);
    // The workspace folder is the CLI's working folder: image folders must lie inside it, as the
    // editor checks them, and a Slurm job starts its tasks there.
    const cli = new WorkerProcess(ctx.cliPath, {}, args, 'json', folderFor(uri)?.uri.fsPath);
    let cancelled = false;
    let onCancel = () => undefined as void;
    ctx.sweeps.start(uri.fsPath, () => {
      if (cancelled) return;
      cancelled = true;
      onCancel();
      if (slurm.enabled) {
        const scancel = new WorkerProcess(ctx.cliPath, {}, cancelCommandArgs(uri.fsPath, runsDir));
        scancel.onOutput(({ text }) => ctx.output.append(text));
        void scancel.exited.then(() => scancel.dispose());
      } else {
        cli.kill('SIGINT');
      }
      setTimeout(() => cli.kill('SIGKILL'), CANCEL_GRACE_MS).unref();
    });
    let stderr = '';
    cli.onOutput(({ stream, text }) => {
      ctx.output.append(text);
      if (stream === 'stderr') stderr = (stderr + text).slice(-4000);
    });
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sweep ${name}${slurm.enabled ? ' on Slurm' : ''}`, cancellable: true },
        async (progress, token) => {
          let reported = 0;
          const report = () => {
            const sweep = readSweepFolder(sweepDir);
            if (!sweep) { progress.report({ message: 'preparing…' }); return; }
            const p = sweepProgress(sweep);
            const target = Math.floor(p.finished * 100);
            progress.report({ message: p.message, increment: target > reported ? target - reported : undefined });
            reported = Math.max(reported, target);
          };
          const timer = setInterval(report, POLL_MS);
          onCancel = () => progress.report({ message: 'cancelling…' });
          token.onCancellationRequested(() => ctx.sweeps.cancel(uri.fsPath));
          report();
          await cli.exited;
          clearInterval(timer);
        },
      );
      const exit = await cli.exited;
      const sweep = readSweepFolder(sweepDir);
      ctx.tree.refresh();
      const counts = sweep ? `${sweep.counts.completed}/${sweep.points.length} points done${sweep.counts.failed ? `, ${sweep.counts.failed} failed` : ''}` : '';
      if (exit.code === 0) void vscode.window.showInformationMessage(`Sweep ${name}: ${counts}.`);
      else if (cancelled) vscode.window.setStatusBarMessage(`$(circle-slash) Sweep ${name} cancelled (${counts})`, 5000);
      else {
        const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ') || `exit code ${exit.code}`;
        void vscode.window.showErrorMessage(`Sweep ${name} failed: ${said}`, 'Open Log').then((a) => { if (a) ctx.output.show(); });
      }
      return { exitCode: exit.code, cancelled, sweep };
    } finally {
      ctx.sweeps.end(uri.fsPath);
      cli.dispose();
    }
  });
}
