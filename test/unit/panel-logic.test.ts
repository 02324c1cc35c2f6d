// Pure logic of the Results and Compare panels (the numbers themselves are core's and tested in
// core-*.test.ts): sample selection, the heatmap colour scale, loss markers, compare helpers,
// CSV, the minimal text edit of "Use this threshold", the CSP, and the run-folder loaders.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SortedScores } from '../../src/core/metrics';
import type { PanelRunData } from '../../src/core/protocol';
import type { EpochMetrics, RunSummary } from '../../src/core/runFormat';
import { imageSourceOf, loadPanelRun, loadTestImages, runDirsOfState, scoreInputsOfState } from '../../src/extension/panels/panelData';
import { contentSecurityPolicy, panelHtml } from '../../src/extension/panels/panelHtml';
import { minimalReplacement } from '../../src/extension/panels/textDiff';
import { alignedLoss, f1At, resampleRoc, runLabels, sharedDistributions, thresholdFor } from '../../src/webview/compare/compareData';
import { differencePlane, heatColor, scaleMaximum } from '../../src/webview/results/heatmap';
import { lossMarkers } from '../../src/webview/results/lossCard';
import { indicesInCell, selectSamples } from '../../src/webview/results/sampleSelection';
import { toCsv } from '../../src/webview/shared/csv';
import { fmtScore, roundThreshold } from '../../src/webview/shared/format';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'run-fixture');

//               0    1    2    3    4    5    6    7
const scores = [0.1, 0.9, 0.4, 0.7, 0.2, 0.8, 0.3, 0.6];
const labels = [0, 1, 0, 1, 0, 0, 1, 1];

describe('panels: sample selection', () => {
  const base = { scores, labels, threshold: 0.5, perGroup: 2, seed: 1 };

  it('highest and lowest pick per group by score', () => {
    const high = selectSamples({ ...base, mode: 'highest' });
    assert.deepEqual(high.normal, [5, 2]);
    assert.deepEqual(high.anomalous, [1, 3]);
    assert.equal(high.normalMatches, 4);
    const low = selectSamples({ ...base, mode: 'lowest' });
    assert.deepEqual(low.normal, [0, 4]);
    assert.deepEqual(low.anomalous, [6, 7]);
  });

  it('false positives are normals at or above the threshold, most confident first; false negatives the reverse', () => {
    const fp = selectSamples({ ...base, mode: 'false-positives', threshold: 0.4 });
    assert.deepEqual(fp.normal, [5, 2]); // 0.8, 0.4 (0.4 >= 0.4 counts)
    assert.deepEqual(fp.anomalous, []);
    const fn = selectSamples({ ...base, mode: 'false-negatives', threshold: 0.65 });
    assert.deepEqual(fn.anomalous, [6, 7]);
    assert.deepEqual(fn.normal, []);
  });

  it('random is seeded: same seed same pick, within the group', () => {
    const a = selectSamples({ ...base, mode: 'random', seed: 3 });
    const b = selectSamples({ ...base, mode: 'random', seed: 3 });
    assert.deepEqual(a, b);
    for (const i of a.normal) assert.equal(labels[i], 0);
    for (const i of a.anomalous) assert.equal(labels[i], 1);
    assert.equal(a.normal.length, 2);
  });

  it('selection splits the given indices by group; only available images are offered', () => {
    const s = selectSamples({ ...base, mode: 'selection', selection: [0, 1, 2], perGroup: 4 });
    assert.deepEqual([...s.normal].sort(), [0, 2]);
    assert.deepEqual(s.anomalous, [1]);
    const limited = selectSamples({ ...base, mode: 'highest', available: [0, 6] });
    assert.deepEqual(limited.normal, [0]);
    assert.deepEqual(limited.anomalous, [6]);
  });

  it('indicesInCell matches the confusion matrix at a threshold', () => {
    assert.deepEqual(indicesInCell(scores, labels, 0.5, 'tp'), [1, 3, 7]);
    assert.deepEqual(indicesInCell(scores, labels, 0.5, 'fn'), [6]);
    assert.deepEqual(indicesInCell(scores, labels, 0.5, 'fp'), [5]);
    assert.deepEqual(indicesInCell(scores, labels, 0.5, 'tn'), [0, 2, 4]);
  });
});

