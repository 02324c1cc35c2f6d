// Browser test of the Results panel's "What if…" control: it asks the host for a corruption, shows
// the what-if scores the host sends (labelled not saved, confusion counts of those scores, no
// threshold writes), offers Save as run, and goes back to the run's own scores.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeThresholds, chooseThreshold } from '../../src/core/thresholds';
import { averagePrecision, confusionAt, operatingPoint, rocAuc } from '../../src/core/metrics';
import type { ResultsWebviewToHost, WhatIfResult } from '../../src/core/protocol';
import { readRun, readScores } from '../../src/core/runFolder';
import { buildWebviewBundles, openPanel, OpenPanel, PanelServer, startPanelServer, waitRendered } from './harness';
import { FIXTURE_DIR, FIXTURE_EXPERIMENT, writeRunFixture } from './makeFixture';
import { Browser, describeInChromium, launchChromium, Page } from './playwright';

async function confusionShown(page: Page): Promise<{ tp: number; tn: number; fp: number; fn: number; threshold: number }> {
  return page.evaluate(() => {
    const n = (id: string) => Number((document.getElementById(id)?.textContent ?? '').replace(/,/g, ''));
    return { tp: n('cell-tp'), tn: n('cell-tn'), fp: n('cell-fp'), fn: n('cell-fn'), threshold: Number(document.getElementById('threshold-handle')?.getAttribute('aria-valuenow')) };
  });
}

describeInChromium('results panel: what if the noise were different', function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: PanelServer;
  let panel: OpenPanel;
  let tmp: string;

  before(async () => {
    if (!fs.existsSync(path.join(FIXTURE_DIR, 'summary.json'))) writeRunFixture(FIXTURE_DIR, { count: 500 });
    await buildWebviewBundles();
    server = await startPanelServer();
    browser = await launchChromium();
    // With an experiment file, so "Use this threshold" is on for the run itself.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-whatif-browser-'));
    const experimentPath = path.join(tmp, 'fixture.aelab.yaml');
    fs.writeFileSync(experimentPath, FIXTURE_EXPERIMENT);
    panel = await openPanel(browser, server, 'results', [FIXTURE_DIR], { experimentPath });
    await waitRendered(panel.page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('asks for the chosen corruption, shows the scores sent back as a labelled what-if, and goes back', async () => {
    const { page } = panel;
    const own = readScores(FIXTURE_DIR);
    const before = await confusionShown(page);
    const useOff = () => page.evaluate(() => document.getElementById('use-threshold')?.hasAttribute('disabled'));
    assert.equal(await useOff(), false, 'the run itself can write its threshold');
    assert.deepEqual({ tp: before.tp, tn: before.tn, fp: before.fp, fn: before.fn }, confusionAt(own.scores, own.labels, before.threshold));

    await page.evaluate(() => {
      const set = (id: string, value: string) => {
        const el = document.getElementById(id) as (HTMLElement & { value: string }) | null;
        if (!el) throw new Error(`no #${id}`);
        el.value = value;
        el.dispatchEvent(new Event('change'));
      };
      set('whatif-type', 'blur');
      set('whatif-level', '1');
      document.getElementById('whatif-run')?.click();
    });
    await page.waitForFunction(() => /Scoring blur 1/.test(document.getElementById('whatif-status')?.textContent ?? ''));
    const asked = panel.fromWebview.filter((m): m is Extract<ResultsWebviewToHost, { type: 'whatIf' }> => m.type === 'whatIf');
    assert.deepEqual(asked.map((m) => m.corruption), [{ type: 'blur', level: 1 }]);

    // What the host would send: the anomalies' scores halved (a weaker corruption overlaps more).
    const scores = own.scores.map((s, i) => (own.labels[i] === 1 ? s / 2 : s));
    const config = readRun(FIXTURE_DIR).config;
    assert.ok(config);
    const thresholds = computeThresholds(config.experiment.evaluation.threshold, own.validationScores, scores, own.labels);
    const chosen = chooseThreshold(thresholds, config.experiment.evaluation.threshold.strategy);
    const result: WhatIfResult = {
      corruption: { ...config.experiment.corruption, type: 'blur', level: 1 }, scores, labels: own.labels, classes: own.classes ?? new Uint8Array(own.labels.length),
      auroc: rocAuc(scores, own.labels), averagePrecision: averagePrecision(scores, own.labels), thresholds, chosen: chosen.strategy,
      operatingPoint: operatingPoint(confusionAt(scores, own.labels, chosen.value), chosen.value), warnings: [], seconds: 0.5,
    };
    const rendered = await page.evaluate(() => Number(document.body.dataset.rendered));
    await panel.post({ type: 'whatIf', corruption: { type: 'blur', level: 1 }, result });
    await waitRendered(page, rendered + 1);

    assert.match(await page.evaluate(() => document.getElementById('whatif-label')?.textContent ?? ''), /^what-if: blur 1\.0 — not saved/);
    const shown = await confusionShown(page);
    assert.equal(shown.threshold.toPrecision(6), chosen.value.toPrecision(6), 'the what-if starts at its own chosen threshold');
    assert.deepEqual({ tp: shown.tp, tn: shown.tn, fp: shown.fp, fn: shown.fn }, confusionAt(scores, own.labels, shown.threshold));
    assert.notDeepEqual({ tp: shown.tp, fn: shown.fn }, { tp: before.tp, fn: before.fn }, 'the counts are the what-if\'s');
    assert.equal(await useOff(), true, 'no threshold writes from a what-if');

    await page.evaluate(() => document.getElementById('whatif-save')?.click());
    assert.deepEqual(panel.fromWebview.filter((m) => m.type === 'saveWhatIf'), [{ type: 'saveWhatIf', corruption: { type: 'blur', level: 1 } }]);

    await page.evaluate(() => document.getElementById('whatif-back')?.click());
    await waitRendered(page, rendered + 2);
    assert.equal(await page.evaluate(() => document.getElementById('whatif-label')), null);
    const back = await confusionShown(page);
    assert.deepEqual({ tp: back.tp, tn: back.tn, fp: back.fp, fn: back.fn }, confusionAt(own.scores, own.labels, back.threshold));
    assert.equal(await useOff(), false);
    assert.deepEqual(panel.cspViolations, []);
    assert.deepEqual(panel.errors, []);
  });
});
