// The panels service: opens Results, Compare, Study and Score panels and registers their serializers, so VS
// Code restores open panels after a window reload (package.json needs the activation events
// onWebviewPanel:aelab.results, .compare, .study and .score). A Score panel is restored by
// scoring its files again (its scores live only in the window).
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import { ComparePanel, COMPARE_VIEW_TYPE } from './comparePanel';
import { scoreImagesWithProgress } from './imageScoring';
import { runDirsOfState, scoreInputsOfState } from './panelData';
import { RESULTS_VIEW_TYPE, ResultsPanel, ResultsPanelDeps } from './resultsPanel';
import { runLabelOf, ScorePanel, SCORE_VIEW_TYPE } from './scorePanel';
import { StudyPanel, STUDY_VIEW_TYPE } from './studyPanel';
import type { ScoreImagesResult } from '../../core/protocol';
import type { PanelInfo } from '../api';

/** A restored panel that has nothing to show any more: one sentence, no scripts. */
function closedWith(panel: vscode.WebviewPanel, sentence: string): void {
  const text = sentence.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  panel.webview.options = { enableScripts: false };
  panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'"></head><body><p>${text}</p></body></html>`;
}

function gone(panel: vscode.WebviewPanel, what: string): void {
  closedWith(panel, `${what} no longer exists.`);
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
    this._register(vscode.window.registerWebviewPanelSerializer(SCORE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => {
        const saved = scoreInputsOfState(state);
        if (!saved) return gone(panel, 'The run of these scores');
        let result: ScoreImagesResult | undefined;
        try {
          result = await scoreImagesWithProgress(this.deps.manager, saved.runDir, saved.inputs, runLabelOf(saved.runDir));
        } catch (err) {
          return closedWith(panel, `These scores could not be computed again after the reload: ${(err as Error).message}`);
        }
        if (!result) return closedWith(panel, 'Scoring again after the reload was cancelled: run Score Images with Model... to score these images.');
        if (result.files.length === 0) return closedWith(panel, `None of the images of this panel could be scored again: ${result.warnings.slice(0, 3).join('; ')}`);
        this.track(ScorePanel.revive(this.deps, panel, result, saved.inputs));
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
  score(result: ScoreImagesResult, inputs: readonly string[]): ScorePanel {
    return this.track(ScorePanel.show(this.deps, result, inputs));
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
