// The Compare panel controller: two or more runs in one webview (no cap). It sends every run on
// `ready`, and again one run at a time as a training run among them advances or completes.
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { CompareWebviewToHost, HostToCompareWebview, PanelRunData } from '../../core/protocol';
import { compareTitle, runFolderExists } from '../model/panelRunChange';
import { loadPanelRun } from './panelData';
import { PanelsByRunSet, WebviewPanelController, webviewOptions } from './webviewPanelController';
import type { ResultsPanelDeps } from './resultsPanel';
import { RunWatcher } from './runWatcher';

export const COMPARE_VIEW_TYPE = 'aelab.compare';

export class ComparePanel extends WebviewPanelController<HostToCompareWebview, CompareWebviewToHost> {
  private static readonly open = new PanelsByRunSet<ComparePanel>();

  static show(deps: ResultsPanelDeps, runDirs: readonly string[], openRun: (runDir: string) => void): ComparePanel {
    const existing = ComparePanel.open.revealed(runDirs);
    if (existing) return existing;
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, compareTitle(runDirs), vscode.ViewColumn.Active, webviewOptions(deps));
    return new ComparePanel(deps, panel, runDirs, openRun);
  }

  static revive(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, runDirs: readonly string[], openRun: (runDir: string) => void): ComparePanel {
    ComparePanel.open.close(runDirs);
    return new ComparePanel(deps, panel, runDirs, openRun);
  }

  private ready = false;
  /** Run folders found deleted (told to the webview once). */
  private readonly removed = new Set<string>();

  describe(): { kind: 'compare'; runDirs: string[]; ready: boolean; imagesServed: number } {
    return { kind: 'compare', runDirs: [...this.runDirs], ready: this.ready, imagesServed: 0 };
  }

  private constructor(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, readonly runDirs: readonly string[], private readonly openRun: (runDir: string) => void) {
    super(deps, panel, 'compare', panel.title);
    panel.title = compareTitle(runDirs);
    this._register(ComparePanel.open.hold(this, runDirs));
    for (const dir of runDirs) {
      const watcher = this._register(new RunWatcher(dir, deps.manager));
      this._register(watcher.onDidChange(() => this.refresh(dir)));
    }
  }

  private load(dir: string): PanelRunData | undefined {
    try {
      return loadPanelRun(dir);
    } catch (err) {
      this.post({ type: 'notice', level: 'error', message: `Cannot read ${dir}: ${(err as Error).message}` });
      return undefined;
    }
  }

  private refresh(dir: string): void {
    if (this.removed.has(dir)) return;
    if (!runFolderExists(dir)) {
      // Even before the webview loaded (a background tab): the tab's title counts what exists.
      this.removed.add(dir);
      this.retitle();
      if (this.ready) this.post({ type: 'runRemoved', runDir: dir });
      return;
    }
    if (!this.ready) return;
    const run = this.load(dir);
    if (run) this.post({ type: 'runUpdated', run });
  }

  /** The tab names the runs it still shows. */
  private retitle(): void {
    const present = this.runDirs.filter((d) => !this.removed.has(d));
    this.panel.title = present.length > 0 ? compareTitle(present) : 'Compare: no runs left';
  }

  protected async onMessage(message: CompareWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        for (const d of this.runDirs) if (!runFolderExists(d)) this.removed.add(d);
        this.retitle();
        const runs = this.runDirs.filter((d) => !this.removed.has(d)).map((d) => this.load(d)).filter((r): r is PanelRunData => r !== undefined);
        this.post({ type: 'init', runs, missing: [...this.removed] });
        return;
      }
      case 'openRun':
        if (this.runDirs.includes(message.runDir)) this.openRun(message.runDir);
        return;
      case 'saveFile':
        await this.saveExport(message.file);
        return;
      default:
        assertNever(message);
    }
  }
}
