// What both panel controllers share: their base class (webview set up, typed messages, disposal
// with the panel), the webview options (scripts on, resources only from dist/webview), the HTML,
// and saving exported files through the save dialog.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PanelExportFile } from '../../core/protocol';
import { Disposable } from '../lifecycle';
import { newNonce, panelHtml } from './panelHtml';

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
  protected constructor(deps: PanelDeps, readonly panel: vscode.WebviewPanel, bundle: 'results' | 'compare', title: string) {
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

  protected post(message: ToWebview): void {
    if (!this.isDisposed) void this.panel.webview.postMessage(message);
  }
}

/** The page for `bundle` (results | compare), with a fresh nonce per load. */
export function renderPanelHtml(deps: PanelDeps, webview: vscode.Webview, bundle: 'results' | 'compare', title: string): string {
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(deps), name)).toString();
  return panelHtml({
    title,
    cspSource: webview.cspSource,
    nonce: newNonce(),
    scriptUri: asset(`${bundle}.js`),
    styleUris: [asset('uPlot.min.css'), asset('panel.css')],
  });
}

/** Saves an exported chart or table where the user says; returns the file, or undefined if cancelled. */
export async function saveExport(file: PanelExportFile, defaultDir: string | undefined): Promise<vscode.Uri | undefined> {
  const filters: Record<string, string[]> = file.kind === 'png' ? { 'PNG image': ['png'] } : file.kind === 'svg' ? { 'SVG image': ['svg'] } : { CSV: ['csv'] };
  const base = defaultDir ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const target = await vscode.window.showSaveDialog({
    defaultUri: base ? vscode.Uri.file(path.join(base, file.suggestedName)) : undefined,
    filters,
    saveLabel: 'Export',
  });
  if (!target) return undefined;
  const bytes = new Uint8Array(file.kind === 'png' ? Buffer.from(file.base64, 'base64') : Buffer.from(file.text, 'utf8'));
  await vscode.workspace.fs.writeFile(target, bytes);
  return target;
}

/** Saves an export through the save dialog and says what happened as a panel notice (undefined: the user cancelled). */
export async function saveExportWithNotice(file: PanelExportFile): Promise<{ level: 'info' | 'error'; message: string } | undefined> {
  try {
    const saved = await saveExport(file, undefined);
    return saved ? { level: 'info', message: `Saved ${saved.fsPath}` } : undefined;
  } catch (err) {
    return { level: 'error', message: `Export failed: ${(err as Error).message}` };
  }
}
