// Disposable plumbing (after microsoft/vscode-pull-request-github src/common/lifecycle.ts).
import * as vscode from 'vscode';

export function toDisposable(dispose: () => void): vscode.Disposable {
  return { dispose };
}

export function disposeAll(disposables: vscode.Disposable[]): void {
  while (disposables.length) {
    const d = disposables.pop();
    try {
      d?.dispose();
    } catch (err) {
      console.error('aelab: error while disposing', err);
    }
  }
}

export abstract class Disposable implements vscode.Disposable {
  private _isDisposed = false;
  protected _disposables: vscode.Disposable[] = [];

  public dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    disposeAll(this._disposables);
  }

  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this._isDisposed) value.dispose();
    else this._disposables.push(value);
    return value;
  }

  protected get isDisposed(): boolean {
    return this._isDisposed;
  }
}
