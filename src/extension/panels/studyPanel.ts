// The Study panel controller: the experiments table and metric-vs-parameter charts of a
// selection of runs (or a sweep's runs). Sends the runs on `ready`; Generate Report writes
// report.md / report.html / figures into a folder the user picks.
import * as vscode from 'vscode';
import { assertNever } from '../../core/protocol';
import type { HostToStudyWebview, StudyWebviewToHost } from '../../core/protocol';
import { PanelsByRunSet, WebviewPanelController, webviewOptions } from './webviewPanelController';
import type { ResultsPanelDeps } from './resultsPanel';
import { loadStudyRuns } from './studyData';

export const STUDY_VIEW_TYPE = 'aelab.study';
const GENERATE_REPORT_COMMAND = 'aelab.generateReport';

export class StudyPanel extends WebviewPanelController<HostToStudyWebview, StudyWebviewToHost> {
  private static readonly open = new PanelsByRunSet<StudyPanel>();

  static show(deps: ResultsPanelDeps, runDirs: readonly string[], openRun: (runDir: string) => void): StudyPanel {
    const existing = StudyPanel.open.revealed(runDirs);
    if (existing) return existing;
    const panel = vscode.window.createWebviewPanel(STUDY_VIEW_TYPE, `Study of ${runDirs.length} runs`, vscode.ViewColumn.Active, webviewOptions(deps));
    return new StudyPanel(deps, panel, runDirs, openRun);
  }

  static revive(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, runDirs: readonly string[], openRun: (runDir: string) => void): StudyPanel {
    StudyPanel.open.close(runDirs);
    return new StudyPanel(deps, panel, runDirs, openRun);
  }

  private ready = false;

  private constructor(deps: ResultsPanelDeps, panel: vscode.WebviewPanel, readonly runDirs: readonly string[], private readonly openRun: (runDir: string) => void) {
    super(deps, panel, 'study', panel.title);
    this._register(StudyPanel.open.hold(this, runDirs));
  }

  describe(): { kind: 'study'; runDirs: string[]; ready: boolean; imagesServed: number } {
    return { kind: 'study', runDirs: [...this.runDirs], ready: this.ready, imagesServed: 0 };
  }

  protected async onMessage(message: StudyWebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.post(loadStudyRuns(this.runDirs));
        return;
      case 'openRun':
        if (this.runDirs.includes(message.runDir)) this.openRun(message.runDir);
        return;
      case 'saveFile':
        await this.saveExport(message.file);
        return;
      case 'generateReport':
        // The command asks where and shows progress; the panel only names its runs.
        await vscode.commands.executeCommand(GENERATE_REPORT_COMMAND, [...this.runDirs]);
        return;
      default:
        assertNever(message);
    }
  }
}
