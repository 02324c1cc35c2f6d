// The panels service: opens Results, Compare, Study and Score panels and registers their serializers, so VS
// Code restores open panels after a window reload (package.json needs the activation events
// onWebviewPanel:aelab.results, onWebviewPanel:aelab.compare and onWebviewPanel:aelab.study).
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { ComparePanel, COMPARE_VIEW_TYPE } from './comparePanel';
import { runDirsOfState } from './panelData';
import { RESULTS_VIEW_TYPE, ResultsPanel, ResultsPanelDeps } from './resultsPanel';
import { ScorePanel } from './scorePanel';
import { StudyPanel, STUDY_VIEW_TYPE } from './studyPanel';
import type { ScoreImagesResult } from '../../core/protocol';
import type { PanelInfo } from '../api';

function gone(panel: vscode.WebviewPanel, what: string): void {
  panel.webview.options = { enableScripts: false };
  panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>${what} no longer exists.</p></body></html>`;
}

export class Panels extends Disposable {
  private readonly live = new Set<ResultsPanel | ComparePanel | StudyPanel | ScorePanel>();

  constructor(private readonly deps: ResultsPanelDeps) {
    super();
    this._register({ dispose: () => { for (const p of [...this.live]) p.dispose(); } });
    this._register(vscode.window.registerWebviewPanelSerializer(RESULTS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const { runDir } = runDirsOfState(state);
        if (!runDir) return gone(panel, 'The run of this panel');
        this.track(ResultsPanel.revive(this.deps, panel, runDir));
      },
    }));
    this._register(vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const { runDirs } = runDirsOfState(state);
        if (!runDirs || runDirs.length < 2) return gone(panel, 'A run of this comparison');
        this.track(ComparePanel.revive(this.deps, panel, runDirs, (d) => this.openResults(d)));
      },
    }));
    this._register(vscode.window.registerWebviewPanelSerializer(STUDY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const { runDirs } = runDirsOfState(state);
        if (!runDirs || runDirs.length < 1) return gone(panel, 'A run of this study');
        this.track(StudyPanel.revive(this.deps, panel, runDirs, (d) => this.openResults(d)));
      },
    }));
  }

  /** Open panels, for the API (integration tests). */
  describe(): PanelInfo[] {
    return [...this.live].map((p) => p.describe());
  }

  openResults(runDir: string): ResultsPanel {
    return this.track(ResultsPanel.show(this.deps, runDir));
  }

  compare(runDirs: readonly string[]): ComparePanel {
    return this.track(ComparePanel.show(this.deps, runDirs, (d) => this.openResults(d)));
  }

  study(runDirs: readonly string[]): StudyPanel {
    return this.track(StudyPanel.show(this.deps, runDirs, (d) => this.openResults(d)));
  }

  /** A Score panel over images scored with a run's model (Score Images with Model...). */
  score(result: ScoreImagesResult): ScorePanel {
    return this.track(ScorePanel.show(this.deps, result));
  }

  /** Panels close with the extension (deactivation disposes this service). */
  private track<T extends ResultsPanel | ComparePanel | StudyPanel | ScorePanel>(panel: T): T {
    if (!this.live.has(panel)) {
      this.live.add(panel);
      panel.panel.onDidDispose(() => this.live.delete(panel));
    }
    return panel;
  }
}
