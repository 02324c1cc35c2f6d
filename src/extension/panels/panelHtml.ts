// The HTML shell of a panel: one bundled script and its styles, a strict Content Security Policy
// with a per-load nonce and no wildcards (after microsoft/vscode-extension-samples webview-sample).
// No vscode import: the browser tests load the same page from a local server.
import { randomBytes } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export interface PanelHtmlOptions {
  title: string;
  /** The webview's resource origin (webview.cspSource). */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUris: readonly string[];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * CSP: nothing loads unless listed. Scripts only with the nonce; stylesheets only from the
 * extension's dist/webview folder, plus <style> elements carrying the nonce: the toolkit (FAST)
 * probes :focus-visible support with one, reading the nonce from <meta property="csp-nonce">.
 * uPlot and the panels style elements through the CSSOM, which CSP allows; the toolkit's
 * components use constructable stylesheets. No inline style attributes, no wildcards.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function panelHtml(o: PanelHtmlOptions): string {
  const styles = o.styleUris.map((u) => `  <link rel="stylesheet" href="${escapeHtml(u)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(o.cspSource, o.nonce)}">
  <meta property="csp-nonce" content="${o.nonce}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
  <title>${escapeHtml(o.title)}</title>
</head>
<body>
  <div id="app" aria-live="polite">
    <header class="run-header"><div class="run-title"><h2>${escapeHtml(o.title)}</h2><span class="state" id="run-state">opening</span></div>
    <div class="hint" id="opening">Reading the run folder…</div></header>
  </div>
  <script nonce="${o.nonce}" src="${escapeHtml(o.scriptUri)}"></script>
</body>
</html>
`;
}
