// What a panel tells its webview when its run folder changes or disappears, the titles that tell
// Compare tabs apart, and the pin check that decides whether the preview Results tab is reused.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendMetrics, writeJsonAtomic } from '../../src/core/runFolder';
import { RUN_FILES } from '../../src/core/runFormat';
import { compareTitle, nextPanelUpdate, SentRun } from '../../src/extension/model/panelRunChange';
import { isPanelTabPinned } from '../../src/extension/model/panelTabs';

describe('extension: panels follow their run folders', () => {
  let tmp: string;
  let runDir: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-panel-change-'));
    runDir = path.join(tmp, 'cnn', '20260101-120000-abcd');
    fs.mkdirSync(runDir, { recursive: true });
    writeJsonAtomic(path.join(runDir, RUN_FILES.status), { version: 1, state: 'running', startedAt: '2026-01-01T12:00:00Z', epoch: 0, epochs: 3 });
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('says nothing while nothing changed, then sends new epochs as progress', () => {
    const sent: SentRun = { state: 'running', epochs: 0, scores: false, removed: false };
    assert.deepEqual(nextPanelUpdate(runDir, sent), { kind: 'none' });
    appendMetrics(runDir, { epoch: 1, trainLoss: 0.1, valLoss: 0.2, seconds: 1 });
    const update = nextPanelUpdate(runDir, sent);
    assert.equal(update.kind, 'progress');
    assert.equal(update.kind === 'progress' && update.run.metrics.length, 1);
  });

  it('a deleted folder is reported once; a folder that comes back is sent whole', () => {
    const sent: SentRun = { state: 'completed', epochs: 3, scores: true, removed: false };
    fs.rmSync(runDir, { recursive: true, force: true });
    assert.deepEqual(nextPanelUpdate(runDir, sent), { kind: 'removed' });
    sent.removed = true;
    assert.deepEqual(nextPanelUpdate(runDir, sent), { kind: 'none' }, 'not reported twice');
    fs.mkdirSync(runDir, { recursive: true });
    writeJsonAtomic(path.join(runDir, RUN_FILES.status), { version: 1, state: 'cancelled', startedAt: '2026-01-01T12:00:00Z' });
    assert.deepEqual(nextPanelUpdate(runDir, sent), { kind: 'init' });
  });

  it('Compare titles name the experiments, with the run time where one appears twice', () => {
    assert.equal(compareTitle(['/r/cnn/20260101-120000-aaaa', '/r/ssim-loss/20260101-130000-bbbb']), 'Compare: cnn, ssim-loss');
    assert.equal(compareTitle(['/r/cnn/20260101-120000-aaaa', '/r/cnn/20260101-130501-bbbb']), 'Compare: cnn 12:00:00, cnn 13:05:01');
    assert.equal(compareTitle(['/r/a/1', '/r/b/2', '/r/c/3', '/r/d/4', '/r/e/5']), 'Compare: a, b, c +2');
    assert.notEqual(compareTitle(['/r/a/1', '/r/b/2']), compareTitle(['/r/a/1', '/r/c/2']), 'different runs, different titles');
  });

  it('a Results tab counts as pinned only when its own tab is pinned', () => {
    const tabs = [
      { label: 'Results: cnn / 1', isPinned: true, viewType: 'mainThreadWebview-aelab.results' },
      { label: 'Results: cnn / 2', isPinned: false, viewType: 'mainThreadWebview-aelab.results' },
      { label: 'Results: cnn / 3', isPinned: true, viewType: undefined },
    ];
    assert.equal(isPanelTabPinned(tabs, 'aelab.results', 'Results: cnn / 1'), true);
    assert.equal(isPanelTabPinned(tabs, 'aelab.results', 'Results: cnn / 2'), false);
    assert.equal(isPanelTabPinned(tabs, 'aelab.results', 'Results: cnn / 3'), false, 'a pinned text editor of that name is not the panel');
    assert.equal(isPanelTabPinned(tabs, 'aelab.compare', 'Results: cnn / 1'), false);
  });
});
