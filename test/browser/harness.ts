// Serves the panel webviews the way VS Code does (the same HTML and CSP from panelHtml, the
// bundles from dist/webview) and plays the extension host's part of the protocol with the same
// run-folder loaders the real panel controllers use. Only the vscode API calls are missing.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { setManualThreshold } from '../../src/core/config';
import type {
  CompareWebviewToHost, HostToCompareWebview, HostToResultsWebview, HostToScoreWebview, HostToStudyWebview, PanelExportFile, PanelRunData, ResultsWebviewToHost,
  ScoredImageThumbnails, ScoreWebviewToHost, StudyWebviewToHost,
} from '../../src/core/protocol';
import { loadStudyRuns } from '../../src/extension/panels/studyData';
import { imageSourceOf, loadPanelRun, loadTestImages } from '../../src/extension/panels/panelData';
import { newNonce, panelHtml } from '../../src/extension/panels/panelHtml';
import type { Browser, Page } from './playwright';

export const ROOT = path.join(__dirname, '..', '..');
const WEBVIEW_DIR = path.join(ROOT, 'dist', 'webview');

export async function buildWebviewBundles(): Promise<void> {
  const mod = (await import(path.join(ROOT, 'webview.esbuild.mjs'))) as { buildWebviews(o?: { production?: boolean }): Promise<unknown> };
  await mod.buildWebviews({ production: true });
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };

export interface PanelServer {
  origin: string;
  close(): Promise<void>;
}

