// The Results panel controller: one webview per run folder; the last one opened is a preview that
// the next run opened takes over unless the user pinned its tab (no pile of tabs). It answers the webview's `ready`
// with the run (scores included once the run has them), serves test images on request, follows
// a training run live (epochs as they arrive, everything else when it completes), writes
// "Use this threshold" into the experiment file and saves exports.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { HostToResultsWebview, ResultsWebviewToHost } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import { experimentWriteTarget } from '../model/writeTarget';
import type { RunManager } from '../runManager';
import { imageSourceOf, loadPanelRun, loadTestImages } from './panelData';
import { PanelDeps, WebviewPanelController, webviewOptions } from './webviewPanelController';
import { nextPanelUpdate, runFolderExists, SentRun } from '../model/panelRunChange';
import { isPanelTabPinned, TabInfo } from '../model/panelTabs';
import { RunWatcher } from './runWatcher';
import { writeManualThreshold } from './useThreshold';
import { recordManualThreshold } from '../../core/runFolder';
import type { WhatIfCorruptionChoice } from '../../core/protocol';
import type { WhatIfScorer } from '../model/whatIfScorer';
import { createWhatIfScorer, whatIfRequest } from './whatIfScoring';

export const RESULTS_VIEW_TYPE = 'aelab.results';

export interface ResultsPanelDeps extends PanelDeps {
  readonly manager: RunManager;
  readonly output: vscode.OutputChannel;
}

function titleOf(runDir: string): string {
  return `Results: ${path.basename(path.dirname(runDir))} / ${path.basename(runDir)}`;
}

/** The open editor tabs, as the vscode-free pin check needs them. */
function openTabs(): TabInfo[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => ({
    label: t.label,
    isPinned: t.isPinned,
    viewType: t.input instanceof vscode.TabInputWebview ? t.input.viewType : undefined,
  }));
}

export class ResultsPanel extends WebviewPanelController<HostToResultsWebview, ResultsWebviewToHost> {
  private static readonly open = new Map<string, ResultsPanel>();
  /** The panel the next run opened may take over (VS Code's preview tab, for webviews). */
  private static preview: ResultsPanel | undefined;

