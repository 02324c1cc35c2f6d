// Delete Run: removes run folders after a modal confirmation. Refuses runs that are training.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readStatusFile } from '../model/recovery';
import { isWriterAlive } from '../../core/runFolder';
import { isRunFolder, pickRuns, runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.deleteRun, async (arg?: unknown, selected?: unknown): Promise<number> => {
    const args = Array.isArray(selected) && selected.length > 0 ? selected : arg !== undefined ? [arg] : [];
    let dirs = args.map((a: unknown) => runFromArg(a)?.dir).filter((d): d is string => d !== undefined);
    if (dirs.length === 0) {
      const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state !== 'running' && r.state !== 'cancelling', 'Runs to delete', true);
      dirs = picked?.map((r) => r.dir as string) ?? [];
    }
    dirs = [...new Set(dirs)].filter(isRunFolder);
    if (dirs.length === 0) return 0;
    const busy = dirs.filter((d) => {
      const live = ctx.manager.liveRuns.find((r) => r.runDir === d);
      if (live && (live.state === 'running' || live.state === 'cancelling' || live.state === 'starting')) return true;
      const status = readStatusFile(d);
      return status !== undefined && isWriterAlive(status);
    });
    if (busy.length > 0) {
      void vscode.window.showErrorMessage(`Cannot delete a run that is training (${busy.map((d) => path.basename(d)).join(', ')}): cancel it first.`);
      return 0;
    }
    const what = dirs.length === 1 ? `run ${path.basename(dirs[0])} of ${path.basename(path.dirname(dirs[0]))}` : `${dirs.length} runs`;
    const answer = await vscode.window.showWarningMessage(
      `Delete ${what}?`,
      { modal: true, detail: `This removes ${dirs.length === 1 ? 'its folder' : 'their folders'} from disk:\n${dirs.join('\n')}` },
      'Delete',
    );
    if (answer !== 'Delete') return 0;
    let deleted = 0;
    for (const d of dirs) {
      try {
        await vscode.workspace.fs.delete(vscode.Uri.file(d), { recursive: true, useTrash: false });
        deleted++;
      } catch (err) {
        void vscode.window.showErrorMessage(`Cannot delete ${d}: ${(err as Error).message}`);
      }
    }
    ctx.tree.refresh();
    return deleted;
  });
}