/** Serves /results.html, /compare.html and /webview/* on 127.0.0.1. */
export async function startPanelServer(): Promise<PanelServer> {
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const page = /^\/(results|compare|study|score)\.html$/.exec(url.pathname);
    if (page) {
      const bundle = page[1];
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      res.end(panelHtml({
        title: bundle,
        cspSource: origin,
        nonce: newNonce(),
        scriptUri: `${origin}/webview/${bundle}.js`,
        styleUris: [`${origin}/webview/uPlot.min.css`, `${origin}/webview/panel.css`],
      }));
      return;
    }
    const file = path.join(WEBVIEW_DIR, path.normalize(url.pathname.replace(/^\/webview\//, '')));
    if (!url.pathname.startsWith('/webview/') || !file.startsWith(WEBVIEW_DIR) || !fs.existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What the fake host saw. */
export interface HostRecord {
  fromWebview: (ResultsWebviewToHost | CompareWebviewToHost | StudyWebviewToHost | ScoreWebviewToHost)[];
  saved: PanelExportFile[];
  thresholdWrites: { value: number; text: string }[];
  cspViolations: string[];
  errors: string[];
}

export interface OpenPanel extends HostRecord {
  page: Page;
  post(message: HostToResultsWebview | HostToCompareWebview | HostToStudyWebview | HostToScoreWebview): Promise<void>;
  /** Replaces what `ready` answers with (live tests change the run between loads). */
  setRun(run: PanelRunData): void;
}

// tsx compiles the test's page.evaluate callbacks with esbuild's keepNames, which calls __name.
const INIT_SCRIPT = `
  globalThis.__name = globalThis.__name || ((f) => f);
  window.aelabCspDetail = true;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => window.aelabToHost(m),
    getState: () => { const s = sessionStorage.getItem('aelab-state'); return s ? JSON.parse(s) : undefined; },
    setState: (s) => sessionStorage.setItem('aelab-state', JSON.stringify(s)),
  });
  document.addEventListener('securitypolicyviolation', (e) => window.aelabCsp(e.violatedDirective + ' ' + e.blockedURI + (window.aelabCspDetail ? ' ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber + ' ' + e.sample : '')));
`;

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** The experiment file "Use this threshold" writes to (a temporary copy). */
  experimentPath?: string;
  /** Score panel: what the host sends on `ready`, and the thumbnails of the files a page asks for. */
  score?: { init: HostToScoreWebview; thumbnails(files: string[]): { width: number; height: number; images: ScoredImageThumbnails[] } };
}

/** Opens a Results panel on `runDirs[0]`, a Compare or Study panel on all of them, or a Score panel on options.score. */
export async function openPanel(browser: Browser, server: PanelServer, kind: 'results' | 'compare' | 'study' | 'score', runDirs: string[], options: OpenOptions = {}): Promise<OpenPanel> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const record: HostRecord = { fromWebview: [], saved: [], thresholdWrites: [], cspViolations: [], errors: [] };
  let override: PanelRunData | undefined;
  const load = (dir: string): PanelRunData => {
    const run = loadPanelRun(dir);
    if (options.experimentPath) run.experimentPath = options.experimentPath;
    return run;
  };
  const post = (message: HostToResultsWebview | HostToCompareWebview | HostToStudyWebview | HostToScoreWebview) => page.evaluate((m) => { window.postMessage(m, '*'); }, message);

  page.on('pageerror', (err) => record.errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') record.errors.push(msg.text());
  });
  await page.exposeBinding('aelabCsp', (_source, text) => { record.cspViolations.push(String(text)); });
  await page.exposeBinding('aelabToHost', async (_source, raw) => {
    const message = raw as ResultsWebviewToHost | CompareWebviewToHost | StudyWebviewToHost | ScoreWebviewToHost;
    record.fromWebview.push(message);
    switch (message.type) {
      case 'ready':
        if (kind === 'results') await post({ type: 'init', run: override ?? load(runDirs[0]), images: imageSourceOf(runDirs[0]) });
        else if (kind === 'study') await post(loadStudyRuns(runDirs));
        else if (kind === 'score' && options.score) await post(options.score.init);
        else await post({ type: 'init', runs: runDirs.map(load) });
        return;
      case 'requestImages':
        try {
          const { width, height, images } = loadTestImages(runDirs[0], message.indices);
          await post({ type: 'images', requestId: message.requestId, width, height, images });
        } catch (err) {
          await post({ type: 'images', requestId: message.requestId, width: 0, height: 0, images: [], error: (err as Error).message });
        }
        return;
      case 'requestThumbnails':
        if (options.score) await post({ type: 'thumbnails', requestId: message.requestId, ...options.score.thumbnails(message.files) });
        return;
      case 'useThreshold': {
        const file = options.experimentPath;
        if (!file) return;
        const text = setManualThreshold(fs.readFileSync(file, 'utf8'), message.value);
        fs.writeFileSync(file, text);
        record.thresholdWrites.push({ value: message.value, text });
        await post({ type: 'thresholdSaved', value: message.value, experimentPath: file });
        return;
      }
      case 'saveFile':
        record.saved.push(message.file);
        return;
      case 'openRun':
      case 'generateReport':
        return;
    }
  });
  await page.addInitScript({ content: INIT_SCRIPT });
  await page.goto(`${server.origin}/${kind}.html`);
  return { ...record, page, post, setRun: (run) => { override = run; } };
}

/** Waits until the panel finished rendering `count` times (init renders once). */
export async function waitRendered(page: Page, count = 1, timeout = 15_000): Promise<void> {
  await page.waitForFunction((n) => Number(document.body.dataset.rendered ?? 0) >= n, count, { timeout });
}

/** Fraction of a canvas's pixels that are not transparent and not the first pixel's colour. */
export async function canvasInk(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(sel) as HTMLCanvasElement | null;
    if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] !== 0 && (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3])) ink++;
    }
    return ink / (d.length / 4);
  }, selector);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Full-page screenshots for people (and CI artifacts): out/screenshots/browser/<name>.png. */
export const SCREENSHOT_DIR = process.env.AELAB_SCREENSHOT_DIR ?? path.join(ROOT, 'out', 'screenshots', 'browser');

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A panel page that loaded without Content Security Policy violations or page errors. */
export function assertClean(panel: OpenPanel): void {
  assert.deepEqual(panel.cspViolations, [], 'no Content Security Policy violations');
  assert.deepEqual(panel.errors, [], 'no page errors');
}
