// Browser test of the Score panel (Score Images with Model...) on a scoring result made here:
// rows sorted by score (highest first), flagged rows marked at the run's threshold and again at
// another strategy's, the threshold marker where the histogram's axis puts it, per-file
// warnings listed, thumbnails a page at a time, and the CSV export equal to the list.
import { strict as assert } from 'node:assert';
import type { HostToScoreWebview, ScoreImagesResult, ScoredImageThumbnails, ScoreWebviewToHost } from '../../src/core/protocol';
import { assertClean, buildWebviewBundles, canvasInk, openPanel, OpenPanel, PanelServer, saveScreenshot, startPanelServer, waitRendered } from './harness';
import { Browser, describeInChromium, launchChromium, Page } from './playwright';

const COUNT = 230;
const SIDE = 8;
const CHOSEN = 0.15;
const PERCENTILE = 0.2;

function thumbnailOf(file: string): ScoredImageThumbnails {
  const k = Number(/(\d+)\.png$/.exec(file)?.[1] ?? 0);
  const plane = (offset: number) => Uint8Array.from({ length: SIDE * SIDE }, (_, p) => (k * 3 + p * 5 + offset) % 256);
  return { file, original: plane(0), reconstruction: plane(40), difference: plane(90) };
}

function makeResult(): { result: ScoreImagesResult; display: string[] } {
  const files = Array.from({ length: COUNT }, (_, i) => `/data/new images/img-${String(i).padStart(3, '0')}.png`);
  // Distinct scores in an order unrelated to the file order, plus one tie (files 10 and 11).
  const scores = Float32Array.from(files, (_, i) => ((i * 97) % COUNT) / 1000 + 0.0005);
  scores[11] = scores[10];
  const threshold = CHOSEN;
  const order = [...files.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
  return {
    result: {
      runDir: '/runs/exp/run-1', threshold, thresholdSource: "max-f1 (the run's chosen strategy)", scoreKind: 'mse', width: SIDE, height: SIDE,
      files, scores, flagged: Uint8Array.from(scores, (s) => (s >= threshold ? 1 : 0)), warnings: ['/data/new images/bad.png: not a PNG or JPEG; skipped'],
      thumbnails: order.slice(0, 100).map((i) => thumbnailOf(files[i])), seconds: 1.5,
    },
    display: files.map((f) => f.replace('/data/', '')),
  };
}

interface ShownRow { path: string; score: string; flagged: string; marked: boolean }

async function shownRows(page: Page): Promise<ShownRow[]> {
  return page.evaluate(() => Array.from(document.querySelectorAll('tr.score-row')).map((tr) => ({
    path: tr.getAttribute('data-path') ?? '', score: tr.getAttribute('data-score') ?? '', flagged: tr.getAttribute('data-flagged') ?? '',
    marked: tr.classList.contains('flagged') && (tr.textContent ?? '').includes('flagged'),
  })));
}

async function markerFraction(page: Page): Promise<{ fraction: number; value: number }> {
  return page.evaluate(() => {
    const marker = document.getElementById('threshold-marker');
    const over = marker?.parentElement;
    if (!marker || !over) throw new Error('no threshold marker');
    return { fraction: parseFloat(marker.style.left) / over.clientWidth, value: Number(marker.getAttribute('aria-valuenow')) };
  });
}

function expectedCsv(result: ScoreImagesResult, display: string[], threshold: number): string[] {
  const order = [...result.files.keys()].sort((a, b) => result.scores[b] - result.scores[a] || a - b);
  return ['path,score,flagged', ...order.map((i) => `${display[i]},${result.scores[i]},${result.scores[i] >= threshold}`)];
}

describeInChromium('score panel', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: PanelServer;
  let panel: OpenPanel;
  const { result, display } = makeResult();
  const init: HostToScoreWebview = {
    type: 'init', runLabel: 'exp / run-1', result, displayPaths: display, chosen: 'max-f1',
    thresholds: [{ strategy: 'percentile', value: PERCENTILE }, { strategy: 'max-f1', value: CHOSEN }],
    inputs: ['/data/new-images', '/data/one.png'],
  };

  before(async () => {
    await buildWebviewBundles();
    server = await startPanelServer();
    browser = await launchChromium();
    panel = await openPanel(browser, server, 'score', [], {
      score: { init, thumbnails: (files) => ({ width: SIDE, height: SIDE, images: files.map(thumbnailOf) }) },
    });
    await waitRendered(panel.page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists the images highest score first, flags those at or above the threshold, and lists the warnings', async () => {
    const { page } = panel;
    const rows = await shownRows(page);
    const csv = expectedCsv(result, display, CHOSEN);
    assert.equal(rows.length, 100, 'one page of 100');
    assert.deepEqual(rows.map((r) => `${r.path},${r.score},${r.flagged}`), csv.slice(1, 101));
    const scores = rows.map((r) => Number(r.score));
    assert.ok(scores.every((s, i) => i === 0 || scores[i - 1] >= s), 'descending');
    for (const r of rows) assert.equal(r.marked, Number(r.score) >= CHOSEN, `${r.path} ${r.score}: marked iff >= ${CHOSEN}`);
    const flagged = [...result.scores].filter((s) => s >= CHOSEN).length;
    assert.ok(flagged > 0 && flagged < 100, 'the page shows both flagged and unflagged images');
    const summary = await page.evaluate(() => document.getElementById('score-summary')?.textContent ?? '');
    assert.match(summary, new RegExp(`^${COUNT} image\\(s\\) scored \\(mse, 8x8\\), ${flagged} flagged at threshold 0\\.15`));
    const warnings = await page.evaluate(() => Array.from(document.querySelectorAll('#score-warnings li')).map((li) => li.textContent));
    assert.deepEqual(warnings, result.warnings);
    assert.ok(await canvasInk(page, 'tr.score-row canvas[data-plane="difference"]') > 0, 'first page thumbnails drawn from the init message');
    assert.equal(panel.fromWebview.filter((m) => m.type === 'requestThumbnails').length, 0, 'the first page came with the scores');
    // What a window reload needs to score the same files again (panels.ts revives from it).
    const state = await page.evaluate(() => JSON.parse(sessionStorage.getItem('aelab-state') ?? 'null') as { runDir?: string; inputs?: string[] } | null);
    assert.deepEqual([state?.runDir, state?.inputs], [result.runDir, init.type === 'init' ? init.inputs : []]);
    await saveScreenshot(page, 'score-panel');
    assertClean(panel);
  });

  it('puts the threshold marker where the histogram axis has the threshold', async () => {
    const { fraction, value } = await markerFraction(panel.page);
    assert.equal(value, CHOSEN);
    const lo = Math.min(CHOSEN, ...result.scores);
    const hi = Math.max(CHOSEN, ...result.scores);
    assert.ok(Math.abs(fraction - (CHOSEN - lo) / (hi - lo)) < 0.01, `marker at ${fraction} of the axis, expected ${(CHOSEN - lo) / (hi - lo)}`);
  });

  it('asks for the next page\'s thumbnails only, and exports a CSV equal to the list', async () => {
    const { page } = panel;
    await page.evaluate(() => document.getElementById('page-next')?.click());
    await page.waitForFunction(() => document.querySelectorAll('tr.score-row canvas').length === 300);
    const second = await shownRows(page);
    const csv = expectedCsv(result, display, CHOSEN);
    assert.deepEqual(second.map((r) => `${r.path},${r.score},${r.flagged}`), csv.slice(101, 201));
    const asked = panel.fromWebview.filter((m): m is Extract<ScoreWebviewToHost, { type: 'requestThumbnails' }> => m.type === 'requestThumbnails');
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0].files, second.map((r) => `/data/${r.path}`));

    await page.evaluate(() => document.getElementById('export-csv')?.click());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const saved = panel.saved.at(-1);
    assert.ok(saved && saved.kind === 'csv');
    assert.deepEqual(saved.text.trimEnd().split('\n'), csv, 'every image, in the order listed, path,score,flagged');
    assertClean(panel);
  });

  it('flags again at another strategy\'s threshold and moves the marker', async () => {
    const { page } = panel;
    await page.evaluate((strategy) => {
      const select = document.getElementById('strategy') as HTMLSelectElement;
      select.value = strategy;
      select.dispatchEvent(new Event('change'));
    }, 'percentile');
    await page.waitForFunction(() => document.getElementById('threshold-marker')?.getAttribute('aria-valuenow') === '0.2');
    const rows = await shownRows(page);
    for (const r of rows) assert.equal(r.marked, Number(r.score) >= PERCENTILE);
    const { fraction } = await markerFraction(page);
    const lo = Math.min(PERCENTILE, ...result.scores);
    const hi = Math.max(PERCENTILE, ...result.scores);
    assert.ok(Math.abs(fraction - (PERCENTILE - lo) / (hi - lo)) < 0.01);
    await page.evaluate(() => document.getElementById('export-csv')?.click());
    await new Promise((resolve) => setTimeout(resolve, 200));
    const saved = panel.saved.at(-1);
    assert.ok(saved && saved.kind === 'csv');
    assert.deepEqual(saved.text.trimEnd().split('\n'), expectedCsv(result, display, PERCENTILE));
    assertClean(panel);
  });
});