describe('panels: heatmap', () => {
  it('the colour scale runs from near black to pale yellow and clamps', () => {
    assert.deepEqual(heatColor(0), [0, 0, 4]);
    assert.deepEqual(heatColor(1), [252, 255, 164]);
    assert.deepEqual(heatColor(-1), heatColor(0));
    assert.deepEqual(heatColor(2), heatColor(1));
    assert.deepEqual(heatColor(NaN), heatColor(0));
    assert.deepEqual(heatColor(0.125), [44, 8, 57]);
  });

  it('difference and shared scale maximum', () => {
    assert.deepEqual([...differencePlane([0, 255, 100], [10, 0, 100])], [10, 255, 0]);
    assert.equal(scaleMaximum([Uint8Array.from([0, 30]), Uint8Array.from([60])]), 0.3 * 255);
    assert.equal(scaleMaximum([Uint8Array.from([0])]), 0.1 * 255);
  });
});

describe('panels: loss markers', () => {
  const m = (epoch: number, valLoss: number): EpochMetrics => ({ epoch, trainLoss: valLoss, valLoss, seconds: 1 });
  it('best so far while training; the summary once finished', () => {
    assert.deepEqual(lossMarkers([m(1, 0.5), m(2, 0.3), m(3, 0.4)], undefined), { bestEpoch: 2 });
    assert.deepEqual(lossMarkers([], undefined), { bestEpoch: undefined });
    const summary = { bestEpoch: 6, stoppedEarly: true, epochsRun: 9 } as RunSummary;
    assert.deepEqual(lossMarkers([], summary), { bestEpoch: 6, stoppedAt: 9 });
  });
});

