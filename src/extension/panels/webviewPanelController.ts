// The base of every panel controller (one file per panel in this folder extends it): webview set
// up (scripts on, resources only from dist/webview, a nonce CSP page), typed messages both ways,
// and disposal with the panel.
import * as vscode from 'vscode';
import { Disposable } from '../lifecycle';
import type { PanelExportFile, PanelNotice } from '../../core/protocol';
import { saveExportWithNotice } from './panelFiles';
import { newNonce, panelHtml } from './panelHtml';

export type PanelBundle = 'results' | 'compare' | 'study' | 'score';

export interface PanelDeps {
  readonly extensionUri: vscode.Uri;
}

export function webviewRoot(deps: PanelDeps): vscode.Uri {
  return vscode.Uri.joinPath(deps.extensionUri, 'dist', 'webview');
}

export function webviewOptions(deps: PanelDeps): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [webviewRoot(deps)] };
}

/**
 * A panel's controller: sets up its webview (options, icon, page), receives its typed messages in
 * onMessage, posts typed messages while alive, and closes the panel when disposed (and is disposed
 * when the user closes the panel).
 */
export abstract class WebviewPanelController<ToWebview, FromWebview> extends Disposable {
  protected constructor(deps: PanelDeps, readonly panel: vscode.WebviewPanel, bundle: PanelBundle, title: string) {
    super();
    panel.webview.options = webviewOptions(deps);
    panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'aelab.svg');
    panel.webview.html = renderPanelHtml(deps, panel.webview, bundle, title);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)));
  }

  protected abstract onMessage(message: FromWebview): Promise<void>;

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  /** Every panel's webview shows a PanelNotice in its notice bar. */
  protected post(message: ToWebview | PanelNotice): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(message);
  }

  /** A webview's export (chart, table): through the save dialog, and what happened in the notice bar. */
  protected async saveExport(file: PanelExportFile): Promise<void> {
    const notice = await saveExportWithNotice(file);
    if (notice) this.post({ type: 'notice', ...notice });
  }
}

/** The page for `bundle` (results | compare | study | score), with a fresh nonce per load. */
export function renderPanelHtml(deps: PanelDeps, webview: vscode.Webview, bundle: PanelBundle, title: string): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(deps), name)).toString();
  return panelHtml({
    title,
    cspSource: webview.cspSource,
    nonce: newNonce(),
    scriptUri: asset(`${bundle}.js`),
    styleUris: [asset('uPlot.min.css'), asset('panel.css')],
  });
}

/** One key per set of run folders, whatever their order: panels over the same runs are one panel. */
function runSetKey(runDirs: readonly string[]): string {
  return [...runDirs].sort().join('\n');
}

/** One panel per set of runs (Compare, Study): showing the same set again reveals the open one. */
export class PanelsByRunSet<P extends { readonly panel: vscode.WebviewPanel; dispose(): void }> {
  private readonly open = new Map<string, P>();

  /** The open panel of this set, brought to the front; undefined when there is none. */
  revealed(runDirs: readonly string[]): P | undefined {
    const existing = this.open.get(runSetKey(runDirs));
    existing?.panel.reveal();
    return existing;
  }

  /** Closes the open panel of this set (a panel VS Code restores takes its place). */
  close(runDirs: readonly string[]): void {
    this.open.get(runSetKey(runDirs))?.dispose();
  }

  /** Holds `panel` as its set's panel until the returned disposable is disposed. */
  hold(panel: P, runDirs: readonly string[]): vscode.Disposable {
    const key = runSetKey(runDirs);
    this.open.set(key, panel);
    return { dispose: () => { if (this.open.get(key) === panel) this.open.delete(key); } };
  }
}
