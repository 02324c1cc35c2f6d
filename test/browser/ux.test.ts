// Browser tests of the paths users fell off (issue 12): an off-scale threshold, typed input that
// is not a number, feedback for clicks far from the sample grid, layouts from a 352 px webview
// to 2,560 px. Screenshots of the fixed states go to test-results/browser/.
//   npx mocha --no-config --extension ts --node-option import=tsx --timeout 120000 test/browser/ux.test.ts
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { confusionAt } from '../../src/core/metrics';
import { readScores } from '../../src/core/runFolder';
import { imageSourceOf, loadPanelRun } from '../../src/extension/panels/panelData';
import { PanelServer, assertClean, buildWebviewBundles, canvasInk, openPanel, OpenPanel, ROOT, startPanelServer, waitRendered } from './harness';
import { FIXTURE_DIR, writeRunFixture } from './makeFixture';
import { Browser, launchChromium, missingPrerequisite, Page } from './playwright';

const SHOTS = path.join(ROOT, 'test-results', 'browser');

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function handleState(page: Page): Promise<{ visible: boolean; value: number }> {
  return page.evaluate(() => {
    const handle = document.getElementById('threshold-handle');
    return { visible: !!handle && getComputedStyle(handle).display !== 'none', value: Number(handle?.getAttribute('aria-valuenow')) };
  });
}

const text = (page: Page, id: string) => page.evaluate((i) => document.getElementById(i)?.textContent ?? '', id);

async function typeThreshold(page: Page, value: string): Promise<void> {
  await page.fill('#threshold-field input', value);
  await page.keyboard.press('Enter');
}

const missing = missingPrerequisite();

