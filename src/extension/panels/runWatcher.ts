// Tells a panel when its run folder changed (or was deleted): from the run manager's events for runs this window
// trains (immediate) and from a file watcher for runs written by anyone else (the CLI, another
// window). Changes are coalesced: a training run reports every batch.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RUN_FILES } from '../../core/runFormat';
import { Disposable } from '../lifecycle';
import type { RunManager } from '../runManager';

const COALESCE_MS = 150;

export class RunWatcher extends Disposable {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(runDir: string, manager: RunManager) {
    super();
    const watcher = this._register(vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(runDir), `{${RUN_FILES.status},${RUN_FILES.metrics},${RUN_FILES.summary},${RUN_FILES.scoresHeader}}`),
    ));
    this._register(watcher.onDidChange(() => this.schedule()));
    this._register(watcher.onDidCreate(() => this.schedule()));
    this._register(watcher.onDidDelete(() => this.schedule()));
    // Deleting the folder itself may report only the folder, not the files in it.
    const folder = this._register(vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(path.dirname(runDir)), path.basename(runDir)),
    ));
    this._register(folder.onDidDelete(() => this.schedule()));
    this._register(folder.onDidCreate(() => this.schedule()));
    this._register(manager.onDidChangeRuns((run) => {
      if (!run || run.runDir === runDir) this.schedule();
    }));
    this._register({ dispose: () => this.timer && clearTimeout(this.timer) });
  }

  private schedule(): void {
    if (this.timer || this.isDisposed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.isDisposed) this._onDidChange.fire();
    }, COALESCE_MS);
  }
}
