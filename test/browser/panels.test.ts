// Browser tests of the Results and Compare webviews: the production bundle in headless Debian
// chromium (playwright-core), on the recorded run fixture, behind the panels' real CSP.
//   npx mocha --no-config --extension ts --node-option import=tsx test/browser/*.test.ts
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { confusionAt } from '../../src/core/metrics';
import { readMetrics, readScores } from '../../src/core/runFolder';
import type { PanelRunData, ResultsWebviewToHost } from '../../src/core/protocol';
import { imageSourceOf, loadPanelRun } from '../../src/extension/panels/panelData';
import { PanelServer, assertClean, buildWebviewBundles, canvasInk, openPanel, OpenPanel, percentile, saveScreenshot, startPanelServer, waitRendered } from './harness';
import { FIXTURE_DIR, FIXTURE_EXPERIMENT, writeRunFixture } from './makeFixture';
import { Browser, describeInChromium, launchChromium, Page } from './playwright';

const CHARTS = ['#loss', '#histogram', '#sweep', '#roc', '#pr'];

async function confusionShown(page: Page): Promise<{ tp: number; tn: number; fp: number; fn: number; threshold: number }> {
  return page.evaluate(() => {
    const n = (id: string) => Number((document.getElementById(id)?.textContent ?? '').replace(/,/g, ''));
    const handle = document.getElementById('threshold-handle');
    return { tp: n('cell-tp'), tn: n('cell-tn'), fp: n('cell-fp'), fn: n('cell-fn'), threshold: Number(handle?.getAttribute('aria-valuenow')) };
  });
}

async function sampleRows(page: Page): Promise<{ index: number; label: number; score: number }[]> {
  await page.waitForFunction(() => document.getElementById('sample-grid')?.dataset.state === 'ready' && document.querySelectorAll('#sample-grid tr.sample').length > 0);
  return page.evaluate(() => Array.from(document.querySelectorAll<HTMLElement>('#sample-grid tr.sample')).map((tr) => ({
    index: Number(tr.dataset.index), label: Number(tr.dataset.label), score: Number(tr.dataset.score),
  })));
}

async function chooseSampleMode(page: Page, mode: string): Promise<void> {
  await page.evaluate((m) => {
    const dropdown = document.getElementById('sample-mode') as (HTMLElement & { value: string }) | null;
    if (!dropdown) throw new Error('no sample-mode dropdown');
    document.getElementById('sample-grid')?.setAttribute('data-state', 'loading');
    dropdown.value = m;
    dropdown.dispatchEvent(new Event('change'));
  }, mode);
}

