// Generate Report: report.md, a self-contained report.html and the figures (SVG, PNG 2x) for the
// selected runs, written into a folder the user picks (the CLI's `aelab report` does the same).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../../core/errors';
import { writeReport } from '../../report/writeReport';
import { COMMANDS, CommandContext } from './context';
import { selectedRuns } from './runSelection';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.generateReport, async (arg?: unknown, selected?: unknown, outDir?: unknown): Promise<string | undefined> => {
    const dirs = await selectedRuns(ctx, arg, selected, 'Runs to report (pick any number)');
    if (!dirs) return undefined;
    let target = typeof outDir === 'string' ? outDir : undefined;
    if (!target) {
      const workspace = vscode.workspace.workspaceFolders?.[0]?.uri;
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Write report here',
        defaultUri: workspace ? vscode.Uri.joinPath(workspace, 'report') : undefined,
      });
      if (!picked?.[0]) return undefined;
      target = picked[0].fsPath;
    }
    try {
      const written = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Writing the report of ${dirs.length} run(s)...` },
        async () => writeReport(dirs, target as string, path.dirname(path.dirname(dirs[0]))));
      ctx.output.appendLine(`report: ${written.markdown}, ${written.html} (${written.figures.length} figures${written.pngProblem ? `; PNGs not written: ${written.pngProblem}` : ''})`);
      void vscode.window.showInformationMessage(`Report of ${written.runs} run(s) written to ${target}.`, 'Open report.md').then((choice) => {
        if (choice) void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(written.markdown));
      });
      return written.html;
    } catch (err) {
      void vscode.window.showErrorMessage(err instanceof InputError ? `Cannot write the report: ${err.message}` : `Report failed: ${(err as Error).message}`);
      return undefined;
    }
  });
}
