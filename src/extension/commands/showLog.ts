// Show Log: a run's run.log (from the tree), the log of a run refused before it had a folder,
// or the "Autoencoder Lab" output channel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../core/runFormat';
import { runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.showLog, async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    const target = runFromArg(arg);
    const dir = target?.dir ?? (target?.liveKey ? ctx.manager.get(target.liveKey)?.runDir : undefined);
    if (dir) {
      const file = path.join(dir, RUN_FILES.log);
      if (fs.existsSync(file)) {
        const uri = vscode.Uri.file(file);
        await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
        return uri;
      }
    }
    // A run refused at start has no folder: its log lives in the run manager.
    const lines = target?.liveKey ? ctx.manager.logLinesOf(target.liveKey) : undefined;
    if (lines) {
      const doc = await vscode.workspace.openTextDocument({ content: `${lines.join('\n')}\n`, language: 'log' });
      await vscode.window.showTextDocument(doc, { preview: true });
      return doc.uri;
    }
    ctx.output.show(true);
    return undefined;
  });
}
