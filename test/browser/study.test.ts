// The Study panel webview in headless chromium on a recorded study (two architectures x two
// noise levels x two seeds, plus two one-class runs): grouping over seeds, sort, filter, hidden
// columns, CSV export equal to the shown table, and the metric-vs-parameter chart's axes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunConfigFile, RunSummary } from '../../src/core/runFormat';
import { buildWebviewBundles, openPanel, OpenPanel, PanelServer, saveScreenshot, startPanelServer, waitRendered } from './harness';
import { Browser, launchChromium, missingPrerequisite, Page } from './playwright';
import { writeStudyFixture } from './studyFixture';

const missing = missingPrerequisite();

interface ShownTable { header: string[]; rows: { runs: string[]; cells: string[] }[] }

async function tableShown(page: Page): Promise<ShownTable> {
  return page.evaluate(() => ({
    header: Array.from(document.querySelectorAll('#experiments th')).map((th) => (th.textContent ?? '').replace(/ [▲▼]$/, '')),
    rows: Array.from(document.querySelectorAll('#experiments tbody tr')).map((tr) => ({
      runs: ((tr as HTMLElement).dataset.runs ?? '').split(' '),
      cells: Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? ''),
    })),
  }));
}

async function change(page: Page, selector: string, value: string): Promise<void> {
  await page.evaluate(([sel, v]) => {
    const el = document.querySelector(sel) as HTMLInputElement | HTMLSelectElement;
    el.value = v;
    el.dispatchEvent(new Event('change'));
  }, [selector, value] as [string, string]);
}

(missing ? describe.skip : describe)('study panel in chromium', function () {
  this.timeout(180_000);
  let browser: Browser;
  let server: PanelServer;
  let panel: OpenPanel;
  let renders = 1;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-study-panel-'));
  const study = writeStudyFixture(root, 120);
  const summaries = new Map(study.runDirs.map((dir) => {
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as RunConfigFile;
    return [s.runId, { s, c }];
  }));
  const rerendered = async () => { renders++; await waitRendered(panel.page, renders); };

  before(async () => {
    await buildWebviewBundles();
    server = await startPanelServer();
    browser = await launchChromium();
    panel = await openPanel(browser, server, 'study', study.runDirs, { viewport: { width: 900, height: 1000 } });
    await waitRendered(panel.page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('groups runs over seeds with mean ± std of their summaries, and shows each run when ungrouped', async () => {
    const grouped = await tableShown(panel.page);
    assert.equal(grouped.rows.length, 6);
    assert.ok(!grouped.header.includes('seed'));
    const auroc = grouped.header.indexOf('AUROC');
    for (const row of grouped.rows) {
      const values = row.runs.map((id) => summaries.get(id)?.s.auroc as number);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
      assert.equal(row.cells[auroc], values.length > 1 ? `${mean.toFixed(4)} ± ${std.toFixed(4)}` : mean.toFixed(4));
    }
    // The architecture column is highlighted where it differs from the most common value.
    const changed = await panel.page.evaluate(() => Array.from(document.querySelectorAll('#experiments td.changed')).map((td) => (td as HTMLElement).dataset.key));
    assert.ok(changed.includes('model.architecture') || changed.includes('corruption.level'));
    await panel.page.click('#group-by-seed');
    await rerendered();
    const perRun = await tableShown(panel.page);
    assert.equal(perRun.rows.length, 10);
    assert.ok(perRun.header.includes('seed'));
    await panel.page.click('#group-by-seed');
    await rerendered();
  });

  it('sorts by a clicked column, filters rows, hides columns, and the CSV is exactly the shown table', async () => {
    await panel.page.click('#experiments th[data-key="auroc"]');
    await rerendered();
    let shown = await tableShown(panel.page);
    const auroc = shown.header.indexOf('AUROC');
    const means = shown.rows.map((r) => Number(r.cells[auroc].split(' ')[0]));
    assert.deepEqual(means, [...means].sort((a, b) => b - a), 'descending by AUROC');
    await panel.page.click('#experiments th[data-key="auroc"]');
    await rerendered();
    shown = await tableShown(panel.page);
    const ascending = shown.rows.map((r) => Number(r.cells[auroc].split(' ')[0]));
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b), 'a second click sorts ascending');

    await change(panel.page, '#filter', 'fcn-simple');
    await rerendered();
    await panel.page.click('#columns input[data-key="averagePrecision"]');
    await rerendered();
    shown = await tableShown(panel.page);
    assert.equal(shown.rows.length, 2);
    for (const r of shown.rows) assert.ok(r.cells.includes('fcn-simple'));
    assert.ok(!shown.header.includes('AP'), 'AP hidden');

    await panel.page.click('#export-csv');
    await panel.page.waitForFunction(() => true);
    const deadline = Date.now() + 5000;
    while (panel.saved.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const csv = panel.saved.find((f) => f.kind === 'csv');
    assert.ok(csv && csv.kind === 'csv');
    const lines = csv.text.trimEnd().split('\r\n').map((l) => l.split(','));
    assert.deepEqual(lines, [shown.header, ...shown.rows.map((r) => r.cells)]);
    await change(panel.page, '#filter', '');
    await rerendered();
    await panel.page.click('#columns input[data-key="averagePrecision"]');
    await rerendered();
  });

  it('plots the chosen metric against the chosen parameter, one line per series value', async () => {
    await change(panel.page, '#chart-x', 'corruption.level');
    await rerendered();
    await change(panel.page, '#chart-y', 'f1');
    await rerendered();
    await change(panel.page, '#chart-series', 'model.architecture');
    await rerendered();
    const chart = await panel.page.evaluate(() => {
      const el = document.getElementById('chart') as HTMLElement;
      const svg = el.querySelector('svg') as SVGSVGElement;
      return {
        x: el.dataset.x, y: el.dataset.y, series: el.dataset.series, lines: svg.querySelectorAll('polyline').length,
        texts: Array.from(svg.querySelectorAll('text')).map((t) => t.textContent), width: svg.getBoundingClientRect().width,
      };
    });
    assert.equal(chart.x, 'corruption.level');
    assert.equal(chart.y, 'f1');
    assert.equal(chart.series, 'model.architecture');
    assert.ok(chart.texts.includes('corruption.level'), 'x axis title');
    assert.ok(chart.texts.some((t) => t?.startsWith('F1 (mean')), 'y axis title');
    assert.ok(chart.texts.includes('model.architecture = cnn') && chart.texts.includes('model.architecture = fcn-simple'));
    // The one-class runs have no single noise-study setting... they do have corruption.level 0.2 and cnn.
    assert.ok(chart.lines >= 2);
    assert.ok(chart.width > 700 && chart.width <= 900, `the chart fills the panel (${chart.width}px)`);
    const oneClass = await panel.page.evaluate(() => Array.from(document.querySelectorAll('#one-class svg text')).map((t) => t.textContent));
    assert.ok(oneClass.includes('One-Class Deep SVDD (published)'));
    assert.deepEqual(panel.cspViolations, []);
    assert.deepEqual(panel.errors, []);
    await saveScreenshot(panel.page, 'study-panel');
  });
});