/** Drags the threshold handle by dx pixels with real mouse events; returns frame intervals (ms). */
async function dragHandle(page: Page, dx: number, steps: number): Promise<number[]> {
  const handle = await page.$('#threshold-handle');
  const box = await handle?.boundingBox();
  assert.ok(box, 'the threshold handle is visible');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.evaluate(() => {
    const w = window as unknown as { aelabFrames: number[]; aelabFrameLoop: boolean };
    w.aelabFrames = [];
    w.aelabFrameLoop = true;
    let last = performance.now();
    const tick = (now: number) => {
      w.aelabFrames.push(now - last);
      last = now;
      if (w.aelabFrameLoop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y, { steps });
  await page.mouse.up();
  return page.evaluate(() => {
    const w = window as unknown as { aelabFrames: number[]; aelabFrameLoop: boolean };
    w.aelabFrameLoop = false;
    return w.aelabFrames.slice(1);
  });
}

describeInChromium('panel webviews in chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: PanelServer;
  let tmp: string;
  let experimentFile: string;
  const fixture = readScores(FIXTURE_DIR);

  before(async () => {
    if (!fs.existsSync(path.join(FIXTURE_DIR, 'summary.json'))) writeRunFixture(FIXTURE_DIR, { count: 500 });
    await buildWebviewBundles();
    server = await startPanelServer();
    browser = await launchChromium();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-browser-'));
    experimentFile = path.join(tmp, 'fixture.aelab.yaml');
    fs.writeFileSync(experimentFile, FIXTURE_EXPERIMENT);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('results panel', () => {
    let panel: OpenPanel;
    before(async () => {
      panel = await openPanel(browser, server, 'results', [FIXTURE_DIR], { experimentPath: experimentFile });
      await waitRendered(panel.page);
    });

    it('says ready first (the handshake)', () => {
      assert.equal(panel.fromWebview[0]?.type, 'ready');
    });

    it('draws every chart (canvas not blank)', async () => {
      for (const id of CHARTS) {
        const ink = await canvasInk(panel.page, `${id} .uplot canvas`);
        assert.ok(ink > 0.005, `${id} has drawn pixels (ink ${ink.toFixed(4)})`);
      }
      await saveScreenshot(panel.page, 'results-panel');
      assertClean(panel);
    });

    it('shows the confusion counts of the chosen threshold', async () => {
      const shown = await confusionShown(panel.page);
      const expected = confusionAt(fixture.scores, fixture.labels, shown.threshold);
      assert.deepEqual({ tp: shown.tp, tn: shown.tn, fp: shown.fp, fn: shown.fn }, expected);
    });

    it('dragging the marker changes the counts to what core computes for the new threshold', async () => {
      const before = await confusionShown(panel.page);
      await dragHandle(panel.page, 140, 20);
      const after = await confusionShown(panel.page);
      assert.ok(after.threshold > before.threshold, `the threshold moved right (${before.threshold} -> ${after.threshold})`);
      assert.deepEqual({ tp: after.tp, tn: after.tn, fp: after.fp, fn: after.fn }, confusionAt(fixture.scores, fixture.labels, after.threshold));
      assert.notDeepEqual(after, before);
      await dragHandle(panel.page, -260, 20);
      const back = await confusionShown(panel.page);
      assert.ok(back.threshold < after.threshold);
      assert.deepEqual({ tp: back.tp, tn: back.tn, fp: back.fp, fn: back.fn }, confusionAt(fixture.scores, fixture.labels, back.threshold));
      // Metrics follow the counts.
      const f1 = await panel.page.evaluate(() => Number(document.getElementById('metric-f1')?.textContent));
      const c = confusionAt(fixture.scores, fixture.labels, back.threshold);
      assert.equal(f1.toFixed(3), ((2 * c.tp) / (2 * c.tp + c.fp + c.fn)).toFixed(3));
    });

    it('zooms the histogram by dragging on the plot and back by double-clicking; log toggles redraw', async () => {
      const hash = () => panel.page.evaluate(() => {
        const c = document.querySelector('#histogram .uplot canvas') as HTMLCanvasElement;
        const d = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let h = 0;
        for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0;
        return h;
      });
      const box = await (await panel.page.$('#histogram .u-over'))?.boundingBox();
      assert.ok(box);
      const handle = await (await panel.page.$('#threshold-handle'))?.boundingBox();
      const full = await hash();
      // Select the left 40% (away from the handle, which sits further right at the chosen threshold).
      const from = box.x + 4;
      const to = box.x + Math.min(box.width * 0.4, (handle?.x ?? box.x + box.width) - box.x - 20);
      await panel.page.mouse.move(from, box.y + 20);
      await panel.page.mouse.down();
      await panel.page.mouse.move(to, box.y + 20, { steps: 5 });
      await panel.page.mouse.up();
      await panel.page.waitForFunction(() => true);
      const zoomed = await hash();
      assert.notEqual(zoomed, full, 'the zoomed histogram differs');
      await panel.page.evaluate(() => document.querySelector('#histogram .u-over')?.dispatchEvent(new MouseEvent('dblclick', { bubbles: true })));
      assert.equal(await hash(), full, 'double-click restores the full range');
      for (const id of ['#hist-log-y', '#hist-log-x', '#loss-log']) {
        await panel.page.click(id);
        await panel.page.click(id);
      }
      for (const id of ['#histogram', '#loss']) assert.ok(await canvasInk(panel.page, `${id} .uplot canvas`) > 0.005);
      assertClean(panel);
    });

    it('"false positives" shows normal images scoring at or above the threshold', async () => {
      await chooseSampleMode(panel.page, 'false-positives');
      const rows = await sampleRows(panel.page);
      const { threshold } = await confusionShown(panel.page);
      const fpCount = confusionAt(fixture.scores, fixture.labels, threshold).fp;
      assert.equal(rows.length, Math.min(8, fpCount));
      for (const r of rows) {
        assert.equal(r.label, 0, `#${r.index} is normal`);
        assert.ok(fixture.scores[r.index] >= threshold, `#${r.index} scores >= threshold`);
        assert.equal(fixture.labels[r.index], 0);
      }
      // Highest-scoring first.
      const scores = rows.map((r) => fixture.scores[r.index]);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    });

    it('"false negatives" shows anomalies scoring below the threshold', async () => {
      await chooseSampleMode(panel.page, 'false-negatives');
      const rows = await sampleRows(panel.page);
      const { threshold } = await confusionShown(panel.page);
      assert.ok(rows.length > 0);
      for (const r of rows) assert.ok(fixture.labels[r.index] === 1 && fixture.scores[r.index] < threshold, `#${r.index} is a false negative`);
    });

    it('"highest score" shows the top scores of each group; every row has four crisp images', async () => {
      await chooseSampleMode(panel.page, 'highest');
      const rows = await sampleRows(panel.page);
      const normals = rows.filter((r) => r.label === 0).map((r) => r.index);
      const anomalies = rows.filter((r) => r.label === 1).map((r) => r.index);
      assert.equal(normals.length, 4);
      assert.equal(anomalies.length, 4);
      const top = (label: number) => [...fixture.scores.keys()].filter((i) => fixture.labels[i] === label).sort((a, b) => fixture.scores[b] - fixture.scores[a] || a - b).slice(0, 4);
      assert.deepEqual(normals, top(0));
      assert.deepEqual(anomalies, top(1));
      const canvases = await panel.page.evaluate(() => Array.from(document.querySelectorAll<HTMLCanvasElement>('#sample-grid canvas.pixels')).map((c) => ({
        plane: c.dataset.plane, rendering: getComputedStyle(c).imageRendering, width: c.width, shown: c.getBoundingClientRect().width,
      })));
      assert.equal(canvases.length, rows.length * 4);
      for (const c of canvases) {
        assert.equal(c.rendering, 'pixelated');
        assert.ok(c.shown >= 2 * c.width, 'images are enlarged');
      }
      assert.ok(await canvasInk(panel.page, '#sample-grid canvas[data-plane="difference"]') > 0, 'the heatmap is drawn');
      assert.ok(await panel.page.evaluate(() => document.getElementById('heat-legend') !== null), 'the heatmap has a colour scale');
    });

    it('clicking a confusion cell shows the images behind it', async () => {
      await panel.page.click('#cell-tp');
      const rows = await sampleRows(panel.page);
      const { threshold } = await confusionShown(panel.page);
      assert.ok(rows.length > 0);
      for (const r of rows) assert.ok(fixture.labels[r.index] === 1 && fixture.scores[r.index] >= threshold, `#${r.index} is a true positive`);
    });

    it('clicking a histogram bar shows the images in that bin', async () => {
      // The previous click scrolled the sample grid into view.
      await panel.page.evaluate(() => document.getElementById('histogram')?.scrollIntoView({ behavior: 'instant', block: 'start' }));
      const box = await (await panel.page.$('#histogram .u-over'))?.boundingBox();
      assert.ok(box);
      await panel.page.evaluate(() => document.getElementById('sample-grid')?.setAttribute('data-state', 'loading'));
      // Inside the bulk of the normal scores, away from the threshold handle (a drag target).
      const handle = await (await panel.page.$('#threshold-handle'))?.boundingBox();
      let x = box.x + box.width * 0.12;
      if (handle && Math.abs(handle.x + handle.width / 2 - x) < 30) x = box.x + box.width * 0.25;
      await panel.page.mouse.click(x, box.y + box.height - 5);
      const rows = await sampleRows(panel.page);
      const label = await panel.page.evaluate(() => document.getElementById('samples-status')?.textContent ?? '');
      const m = /\[([^,]+), ([^)]+)\)/.exec(label);
      assert.ok(m, `the status names the bin: ${label}`);
      const [lo, hi] = [Number(m[1]), Number(m[2])];
      for (const r of rows) {
        const s = fixture.scores[r.index];
        // Bin edges are shown with 4 significant digits.
        assert.ok(s >= lo * 0.999 && s <= hi * 1.001, `#${r.index} score ${s} is in [${lo}, ${hi})`);
      }
    });

    it('"Use this threshold" writes strategy manual + the value, keeping comments', async () => {
      await panel.page.click('#use-threshold');
      await panel.page.waitForFunction(() => (document.getElementById('threshold-saved')?.textContent ?? '') !== '');
      const sent = panel.fromWebview.find((m): m is Extract<ResultsWebviewToHost, { type: 'useThreshold' }> => m.type === 'useThreshold');
      assert.ok(sent);
      const { threshold } = await confusionShown(panel.page);
      assert.equal(sent.value, threshold, 'what is saved is what is shown');
      const text = fs.readFileSync(experimentFile, 'utf8');
      assert.match(text, /strategy: manual/);
      assert.match(text, new RegExp(`value: ${String(sent.value).replace('.', '\\.')}`));
      assert.match(text, /# Synthetic run for the panel tests\./);
    });

    it('exports a chart as PNG (pixel ratio 2) and SVG, and the metrics and scores as CSV through the host', async () => {
      await panel.page.click('#histogram-png');
      await panel.page.click('#loss-svg');
      await panel.page.click('#export-metrics');
      await panel.page.click('#export-scores');
      await panel.page.waitForFunction(() => true);
      const deadline = Date.now() + 5000;
      while (panel.saved.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const png = panel.saved.find((f) => f.kind === 'png');
      assert.ok(png && png.kind === 'png');
      const bytes = Buffer.from(png.base64, 'base64');
      assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG');
      // The page runs at device pixel ratio 1; the export is drawn again at 2.
      const cssWidth = await panel.page.evaluate(() => (document.querySelector('#histogram .uplot canvas') as HTMLCanvasElement).getBoundingClientRect().width);
      assert.equal(bytes.readUInt32BE(16), Math.round(cssWidth) * 2, 'PNG at 2x the chart width');
      const svg = panel.saved.find((f) => f.kind === 'svg');
      assert.ok(svg && svg.kind === 'svg' && svg.suggestedName.endsWith('-loss-per-epoch.svg'));
      assert.match(svg.text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(svg.text, /<title>Loss per epoch<\/title>/);
      // One polyline per loss series, with one vertex per recorded epoch.
      const lines = [...svg.text.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
      assert.ok(lines.length >= 2 && lines.every((n) => n === readMetrics(FIXTURE_DIR).length), `polylines ${lines} vs ${readMetrics(FIXTURE_DIR).length} epochs`);
      const csvs = panel.saved.filter((f): f is Extract<typeof f, { kind: 'csv' }> => f.kind === 'csv');
      assert.ok(csvs.some((c) => c.suggestedName.endsWith('-metrics.csv') && /^row,threshold,tp,tn,fp,fn/.test(c.text) && /\nmarker,/.test(c.text)));
      const scores = csvs.find((c) => c.suggestedName.endsWith('-scores.csv'));
      assert.ok(scores);
      assert.equal(scores.text.trim().split('\n').length, fixture.scores.length + 1);
    });

    it('restores its threshold and settings after a reload (webview state)', async () => {
      const before = await confusionShown(panel.page);
      await panel.page.reload();
      await waitRendered(panel.page);
      const after = await confusionShown(panel.page);
      assert.equal(after.threshold, before.threshold);
      assertClean(panel);
    });
  });

  it('live: epochs arrive while training; scores fill in on completion without reopening', async () => {
    const dir = path.join(tmp, 'live-run');
    writeRunFixture(dir, { count: 500 });
    const full = loadPanelRun(dir);
    const training: PanelRunData = { ...full, state: 'running', summary: undefined, scores: undefined, metrics: full.metrics.slice(0, 2) };
    const panel = await openPanel(browser, server, 'results', [dir]);
    panel.setRun(training);
    await panel.page.reload();
    await waitRendered(panel.page);
    const points = () => panel.page.evaluate(() => document.getElementById('loss-status')?.textContent ?? '');
    assert.match(await points(), /^2 of 12 epochs/);
    assert.equal(await panel.page.evaluate(() => document.getElementById('histogram')), null);
    for (let n = 3; n <= 5; n++) {
      await panel.post({ type: 'progress', state: 'running', stale: false, metrics: full.metrics.slice(0, n) });
      await panel.page.waitForFunction((k) => (document.getElementById('loss-status')?.textContent ?? '').startsWith(`${k} of`), n);
    }
    assert.ok(await canvasInk(panel.page, '#loss .uplot canvas') > 0.005);
    await panel.post({ type: 'init', run: full, images: imageSourceOf(dir) });
    await panel.page.waitForFunction(() => document.getElementById('histogram') !== null);
    await waitRendered(panel.page, 2);
    for (const id of CHARTS) assert.ok(await canvasInk(panel.page, `${id} .uplot canvas`) > 0.005, `${id} drawn after completion`);
    assertClean(panel);
  });

  it('compare panel: table of runs, overlaid loss and ROC curves, score distributions', async () => {
    const second = writeRunFixture(path.join(tmp, 'second-run'), { count: 400, seed: 11, runId: '20260102-090000-b2c3' });
    const third = writeRunFixture(path.join(tmp, 'third-run'), { count: 300, seed: 12, runId: '20260103-090000-d4e5' });
    const panel = await openPanel(browser, server, 'compare', [FIXTURE_DIR, second, third]);
    await waitRendered(panel.page);
    const rows = await panel.page.evaluate(() => Array.from(document.querySelectorAll('#compare-table tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    assert.equal(rows.length, 3);
    assert.match(rows[0].join(" "), /completed cnn mse gaussian 0\.2 on 10% none 9\/12 \(early stop\)/);
    assert.ok(await canvasInk(panel.page, '#compare-loss .uplot canvas') > 0.005);
    assert.ok(await canvasInk(panel.page, '#compare-curves .uplot canvas') > 0.005);
    await saveScreenshot(panel.page, 'compare-panel');
    await panel.page.click('#compare-loss-svg');
    await panel.page.click('#compare-curves-png');
    const deadline = Date.now() + 5000;
    while (panel.saved.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const svg = panel.saved.find((f) => f.kind === 'svg');
    assert.ok(svg && svg.kind === 'svg');
    assert.equal([...svg.text.matchAll(/<polyline /g)].length, 6, 'train and validation loss of three runs');
    const png = panel.saved.find((f) => f.kind === 'png');
    assert.ok(png && png.kind === 'png');
    const cssWidth = await panel.page.evaluate(() => (document.querySelector('#compare-curves .uplot canvas') as HTMLCanvasElement).getBoundingClientRect().width);
    assert.equal(Buffer.from(png.base64, 'base64').readUInt32BE(16), Math.round(cssWidth) * 2, 'PNG at pixel ratio 2');
    await panel.page.evaluate(() => {
      const d = document.getElementById('compare-curves-mode') as (HTMLElement & { value: string }) | null;
      if (!d) throw new Error('no mode dropdown');
      d.value = 'distributions';
      d.dispatchEvent(new Event('change'));
    });
    await waitRendered(panel.page, 2);
    assert.ok(await canvasInk(panel.page, '#compare-curves .uplot canvas') > 0.005);
    assertClean(panel);
  });

  it('performance: opens a 10,000-image run in under a second and keeps dragging smooth', async function () {
    const dir = path.join(tmp, 'big-run');
    writeRunFixture(dir, { count: 10_000 });
    const t0 = Date.now();
    const panel = await openPanel(browser, server, 'results', [dir]);
    await waitRendered(panel.page);
    const wall = Date.now() - t0;
    const renderedAt = await panel.page.evaluate(() => window.aelabPerf?.renderedAt ?? NaN);
    const big = readScores(dir);
    const frames = await dragHandle(panel.page, 300, 60);
    const updates = await panel.page.evaluate(() => window.aelabPerf?.thresholdUpdates ?? []);
    const after = await confusionShown(panel.page);
    assert.deepEqual({ tp: after.tp, tn: after.tn, fp: after.fp, fn: after.fn }, confusionAt(big.scores, big.labels, after.threshold));
    const report = {
      openMsFromNavigation: Math.round(renderedAt),
      openMsWallClockIncludingNewTab: wall,
      thresholdUpdates: updates.length,
      updateMedianMs: Number(percentile(updates, 50).toFixed(2)),
      updateP95Ms: Number(percentile(updates, 95).toFixed(2)),
      frameMedianMs: Number(percentile(frames, 50).toFixed(2)),
      frameP95Ms: Number(percentile(frames, 95).toFixed(2)),
      frames: frames.length,
    };
    console.log(`      10,000 images: ${JSON.stringify(report)}`);
    assert.ok(renderedAt < 1000, `opened in ${renderedAt} ms`);
    assert.ok(report.updateP95Ms < 16, `a threshold move costs ${report.updateP95Ms} ms at p95`);
    assertClean(panel);
  });
});