describe('panels: compare helpers', () => {
  const run = (name: string, runId: string, metrics: [number, number][], extra: Partial<PanelRunData> = {}): PanelRunData => ({
    runDir: `/runs/${name}/${runId}`, runId, experimentName: name, state: 'completed', stale: false,
    metrics: metrics.map(([trainLoss, valLoss], i) => ({ epoch: i + 1, trainLoss, valLoss, seconds: 1 })), ...extra,
  });

  it('labels are the experiment names, with run ids where names repeat', () => {
    assert.deepEqual(runLabels([run('a', '1', []), run('a', '2', []), run('b', '3', [])]), ['a 1', 'a 2', 'b']);
  });

  it('aligns loss curves of different lengths on one epoch axis', () => {
    const a = alignedLoss([run('a', '1', [[3, 4], [2, 3]]), run('b', '2', [[5, 6]])]);
    assert.deepEqual(a.epochs, [1, 2]);
    assert.deepEqual(a.train, [[3, 2], [5, null]]);
    assert.deepEqual(a.validation, [[4, 3], [6, null]]);
  });

  it('resamples a ROC curve as a step function', () => {
    // points (0,0) (0,0.5) (0.5,0.5) (0.5,1) (1,1)
    const fpr = [0, 0, 0.5, 0.5, 1];
    const tpr = [0, 0.5, 0.5, 1, 1];
    assert.deepEqual(resampleRoc(fpr, tpr, [0, 0.25, 0.5, 0.75, 1]), [0.5, 0.5, 1, 1, 1]);
  });

  it('F1 at a strategy recomputed from the scores; shared distributions sum to 1 per group', () => {
    const summary = {
      operatingPoint: { threshold: 0.5, f1: 0.123 }, thresholds: [{ strategy: 'percentile', value: 0.65, usesLabels: false, description: '' }],
    } as unknown as RunSummary;
    const r = run('a', '1', [], { summary, scores: { kind: 'mse', values: Float32Array.from(scores), labels: Uint8Array.from(labels) } });
    assert.equal(thresholdFor(r, 'chosen'), 0.5);
    assert.equal(thresholdFor(r, 'max-f1'), undefined);
    assert.equal(f1At(r, 'chosen'), 0.123, 'without scores: the summary');
    // at 0.65: tp = {1, 3}, fp = {5}, fn = {6, 7}: f1 = 2tp / (2tp + fp + fn) = 4 / 7
    assert.equal(f1At(r, 'percentile', new SortedScores(scores, labels)), 4 / 7);
    const d = sharedDistributions([r], 4, false);
    assert.equal(d.edges.length, 5);
    assert.ok(Math.abs((d.normal[0] ?? []).reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(Math.abs((d.anomalous[0] ?? []).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });
});

describe('panels: formatting and CSV', () => {
  it('quotes CSV cells that need it; empties non-finite numbers', () => {
    assert.equal(toCsv(['a', 'b'], [['x,y', 1], ['say "hi"', NaN]]), 'a,b\n"x,y",1\n"say ""hi""",\n');
  });
  it('rounds thresholds to 6 significant digits and formats scores', () => {
    assert.equal(roundThreshold(0.012220097696408624), 0.0122201);
    assert.equal(fmtScore(0.012220097696408624), '0.01222');
    assert.equal(fmtScore(Infinity), '∞');
    assert.equal(fmtScore(1.5e-6), '1.500e-6');
  });
});

describe('panels: minimal text replacement', () => {
  it('replaces only the changed middle', () => {
    assert.deepEqual(minimalReplacement('a: 1\nb: 2\n', 'a: 1\nb: 3\n'), { start: 8, end: 9, text: '3' });
    assert.equal(minimalReplacement('same', 'same'), undefined);
    const r = minimalReplacement('x\n', 'x\ny: 1\n');
    assert.deepEqual(r, { start: 2, end: 2, text: 'y: 1\n' });
  });
  it('applying the replacement gives the new text, CRLF and surrogates kept whole', () => {
    for (const [a, b] of [['k: 1\r\nz: 2\r\n', 'k: 1\r\nq: 0\r\nz: 2\r\n'], ['v: 😀a', 'v: 😃a'], ['', 'new'], ['old', '']]) {
      const r = minimalReplacement(a, b);
      assert.ok(r);
      assert.equal(a.slice(0, r.start) + r.text + a.slice(r.end), b);
      assert.ok(!/^[\udc00-\udfff]/.test(r.text), 'no half surrogate');
    }
  });
});

describe('panels: HTML and CSP', () => {
  it('a strict policy: nonce scripts, styles from the webview origin, no wildcards or unsafe-*', () => {
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', 'abc123');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'/);
    assert.doesNotMatch(csp, /\*|unsafe-inline|unsafe-eval/);
    const html = panelHtml({ title: '<run>', cspSource: 'https://x', nonce: 'abc123', scriptUri: 'https://x/results.js', styleUris: ['https://x/panel.css'] });
    assert.match(html, /<script nonce="abc123" src="https:\/\/x\/results.js"><\/script>/);
    assert.match(html, /<meta property="csp-nonce" content="abc123">/);
    assert.match(html, /<title>&lt;run&gt;<\/title>/);
  });

  it('the page names its run before the script has run (no blank "Loading…")', () => {
    const html = panelHtml({ title: 'Results: cnn / 20260101-120000-abcd', cspSource: 'https://x', nonce: 'n', scriptUri: 'https://x/results.js', styleUris: [] });
    const app = /<div id="app"[^>]*>([\s\S]*?)<\/div>\s*<script/.exec(html)?.[1] ?? '';
    assert.match(app, /<h2>Results: cnn \/ 20260101-120000-abcd<\/h2>/);
    assert.match(app, /Reading the run folder/);
    assert.doesNotMatch(html, /Loading…/);
  });
});

describe('panels: run folder loaders', () => {
  it('loads the fixture run with scores, and test images from images.bin', () => {
    const run = loadPanelRun(FIXTURE);
    assert.equal(run.state, 'completed');
    assert.equal(run.scores?.values.length, 500);
    assert.equal(run.scores?.labels.filter((l) => l === 1).length, 50);
    assert.equal(run.setup?.architecture, 'cnn');
    assert.equal(run.setup?.corruption, 'gaussian 0.2 on 10%');
    assert.equal(run.metrics.length, 9);
    assert.equal(imageSourceOf(FIXTURE).kind, 'all');
    const { width, height, images } = loadTestImages(FIXTURE, [3, 499]);
    assert.equal(width * height, 784);
    assert.deepEqual(images.map((i) => i.index), [3, 499]);
    assert.equal(images[0].original.length, 784);
  });

  it('falls back to the stored samples for a run without images.bin', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-panel-'));
    try {
      for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
      fs.rmSync(path.join(dir, 'images.bin'));
      const source = imageSourceOf(dir);
      assert.equal(source.kind, 'samples');
      assert.equal(source.sampleIndices.length, 8);
      const { images } = loadTestImages(dir, [source.sampleIndices[0], 123456]);
      assert.deepEqual(images.map((i) => i.index), [source.sampleIndices[0]], 'unknown indices are skipped');
      const direct = loadTestImages(FIXTURE, [source.sampleIndices[0]]).images[0];
      assert.deepEqual(images[0].input, direct.input);
      assert.deepEqual(runDirsOfState({ runDir: dir, runDirs: [dir, '/nope', 3] }), { runDir: dir, runDirs: [dir] });
      assert.deepEqual(runDirsOfState(undefined), {});
      // A Score panel restores from its run and the absolute paths it scored; anything else is dropped.
      assert.deepEqual(scoreInputsOfState({ page: 2, runDir: dir, inputs: ['/imgs', 'relative.png', 7, '/one.png'] }), { runDir: dir, inputs: ['/imgs', '/one.png'] });
      assert.equal(scoreInputsOfState({ runDir: '/no/such/run', inputs: ['/imgs'] }), undefined, 'the run is gone');
      assert.equal(scoreInputsOfState({ runDir: dir, inputs: [] }), undefined, 'nothing to score');
      assert.equal(scoreInputsOfState(null), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
