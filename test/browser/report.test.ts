// The generated report.html in headless chromium: every figure loads, nothing breaks its CSP or
// logs an error, and the experiments table shows the runs' own summary.json numbers.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunSummary } from '../../src/core/runFormat';
import { writeReport } from '../../src/report/writeReport';
import { Browser, launchChromium, missingPrerequisite } from './playwright';
import { writeStudyFixture } from './studyFixture';

const missing = missingPrerequisite();

(missing ? describe.skip : describe)('report.html in chromium', function () {
  this.timeout(180_000);
  let browser: Browser;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-report-html-'));
  const study = writeStudyFixture(root, 150);
  const written = writeReport([study.runsDir], path.join(root, 'out'), path.join(root, 'runs'));

  before(async () => { browser = await launchChromium(); });
  after(async () => { await browser?.close(); });

  it('loads every image with no console or CSP errors, and its table numbers are the summaries', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.addInitScript({ content: `window.__csp = []; document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));` });
    await page.goto(pathToFileURL(written.html).href);
    await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
    const images = await page.evaluate(() => Array.from(document.images).map((img) => ({ alt: img.alt, width: img.naturalWidth })));
    assert.equal(images.length, written.figures.length, 'one image per figure');
    for (const img of images) assert.ok(img.width > 0, `${img.alt} loaded`);
    const csp = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    assert.deepEqual(csp, []);
    assert.deepEqual(problems, []);

    const rows = await page.evaluate(() => Array.from(document.querySelectorAll('table')[0].querySelectorAll('tr[data-runs]')).map((tr) => ({
      runs: (tr as HTMLElement).dataset.runs?.split(' ') ?? [],
      cells: Object.fromEntries(Array.from(tr.querySelectorAll('td')).map((td) => [td.dataset.key, { text: td.textContent ?? '', value: td.dataset.value }])),
    })));
    const summaries = new Map(study.runDirs.map((dir) => {
      const s = JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary;
      return [s.runId, s];
    }));
    assert.equal(rows.reduce((n, r) => n + r.runs.length, 0), summaries.size, 'every run is in the table once');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const row of rows) {
      const s = row.runs.map((id) => summaries.get(id) as RunSummary);
      const expect = { auroc: mean(s.map((x) => x.auroc)), averagePrecision: mean(s.map((x) => x.averagePrecision)), f1: mean(s.map((x) => x.operatingPoint.f1)), recall: mean(s.map((x) => x.operatingPoint.recall)) };
      for (const [key, value] of Object.entries(expect)) {
        assert.ok(Math.abs(Number(row.cells[key].value) - value) < 1e-12, `${key} of ${row.runs}: ${row.cells[key].value} vs ${value}`);
        assert.equal(row.cells[key].text.split(' ')[0], value.toFixed(4));
      }
    }
    await page.screenshot({ path: path.join(root, 'report.png'), fullPage: false });
    await context.close();
  });
});
