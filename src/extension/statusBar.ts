// Status-bar item while any run is queued or training; click shows the log.
import * as vscode from 'vscode';
import { Disposable } from './lifecycle';
import { progressMessage } from './model/liveRun';
import type { RunManager } from './runManager';

export class RunStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('aelab.runs', vscode.StatusBarAlignment.Left, 10));

  constructor(private readonly manager: RunManager) {
    super();
    this.item.name = 'Autoencoder Lab runs';
    this.item.command = 'aelab.showLog';
    this._register(manager.onDidChangeRuns(() => this.update()));
    this.update();
  }

  get text(): string | undefined {
    return this.visible ? this.item.text : undefined;
  }

  private visible = false;

  private update(): void {
    const active = this.manager.activeRuns;
    if (active.length === 0) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const training = active.filter((r) => r.state !== 'queued');
    const queued = active.length - training.length;
    if (training.length === 1) {
      this.item.text = `$(sync~spin) ${training[0].experimentName}: ${progressMessage(training[0], Date.now(), false)}${queued ? ` (+${queued} queued)` : ''}`;
    } else {
      this.item.text = `$(sync~spin) Autoencoder Lab: ${training.length} training${queued ? `, ${queued} queued` : ''}`;
    }
    this.item.tooltip = `${active.map((r) => `${r.experimentName}: ${progressMessage(r, Date.now())}`).join('\n')}\nClick to show the log`;
    this.item.show();
    this.visible = true;
  }
}
