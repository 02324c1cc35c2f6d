// The Results panel controller: one webview per run folder. It answers the webview's `ready`
// with the run (scores included once the run has them), serves test images on request, follows
// a training run live (epochs as they arrive, everything else when it completes), writes
// "Use this threshold" into the experiment file and saves exports.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { HostToResultsWebview, ResultsWebviewToHost } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import type { RunState } from '../../core/runFormat';
import type { RunManager } from '../runManager';
import { imageSourceOf, loadPanelRun, loadTestImages } from './panelData';
import { saveExportWithNotice } from './panelFiles';
import { PanelDeps, WebviewPanelController, webviewOptions } from './webviewPanelController';
import { RunWatcher } from './runWatcher';
import { writeManualThreshold } from './useThreshold';
import { recordManualThreshold } from '../../core/runFolder';

export const RESULTS_VIEW_TYPE = 'aelab.results';

export interface ResultsPanelDeps extends PanelDeps {
  readonly manager: RunManager;
  readonly output: vscode.OutputChannel;
}

function titleOf(runDir: string): string {
  return `Results: ${path.basename(path.dirname(runDir))} / ${path.basename(runDir)}`;
}

export class ResultsPanel extends WebviewPanelController<HostToResultsWebview, ResultsWebviewToHost> {
  private static readonly open = new Map<string, ResultsPanel>();

  /** Shows the panel of a run, creating it or bringing an open one to the front. */
  static show(deps: ResultsPanelDeps, runDir: string): ResultsPanel {
    const existing = ResultsPanel.open.get(runDir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RESULTS_VIEW_TYPE, titleOf(runDir), vscode.ViewColumn.Active, webviewOptions(deps));
    return new ResultsPanel(deps, panel, runDir);
  }

  /** Takes over a panel VS Code restored after a reload (the serializer). */
  static revive(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, runDir: string): ResultsPanel {
    ResultsPanel.open.get(runDir)?.dispose();
    return new ResultsPanel(deps, panel, runDir);
  }

  static get openRunDirs(): string[] {
    return [...ResultsPanel.open.keys()];
  }

  /** Whether the webview said ready since it last loaded (it reloads when hidden and shown). */
  private ready = false;
  /** Test images sent to the grid so far (the integration tests read it through the API). */
  private imagesServed = 0;

  /** What the API reports about this panel: the webview ran (under the CSP) and said ready. */
  describe(): { kind: 'results'; runDirs: string[]; ready: boolean; imagesServed: number } {
    return { kind: 'results', runDirs: [this.runDir], ready: this.ready, imagesServed: this.imagesServed };
  }
  private sentState: RunState | undefined;
  private sentEpochs = 0;
  private sentScores = false;

  private constructor(private readonly deps: ResultsPanelDeps, panel: vscode.WebviewPanel, readonly runDir: string) {
    super(deps, panel, 'results', titleOf(runDir));
    ResultsPanel.open.set(runDir, this);
    this._register({ dispose: () => { if (ResultsPanel.open.get(runDir) === this) ResultsPanel.open.delete(runDir); } });
    const watcher = this._register(new RunWatcher(runDir, deps.manager));
    this._register(watcher.onDidChange(() => this.refresh()));
  }

  private sendInit(): void {
    try {
      const run = loadPanelRun(this.runDir);
      this.sentState = run.state;
      this.sentEpochs = run.metrics.length;
      this.sentScores = run.scores !== undefined;
      this.post({ type: 'init', run, images: imageSourceOf(this.runDir) });
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Cannot read ${this.runDir}: ${(err as Error).message}` });
    }
  }

  /** The run folder changed: new epochs go as `progress`; a run that now has scores is sent whole. */
  private refresh(): void {
    if (!this.ready || this.isDisposed) return;
    let run;
    try {
      run = readRun(this.runDir);
    } catch {
      return; // deleted or half-written: the next change will tell
    }
    const completed = run.status.state === 'completed' && run.summary !== undefined;
    if (completed && !this.sentScores) {
      this.sendInit();
      return;
    }
    if (run.status.state !== this.sentState || run.metrics.length !== this.sentEpochs) {
      this.sentState = run.status.state;
      this.sentEpochs = run.metrics.length;
      this.post({ type: 'progress', state: run.status.state, stale: run.stale, error: run.status.error, metrics: run.metrics });
    }
  }

  protected async onMessage(message: ResultsWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.sendInit();
        return;
      case 'requestImages':
        try {
          const { width, height, images } = loadTestImages(this.runDir, message.indices);
          this.post({ type: 'images', requestId: message.requestId, width, height, images });
          this.imagesServed += images.length;
        } catch (err) {
          this.post({ type: 'images', requestId: message.requestId, width: 0, height: 0, images: [], error: (err as Error).message });
        }
        return;
      case 'useThreshold':
        await this.useThreshold(message.value);
        return;
      case 'saveFile': {
        const notice = await saveExportWithNotice(message.file);
        if (notice) this.post({ type: 'notice', ...notice });
        return;
      }
      default:
        assertNever(message);
    }
  }

  private async useThreshold(value: number): Promise<void> {
    const experimentPath = readRun(this.runDir).config?.experimentPath;
    if (!experimentPath) {
      this.post({ type: 'notice', level: 'error', message: 'This run does not record which experiment file it came from.' });
      return;
    }
    try {
      await writeManualThreshold(experimentPath, value);
      // The run remembers it too: the tree, `aelab show` and a reopened panel show it.
      recordManualThreshold(this.runDir, value, experimentPath);
      this.deps.output.appendLine(`${new Date().toISOString().slice(11, 23)} threshold ${value} (strategy manual) written to ${experimentPath}`);
      this.post({ type: 'thresholdSaved', value, experimentPath });
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Cannot write the threshold: ${(err as Error).message}` });
    }
  }
}