  /** Shows the panel of a run: an open one to the front, else the unpinned preview panel retargeted, else a new one. */
  static show(deps: ResultsPanelDeps, runDir: string): ResultsPanel {
    const existing = ResultsPanel.open.get(runDir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const preview = ResultsPanel.preview;
    if (preview && !preview.isDisposed && !isPanelTabPinned(openTabs(), RESULTS_VIEW_TYPE, preview.panel.title)) {
      preview.retarget(runDir);
      preview.panel.reveal();
      return preview;
    }
    const panel = vscode.window.createWebviewPanel(RESULTS_VIEW_TYPE, titleOf(runDir), vscode.ViewColumn.Active, webviewOptions(deps));
    const created = new ResultsPanel(deps, panel, runDir);
    ResultsPanel.preview = created;
    return created;
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
  private sent: SentRun = { epochs: 0, scores: false, removed: false };
  /** Batch-loss points of the live run posted so far, and the thinning generation they came from. */
  private sentBatches = { count: 0, generation: -1 };
  private watcher: RunWatcher;
  private readonly whatIf: WhatIfScorer;

  private constructor(private readonly deps: ResultsPanelDeps, panel: vscode.WebviewPanel, private _runDir: string) {
    super(deps, panel, 'results', titleOf(_runDir));
    ResultsPanel.open.set(_runDir, this);
    this._register({
      dispose: () => {
        if (ResultsPanel.open.get(this.runDir) === this) ResultsPanel.open.delete(this.runDir);
        if (ResultsPanel.preview === this) ResultsPanel.preview = undefined;
        this.watcher.dispose();
        this.whatIf.dispose();
      },
    });
    this.watcher = this.watch();
    this.whatIf = createWhatIfScorer(deps.manager);
  }

  get runDir(): string {
    return this._runDir;
  }

  private get title(): string {
    return titleOf(this.runDir);
  }

  private watch(): RunWatcher {
    const watcher = new RunWatcher(this.runDir, this.deps.manager);
    watcher.onDidChange(() => this.refresh());
    return watcher;
  }

  /** The preview panel shows another run: same tab, new run folder, new title. */
  private retarget(runDir: string): void {
    if (ResultsPanel.open.get(this.runDir) === this) ResultsPanel.open.delete(this.runDir);
    this.watcher.dispose();
    this._runDir = runDir;
    ResultsPanel.open.set(runDir, this);
    this.watcher = this.watch();
    this.panel.title = this.title;
    this.sent = { epochs: 0, scores: false, removed: false };
    if (this.ready) this.sendInit(); // else the webview's `ready` will ask
  }

  private sendInit(): void {
    try {
      if (!runFolderExists(this.runDir)) {
        this.sent.removed = true;
        this.post({ type: 'runRemoved', runDir: this.runDir });
        return;
      }
      const run = loadPanelRun(this.runDir);
      this.sent = { state: run.state, epochs: run.metrics.length, scores: run.scores !== undefined, removed: false };
      this.post({ type: 'init', run, images: imageSourceOf(this.runDir) });
      this.sentBatches = { count: 0, generation: -1 };
      this.postBatchLoss();
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Cannot read ${this.runDir}: ${(err as Error).message}` });
    }
  }

  /** New per-batch losses of a run training in this window (the chart is not empty through epoch 1). */
  private postBatchLoss(): void {
    const live = this.deps.manager.liveRuns.find((r) => r.runDir === this.runDir);
    if (!live) return;
    const whole = live.batchLossGeneration !== this.sentBatches.generation;
    const from = whole ? 0 : this.sentBatches.count;
    if (!whole && from >= live.batchLoss.length) return;
    this.post({ type: 'batchLoss', from, points: live.batchLoss.slice(from) });
    this.sentBatches = { count: live.batchLoss.length, generation: live.batchLossGeneration };
  }

  /** The run folder changed: new epochs go as `progress`; a run that now has scores is sent whole; a deleted one says so. */
  private refresh(): void {
    if (this.isDisposed) return;
    if (this.ready && !this.sent.removed) this.postBatchLoss();
    const update = nextPanelUpdate(this.runDir, this.sent);
    // A deletion retitles the tab even if the webview never loaded (a background tab); the rest waits for `ready`.
    if (!this.ready && update.kind !== 'removed') return;
    switch (update.kind) {
      case 'none':
        return;
      case 'removed':
        this.sent.removed = true;
        this.panel.title = `${this.title} (deleted)`;
        this.post({ type: 'runRemoved', runDir: this.runDir });
        return;
      case 'init':
        this.panel.title = this.title;
        this.sendInit();
        return;
      case 'progress': {
        const run = update.run;
        this.sent.state = run.status.state;
        this.sent.epochs = run.metrics.length;
        this.post({ type: 'progress', state: run.status.state, stale: run.stale, error: run.status.error, metrics: run.metrics });
        return;
      }
      default:
        assertNever(update);
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
        if (this.sent.removed) return;
        await this.useThreshold(message.value);
        return;
      case 'saveFile':
        await this.saveExport(message.file);
        return;
      case 'whatIf':
        await this.previewWhatIf(message.corruption);
        return;
      case 'saveWhatIf':
        this.saveWhatIf(message.corruption);
        return;
      default:
        assertNever(message);
    }
  }

  /** Scores the test set corrupted another way with this run's model, in a child process. */
  private async previewWhatIf(corruption: WhatIfCorruptionChoice): Promise<void> {
    const runDir = this.runDir;
    const made = whatIfRequest(runDir, corruption);
    if ('error' in made) {
      this.post({ type: 'whatIf', corruption, error: made.error });
      return;
    }
    try {
      const result = await this.whatIf.score(made.request);
      // A newer request or another run in this tab: this answer is stale.
      if (!result || this.runDir !== runDir || this.isDisposed) return;
      this.deps.output.appendLine(`${new Date().toISOString().slice(11, 23)} what-if ${corruption.type} ${corruption.level} on ${runDir}: ${result.scores.length} images in ${result.seconds.toFixed(2)} s`);
      this.post({ type: 'whatIf', corruption, result });
    } catch (err) {
      if (this.runDir === runDir && !this.isDisposed) this.post({ type: 'whatIf', corruption, error: (err as Error).message });
    }
  }

  /** Queues the what-if as an ordinary run: same request as the preview, so the same scores. */
  private saveWhatIf(corruption: WhatIfCorruptionChoice): void {
    const made = whatIfRequest(this.runDir, corruption);
    if ('error' in made) {
      this.post({ type: 'notice', level: 'error', message: `Cannot save the what-if: ${made.error}` });
      return;
    }
    this.deps.manager.enqueue(made.request, made.request.experimentPath ?? this.runDir);
    this.post({ type: 'whatIfSaved', corruption });
  }

  private async useThreshold(value: number): Promise<void> {
    const recorded = readRun(this.runDir).config?.experimentPath;
    if (!recorded) {
      this.post({ type: 'notice', level: 'error', message: 'This run does not record which experiment file it came from.' });
      return;
    }
    if (!vscode.workspace.isTrusted) {
      this.post({ type: 'notice', level: 'error', message: 'Use this threshold writes into the experiment file: trust this workspace first (Restricted Mode).' });
      return;
    }
    // config.json is data from disk: write only into an experiment file of this workspace.
    const target = experimentWriteTarget(recorded, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath));
    if ('refused' in target) {
      this.post({ type: 'notice', level: 'error', message: `Cannot write the threshold: ${target.refused}.` });
      return;
    }
    const experimentPath = target.file;
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
