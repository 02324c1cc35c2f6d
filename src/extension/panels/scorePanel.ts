// The Score panel controller (Score Images with Model...): one panel per scoring, holding the
// result the command's worker computed. Answers `ready` with the scores (and the first page's
// thumbnails), fetches the thumbnails of later pages in a worker process, and saves the CSV.
// After a window reload it is restored by scoring the same files again (panels.ts): the scores
// live only in the window, the run and the chosen files in the webview's state.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { HostToScoreWebview, ScoreImagesResult, ScorePanelThreshold, ScoreWebviewToHost, ScoredImageThumbnails } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import { readSettings } from '../settings';
import { thumbnailsInWorker } from './imageScoring';
import type { ResultsPanelDeps } from './resultsPanel';
import { WebviewPanelController, webviewOptions } from './webviewPanelController';

export const SCORE_VIEW_TYPE = 'aelab.score';

/** `<experiment> / <run id>` of a run folder (<runsDir>/<experiment>/<run id>). */
export function runLabelOf(runDir: string): string {
  return `${path.basename(path.dirname(runDir))} / ${path.basename(runDir)}`;
}

function scoreTitle(result: ScoreImagesResult): string {
  return `Scores: ${runLabelOf(result.runDir)}`;
}

export class ScorePanel extends WebviewPanelController<HostToScoreWebview, ScoreWebviewToHost> {
  static show(deps: ResultsPanelDeps, result: ScoreImagesResult, inputs: readonly string[]): ScorePanel {
    const panel = vscode.window.createWebviewPanel(SCORE_VIEW_TYPE, scoreTitle(result), vscode.ViewColumn.Active, webviewOptions(deps));
    return new ScorePanel(deps, panel, result, inputs);
  }

  /** A panel VS Code restored after a reload, over the same files scored again. */
  static revive(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, result: ScoreImagesResult, inputs: readonly string[]): ScorePanel {
    panel.title = scoreTitle(result);
    return new ScorePanel(deps, panel, result, inputs);
  }

  private ready = false;
  private thumbnailsSent = 0;
  private readonly thumbnails = new Map<string, ScoredImageThumbnails>();
  private readonly scored: Set<string>;

  private constructor(private readonly deps: ResultsPanelDeps, panel: vscode.WebviewPanel, readonly result: ScoreImagesResult, private readonly inputs: readonly string[]) {
    super(deps, panel, 'score', panel.title);
    this.scored = new Set(result.files);
    for (const t of result.thumbnails) this.thumbnails.set(t.file, t);
  }

  /** For the API (integration tests): what the webview was sent. */
  describe(): { kind: 'score'; runDirs: string[]; ready: boolean; imagesServed: number; scores: { file: string; score: number; flagged: boolean }[] } {
    const { files, scores, flagged } = this.result;
    return {
      kind: 'score', runDirs: [this.result.runDir], ready: this.ready, imagesServed: this.thumbnailsSent,
      scores: files.map((file, i) => ({ file, score: scores[i], flagged: flagged[i] === 1 })),
    };
  }

  protected async onMessage(message: ScoreWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.post(this.initMessage());
        this.thumbnailsSent += this.result.thumbnails.length;
        return;
      case 'requestThumbnails':
        await this.sendThumbnails(message.requestId, message.files.filter((f) => this.scored.has(f)));
        return;
      case 'saveFile':
        await this.saveExport(message.file);
        return;
      default:
        assertNever(message);
    }
  }

  private initMessage(): HostToScoreWebview {
    const summary = readRun(this.result.runDir).summary;
    const thresholds: ScorePanelThreshold[] = summary ? summary.thresholds.map((t) => ({ strategy: t.strategy, value: t.value })) : [];
    return {
      type: 'init', runLabel: runLabelOf(this.result.runDir), result: this.result, thresholds, chosen: summary?.chosen ?? this.result.thresholdSource,
      displayPaths: this.result.files.map((f) => vscode.workspace.asRelativePath(f, false)), inputs: [...this.inputs],
    };
  }

  private async sendThumbnails(requestId: number, files: string[]): Promise<void> {
    const missing = files.filter((f) => !this.thumbnails.has(f));
    const { width, height } = this.result;
    try {
      if (missing.length > 0) {
        const page = await thumbnailsInWorker(this.deps.manager, { runDir: this.result.runDir, files: missing, backend: readSettings().backend });
        for (const t of page.images) this.thumbnails.set(t.file, t);
      }
      const images = files.map((f) => this.thumbnails.get(f)).filter((t): t is ScoredImageThumbnails => t !== undefined);
      this.thumbnailsSent += images.length;
      this.post({ type: 'thumbnails', requestId, width, height, images });
    } catch (err) {
      this.post({ type: 'thumbnails', requestId, width, height, images: [], error: (err as Error).message });
    }
  }
}
