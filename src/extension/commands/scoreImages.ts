// Score Images with Model...: image files and folders scored with a completed run's model, shown
// in a Score panel. From the Explorer (folders and PNG/JPEG files; asks for the run), from a
// run's node in the tree (asks for the images), or from the palette (asks for both). Scoring
// runs in a worker process (`aelab score`'s engine code) behind a cancellable progress notification.
import * as vscode from 'vscode';
import type { ScoreImagesResult } from '../../core/protocol';
import { scoreImagesWithProgress } from '../panels/imageScoring';
import { runLabelOf } from '../panels/scorePanel';
import { isRunFolder, isTreeNode, pickRuns, runFromArg } from './args';
import { COMMANDS, CommandContext } from './context';

interface ScoreTarget {
  runDir?: string;
  paths?: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** What the arguments say: Explorer Uris (clicked, selected), a run node, or `{ runDir, paths }` (tests, other commands). */
function targetOf(arg: unknown, selected: unknown): ScoreTarget {
  if (isTreeNode(arg)) return { runDir: runFromArg(arg)?.dir };
  if (arg instanceof vscode.Uri) {
    const uris = Array.isArray(selected) && selected.every((u) => u instanceof vscode.Uri) ? (selected as vscode.Uri[]) : [arg];
    return { paths: uris.map((u) => u.fsPath) };
  }
  if (isObject(arg) && typeof arg.runDir === 'string') {
    return { runDir: arg.runDir, paths: Array.isArray(arg.paths) ? arg.paths.filter((p): p is string => typeof p === 'string') : undefined };
  }
  return {};
}

async function pickRun(ctx: CommandContext): Promise<string | undefined> {
  const picked = await pickRuns(ctx.tree, (r) => r.dir !== undefined && r.state === 'completed', 'Run whose model scores the images', false);
  return picked?.[0]?.dir;
}

async function pickImages(): Promise<string[] | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: true, canSelectFolders: true, canSelectMany: true, openLabel: 'Score',
    title: 'Images or folders of images to score', filters: { Images: ['png', 'jpg', 'jpeg'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return uris && uris.length > 0 ? uris.map((u) => u.fsPath) : undefined;
}

export function register(ctx: CommandContext): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.scoreImages, async (arg?: unknown, selected?: unknown): Promise<ScoreImagesResult | undefined> => {
    const target = targetOf(arg, selected);
    const runDir = target.runDir ?? await pickRun(ctx);
    if (!runDir) return undefined;
    if (!isRunFolder(runDir)) {
      void vscode.window.showErrorMessage(`${runDir} is not a run folder (no status.json).`);
      return undefined;
    }
    const paths = target.paths ?? await pickImages();
    if (!paths) return undefined;
    const label = runLabelOf(runDir);
    let result: ScoreImagesResult | undefined;
    try {
      result = await scoreImagesWithProgress(ctx.manager, runDir, paths, label);
    } catch (err) {
      void vscode.window.showErrorMessage(`Score Images with Model: ${(err as Error).message}`);
      return undefined;
    }
    if (!result) return undefined; // cancelled
    if (result.files.length === 0) {
      const why = result.warnings.length > 0 ? ` ${result.warnings.slice(0, 3).join('; ')}` : '';
      void vscode.window.showWarningMessage(`No image could be scored.${why}`);
      return result;
    }
    ctx.panels.score(result, paths);
    return result;
  });
}