(missing ? describe.skip : describe)('panel webviews: paths users fell off', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: PanelServer;
  let tmp: string;
  const fixture = readScores(FIXTURE_DIR);
  const maxScore = Math.max(...fixture.scores);

  before(async () => {
    if (!fs.existsSync(path.join(FIXTURE_DIR, 'summary.json'))) writeRunFixture(FIXTURE_DIR, { count: 500 });
    await buildWebviewBundles();
    server = await startPanelServer();
    browser = await launchChromium();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-browser-ux-'));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('results panel', () => {
    let panel: OpenPanel;
    before(async () => {
      panel = await openPanel(browser, server, 'results', [FIXTURE_DIR], { viewport: { width: 1400, height: 800 } });
      await waitRendered(panel.page);
    });

    it('a threshold above every score: an off-scale marker with its value, plain words, and a way back into view', async () => {
      const threshold = Number((maxScore * 3).toPrecision(4));
      await typeThreshold(panel.page, String(threshold));
      await panel.page.waitForFunction(() => !(document.getElementById('threshold-offscale-right') as HTMLElement | null)?.hidden);
      assert.equal((await handleState(panel.page)).visible, false, 'the handle is off the plot');
      const badge = await text(panel.page, 'threshold-offscale-right');
      assert.match(badge, new RegExp(`threshold ${String(threshold).replace('.', '\\.')}`), `the badge names the threshold: ${badge}`);
      assert.equal(confusionAt(fixture.scores, fixture.labels, threshold).tp + confusionAt(fixture.scores, fixture.labels, threshold).fp, 0);
      assert.match(await text(panel.page, 'threshold-note'), /No test image reaches this threshold/);
      assert.doesNotMatch(await text(panel.page, 'histogram-hint'), /Drag the threshold handle/);
      await shot(panel.page, 'threshold-off-scale');

      await panel.page.click('#threshold-offscale-right');
      await panel.page.waitForFunction(() => (document.getElementById('threshold-offscale-right') as HTMLElement | null)?.hidden === true);
      const after = await handleState(panel.page);
      assert.equal(after.visible, true, 'the handle is back on the plot');
      assert.equal(after.value, threshold, 'at the same threshold');
      await shot(panel.page, 'threshold-brought-into-view');
      // Back to the chosen threshold: inside the range, no note.
      await panel.page.click('#reset-threshold');
      assert.equal(await text(panel.page, 'threshold-note'), '');
      assertClean(panel);
    });

    it('a typed threshold that is not a number: an error, and the last valid value shown again', async () => {
      const before = await handleState(panel.page);
      await typeThreshold(panel.page, 'abc');
      const error = await text(panel.page, 'threshold-error');
      assert.match(error, /"abc" is not a number/);
      const field = await panel.page.evaluate(() => (document.getElementById('threshold-field') as unknown as { value: string }).value);
      assert.equal(Number(field), Number(before.value.toPrecision(6)), 'the field shows the kept threshold');
      assert.ok(error.includes(field), 'the message names the kept value');
      assert.equal((await handleState(panel.page)).value, before.value, 'the threshold did not move');
      await shot(panel.page, 'threshold-typed-not-a-number');
      await typeThreshold(panel.page, String(before.value));
      assert.equal(await text(panel.page, 'threshold-error'), '', 'a valid value clears the error');
    });

    it('marker labels sit right of their line, clear of the handle', async () => {
      await typeThreshold(panel.page, String(Number((maxScore * 0.75).toPrecision(3))));
      await panel.page.waitForFunction(() => true);
      // Threshold-coloured pixels in the label band (top two rows of the plot), left and right of the line.
      const ink = await panel.page.evaluate(() => {
        const canvas = document.querySelector('#histogram .uplot canvas') as HTMLCanvasElement;
        const over = (document.querySelector('#histogram .u-over') as HTMLElement).getBoundingClientRect();
        const handle = (document.getElementById('threshold-handle') as HTMLElement).getBoundingClientRect();
        const c = canvas.getBoundingClientRect();
        const x = Math.round(handle.left + handle.width / 2 - c.left);
        const top = Math.round(over.top - c.top);
        const ctx = canvas.getContext('2d');
        const count = (x0: number) => {
          const d = ctx?.getImageData(x0, top, 70, 26).data ?? new Uint8ClampedArray();
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] > 120 && d[i + 2] < 80) n++; // yellow
          return n;
        };
        return { left: count(x - 76), right: count(x + 6) };
      });
      await shot(panel.page, 'histogram-marker-labels');
      assert.ok(ink.right > 20 && ink.left < 5, `the threshold label is right of its line (yellow pixels left ${ink.left}, right ${ink.right})`);
      await panel.page.click('#reset-threshold');
    });

    it('log x starts at the smallest score, not at the decade below it', async () => {
      // Bars in the plot's leftmost 3%: the normal histogram (blue fill) reaches the left edge.
      const leftInk = () => panel.page.evaluate(() => {
        const canvas = document.querySelector('#histogram .uplot canvas') as HTMLCanvasElement;
        const over = document.querySelector('#histogram .u-over') as HTMLElement;
        const c = canvas.getBoundingClientRect();
        const o = over.getBoundingClientRect();
        const d = canvas.getContext('2d')?.getImageData(Math.round(o.left - c.left) + 1, Math.round(o.top - c.top), Math.max(2, Math.round(o.width * 0.03)), Math.round(o.height)).data ?? new Uint8ClampedArray();
        let blue = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i + 2] > d[i] + 40) blue++;
        return blue;
      });
      await panel.page.click('#hist-log-x');
      await panel.page.waitForFunction(() => true);
      const ink = await leftInk();
      await shot(panel.page, 'histogram-log-x');
      await panel.page.click('#hist-log-x');
      assert.ok(ink > 20, `the first bars sit at the left edge (${ink} blue pixels)`);
    });

    it('clicking a confusion cell brings the sample grid into view', async () => {
      await panel.page.evaluate(() => window.scrollTo(0, 0));
      const inView = () => panel.page.evaluate(() => {
        const r = document.getElementById('samples-card')?.getBoundingClientRect();
        return !!r && r.top >= -1 && r.top < window.innerHeight - 100;
      });
      assert.equal(await inView(), false, 'the grid starts below the fold');
      await panel.page.click('#cell-fp');
      await panel.page.waitForFunction(() => {
        const r = document.getElementById('samples-card')?.getBoundingClientRect();
        return !!r && r.top >= -1 && r.top < window.innerHeight - 100;
      }, undefined, { timeout: 5000 });
      assert.match(await text(panel.page, 'samples-status'), /FP at threshold/);
      assert.deepEqual(await panel.page.evaluate(() => Array.from(document.querySelectorAll('#confusion td.selected')).map((td) => td.id)), ['cell-fp'], 'the clicked cell stays marked');
    });
  });

  it('live: per-batch loss fills the chart before the first epoch ends; wall time on the x axis', async () => {
    const dir = path.join(tmp, 'live-batches');
    writeRunFixture(dir, { count: 300 });
    const full = loadPanelRun(dir);
    const panel = await openPanel(browser, server, 'results', [dir]);
    panel.setRun({ ...full, state: 'running', summary: undefined, scores: undefined, metrics: [] });
    await panel.page.reload();
    await waitRendered(panel.page);
    const empty = await canvasInk(panel.page, '#loss .uplot canvas');
    const points = Array.from({ length: 40 }, (_, i) => ({ epoch: (i + 1) / 50, seconds: i * 0.05, loss: 0.08 * Math.exp(-i / 15) + 0.01 }));
    await panel.post({ type: 'batchLoss', from: 0, points: points.slice(0, 30) });
    await panel.post({ type: 'batchLoss', from: 30, points: points.slice(30) });
    await panel.page.waitForFunction(() => (document.querySelector('#loss .u-legend')?.textContent ?? '').includes('per batch'));
    const drawn = await canvasInk(panel.page, '#loss .uplot canvas');
    assert.ok(drawn > empty + 0.002, `the batch curve is drawn before any epoch (ink ${empty.toFixed(4)} -> ${drawn.toFixed(4)})`);
    await shot(panel.page, 'loss-live-batches');
    const hash = () => panel.page.evaluate(() => {
      const c = document.querySelector('#loss .uplot canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let h = 0;
      for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
      return h;
    });
    const byEpoch = await hash();
    await panel.page.click('#loss-time');
    await panel.page.waitForFunction(() => (document.getElementById('loss-time') as unknown as { checked: boolean }).checked);
    assert.notEqual(await hash(), byEpoch, 'redrawn against wall time');
    assert.ok(await canvasInk(panel.page, '#loss .uplot canvas') > empty + 0.002, 'still drawn against wall time');
    await shot(panel.page, 'loss-live-wall-time');
    assertClean(panel);
    await panel.page.close();
  });

  it('a weak run comes with guidance; a manual threshold from other data with a warning', async () => {
    const panel = await openPanel(browser, server, 'results', [FIXTURE_DIR]);
    await waitRendered(panel.page);
    assert.equal(await panel.page.evaluate(() => document.getElementById('guidance')), null, 'no advice for a good run');
    const run = loadPanelRun(FIXTURE_DIR);
    const summary = run.summary;
    assert.ok(summary);
    await panel.post({
      type: 'init',
      run: { ...run, summary: { ...summary, auroc: 0.58, operatingPoint: { ...summary.operatingPoint, f1: 0 } }, manualThresholdWarning: 'The manual threshold 0.0123 was chosen on run X, which had other data or corruption (corruption.level 0.2 → 0.5).' },
      images: imageSourceOf(FIXTURE_DIR),
    });
    await waitRendered(panel.page, 2);
    assert.match(await text(panel.page, 'guidance'), /AUROC 0\.58; 0\.5 is chance/);
    assert.match(await text(panel.page, 'manual-threshold-warning'), /corruption\.level 0\.2 → 0\.5/);
    await shot(panel.page, 'results-weak-run-guidance');
    assertClean(panel);
    await panel.page.close();
  });

  it('Light High Contrast (one colour for blue and orange): train and validation still differ', async () => {
    const panel = await openPanel(browser, server, 'results', [FIXTURE_DIR]);
    await waitRendered(panel.page);
    const markers = () => panel.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#loss .u-legend .u-series .u-marker')).map((m) => getComputedStyle(m).borderColor));
    await panel.page.evaluate(() => {
      document.body.className = 'vscode-high-contrast-light';
      document.documentElement.style.setProperty('--vscode-charts-blue', '#0f4a85');
      document.documentElement.style.setProperty('--vscode-charts-orange', '#0f4a85');
      document.documentElement.style.setProperty('--vscode-charts-red', '#b5200d');
    });
    await panel.page.waitForFunction(() => {
      const m = Array.from(document.querySelectorAll<HTMLElement>('#loss .u-legend .u-series .u-marker')).map((e) => getComputedStyle(e).borderColor);
      return m.includes('rgb(15, 74, 133)');
    });
    const [train, validation] = await markers();
    assert.equal(train, 'rgb(15, 74, 133)');
    assert.notEqual(validation, train, 'validation is not drawn in the train colour');
    await shot(panel.page, 'loss-light-high-contrast');
    assertClean(panel);
    await panel.page.close();
  });

  it('a deleted run: the Results panel says so, and offers no exports or writes', async () => {
    const panel = await openPanel(browser, server, 'results', [FIXTURE_DIR]);
    await waitRendered(panel.page);
    assert.equal(await text(panel.page, 'run-state'), 'completed');
    assert.ok(await panel.page.evaluate(() => document.getElementById('export-scores') !== null));
    await panel.post({ type: 'runRemoved', runDir: FIXTURE_DIR });
    await panel.page.waitForFunction(() => document.getElementById('run-state')?.textContent === 'deleted');
    assert.match(await text(panel.page, 'notice'), /folder was deleted/);
    assert.equal(await panel.page.evaluate(() => document.getElementById('export-scores')), null, 'no Scores CSV of a run that is gone');
    assert.equal(await panel.page.evaluate(() => document.getElementById('use-threshold')?.hasAttribute('disabled')), true);
    await shot(panel.page, 'results-run-deleted');
    assertClean(panel);
    await panel.page.close();
  });

  it('a deleted run: the Compare panel drops it, counts true and names it', async () => {
    const second = writeRunFixture(path.join(tmp, 'second-deleted'), { count: 300, seed: 11, runId: '20260102-090000-b2c3' });
    const third = writeRunFixture(path.join(tmp, 'third-deleted'), { count: 300, seed: 12, runId: '20260103-090000-d4e5' });
    const panel = await openPanel(browser, server, 'compare', [FIXTURE_DIR, second, third]);
    await waitRendered(panel.page);
    const rows = () => panel.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#compare-table tbody tr')).map((tr) => tr.dataset.run));
    assert.equal((await rows()).length, 3);
    await panel.post({ type: 'runRemoved', runDir: third });
    await panel.page.waitForFunction(() => document.querySelectorAll('#compare-table tbody tr').length === 2);
    assert.deepEqual((await rows()).sort(), [FIXTURE_DIR, second].sort());
    assert.equal(await text(panel.page, 'compare-title'), 'Comparing 2 runs');
    assert.match(await text(panel.page, 'notice'), new RegExp(`no longer exists \\(deleted\\): ${third.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const saved = await panel.page.evaluate(() => JSON.parse(sessionStorage.getItem('aelab-state') ?? '{}') as { runDirs?: string[] });
    assert.deepEqual(saved.runDirs?.sort(), [FIXTURE_DIR, second].sort(), 'a reload restores only the runs that exist');
    await shot(panel.page, 'compare-run-deleted');
    assertClean(panel);
    await panel.page.close();
  });

  describe('layout', () => {
    /** Elements whose content is wider than they are (cut off), and the page's horizontal overflow. */
    const overflow = (page: Page) => page.evaluate(() => {
      const cut: string[] = [];
      for (const el of Array.from(document.querySelectorAll<HTMLElement>('.card, .card table, .card-tools, .threshold-row, .metrics-row, .sample-group'))) {
        if (el.parentElement?.closest('.table-scroll')) continue; // scrolls inside its card: no column is cut
        const r = el.getBoundingClientRect();
        const parent = el.closest('.card')?.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto') cut.push(`${el.id || el.className} scroll ${el.scrollWidth} > ${el.clientWidth}`);
        if (parent && r.right > parent.right + 1) cut.push(`${el.id || el.className} ends at ${Math.round(r.right)} past its card at ${Math.round(parent.right)}`);
      }
      return { page: document.documentElement.scrollWidth - document.documentElement.clientWidth, cut };
    });
    /** Per row of cards: the fraction of the grid's width the row's cards cover (gaps count as covered). */
    const rowFill = (page: Page) => page.evaluate(() => {
      const grid = document.querySelector('main.grid')?.getBoundingClientRect();
      const rows = new Map<number, { left: number; right: number }>();
      for (const card of Array.from(document.querySelectorAll<HTMLElement>('main.grid > .card'))) {
        const r = card.getBoundingClientRect();
        const top = Math.round(r.top);
        const row = rows.get(top) ?? { left: Infinity, right: -Infinity };
        rows.set(top, { left: Math.min(row.left, r.left), right: Math.max(row.right, r.right) });
      }
      return grid ? [...rows.values()].map((r) => (r.right - r.left) / grid.width) : [];
    });

    for (const width of [352, 600, 1600, 2560]) {
      it(`results panel at ${width} px: nothing runs past the window or its card`, async () => {
        const panel = await openPanel(browser, server, 'results', [FIXTURE_DIR], { viewport: { width, height: 900 } });
        await waitRendered(panel.page);
        await panel.page.waitForFunction(() => document.getElementById('sample-grid')?.dataset.state === 'ready');
        const o = await overflow(panel.page);
        await shot(panel.page, `results-${width}px`);
        assert.equal(o.page, 0, 'no horizontal scrolling of the page');
        assert.deepEqual(o.cut, []);
        // Charts fill their cards.
        const fill = await panel.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.chart-body')).map((b) => {
          const canvas = b.querySelector('.uplot canvas')?.getBoundingClientRect();
          return { id: b.id, ratio: canvas ? canvas.width / b.getBoundingClientRect().width : 0 };
        }));
        for (const f of fill) assert.ok(f.ratio > 0.9, `${f.id} fills its card (${f.ratio.toFixed(2)})`);
        for (const f of await rowFill(panel.page)) assert.ok(f > 0.98, `every row of cards spans the panel (${f.toFixed(2)})`);
        assertClean(panel);
        await panel.page.close();
      });
    }

    for (const width of [352, 1600]) {
      it(`compare panel at ${width} px: the table keeps every column, charts fill their cards`, async () => {
        const second = writeRunFixture(path.join(tmp, `second-${width}`), { count: 300, seed: 11, runId: '20260102-090000-b2c3' });
        const panel = await openPanel(browser, server, 'compare', [FIXTURE_DIR, second], { viewport: { width, height: 900 } });
        await waitRendered(panel.page);
        const o = await overflow(panel.page);
        await shot(panel.page, `compare-${width}px`);
        assert.equal(o.page, 0, 'no horizontal scrolling of the page');
        assert.deepEqual(o.cut, []);
        const fill = await panel.page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('.chart-body')).map((b) => {
          const canvas = b.querySelector('.uplot canvas')?.getBoundingClientRect();
          return { id: b.id, ratio: canvas ? canvas.width / b.getBoundingClientRect().width : 1 };
        }));
        for (const f of fill) assert.ok(f.ratio > 0.9, `${f.id} fills its card (${f.ratio.toFixed(2)})`);
        for (const f of await rowFill(panel.page)) assert.ok(f > 0.98, `every row of cards spans the panel (${f.toFixed(2)})`);
        assertClean(panel);
        await panel.page.close();
      });
    }
  });
});

if (missing) {
  describe('panel webviews: paths users fell off', () => {
    it(`skipped: ${missing}`, () => undefined);
  });
}
