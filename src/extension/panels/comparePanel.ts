// The Compare panel controller: two or more runs in one webview (no cap). It sends every run on
// `ready`, and again one run at a time as a training run among them advances or completes.
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { CompareWebviewToHost, HostToCompareWebview, PanelRunData } from '../../core/protocol';
import { loadPanelRun } from './panelData';
import { saveExportWithNotice } from './panelFiles';
import { WebviewPanelController, webviewOptions } from './webviewPanelController';
import type { ResultsPanelDeps } from './resultsPanel';
import { RunWatcher } from './runWatcher';

export const COMPARE_VIEW_TYPE = 'aelab.compare';

function keyOf(runDirs: readonly string[]): string {
  return [...runDirs].sort().join('\n');
}

export class ComparePanel extends WebviewPanelController<HostToCompareWebview, CompareWebviewToHost> {
  private static readonly open = new Map<string, ComparePanel>();

  static show(deps: ResultsPanelDeps, runDirs: readonly string[], openRun: (runDir: string) => void): ComparePanel {
    const existing = ComparePanel.open.get(keyOf(runDirs));
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare ${runDirs.length} runs`, vscode.ViewColumn.Active, webviewOptions(deps));
    return new ComparePanel(deps, panel, runDirs, openRun);
  }

  static revive(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, runDirs: readonly string[], openRun: (runDir: string) => void): ComparePanel {
    ComparePanel.open.get(keyOf(runDirs))?.dispose();
    return new ComparePanel(deps, panel, runDirs, openRun);
  }

  private ready = false;

  describe(): { kind: 'compare'; runDirs: string[]; ready: boolean; imagesServed: number } {
    return { kind: 'compare', runDirs: [...this.runDirs], ready: this.ready, imagesServed: 0 };
  }
  private readonly key: string;

  private constructor(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, readonly runDirs: readonly string[], private readonly openRun: (runDir: string) => void) {
    super(deps, panel, 'compare', panel.title);
    this.key = keyOf(runDirs);
    ComparePanel.open.set(this.key, this);
    this._register({ dispose: () => { if (ComparePanel.open.get(this.key) === this) ComparePanel.open.delete(this.key); } });
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
    if (!this.ready) return;
    const run = this.load(dir);
    if (run) this.post({ type: 'runUpdated', run });
  }

  protected async onMessage(message: CompareWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready': {
        this.ready = true;
        const runs = this.runDirs.map((d) => this.load(d)).filter((r): r is PanelRunData => r !== undefined);
        this.post({ type: 'init', runs });
        return;
      }
      case 'openRun':
        if (this.runDirs.includes(message.runDir)) this.openRun(message.runDir);
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
}
