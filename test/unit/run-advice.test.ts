// Advice for a weak first run, and the warning for a manual threshold chosen on a run with other
// data or corruption.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readRun, recordManualThreshold, writeJsonAtomic } from '../../src/core/runFolder';
import { RUN_FILES, RunConfigFile, RunSummary } from '../../src/core/runFormat';
import { manualThresholdWarning } from '../../src/extension/panels/manualThresholdOrigin';
import { runGuidance } from '../../src/webview/results/guidance';
import { writeRunFixture } from '../browser/makeFixture';

function summary(auroc: number, f1: number): RunSummary {
  const s = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'run-fixture', RUN_FILES.summary), 'utf8')) as RunSummary;
  return { ...s, auroc, operatingPoint: { ...s.operatingPoint, f1 } };
}

describe('run advice', () => {
  it('a weak run gets concrete next steps; a good one gets none', () => {
    const weak = runGuidance(summary(0.58, 0));
    assert.match(weak[0], /barely tell normal from anomalous images \(AUROC 0\.58; 0\.5 is chance\)/);
    assert.ok(weak.some((l) => /training\.epochs/.test(l) && /architecture: cnn/.test(l)));
    const missed = runGuidance(summary(0.97, 0.2));
    assert.match(missed[0], /separate the classes well \(AUROC 0\.97\).*F1 0\.20/);
    assert.match(missed[1], /max F1 reaches its best F1 at/);
    assert.deepEqual(runGuidance(summary(0.97, 0.9)), []);
    assert.deepEqual(runGuidance(undefined), []);
  });

  describe('manual threshold from another run', () => {
    let runs: string;
    let origin: string;
    let later: string;
    const useManual = (dir: string, value: number, change: (c: RunConfigFile) => void) => {
      const file = path.join(dir, RUN_FILES.config);
      const config = JSON.parse(fs.readFileSync(file, 'utf8')) as RunConfigFile;
      config.experiment.evaluation.threshold = { ...config.experiment.evaluation.threshold, strategy: 'manual', value };
      change(config);
      writeJsonAtomic(file, config);
      return readRun(dir).config;
    };
    before(() => {
      runs = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-manual-origin-'));
      origin = writeRunFixture(path.join(runs, 'fixture', '20260101-100000-aaaa'), { count: 60, runId: '20260101-100000-aaaa' });
      later = writeRunFixture(path.join(runs, 'fixture', '20260101-110000-bbbb'), { count: 60, runId: '20260101-110000-bbbb' });
      recordManualThreshold(origin, 0.0123, '/x/fixture.aelab.yaml');
    });
    after(() => fs.rmSync(runs, { recursive: true, force: true }));

    it('names the origin run and what changed in data or corruption', () => {
      const config = useManual(later, 0.0123, (c) => { c.experiment.corruption.level = 0.5; c.experiment.data.trainLimit = 5000; });
      const warning = manualThresholdWarning(later, config);
      assert.ok(warning);
      assert.match(warning, /chosen on run 20260101-100000-aaaa/);
      assert.match(warning, /corruption\.level 0\.2 → 0\.5/);
      assert.match(warning, /data\.trainLimit unset → 5000/);
    });

    it('says nothing when the settings match, or the threshold is not the saved one', () => {
      const same = useManual(later, 0.0123, (c) => { c.experiment.corruption.level = 0.2; delete c.experiment.data.trainLimit; });
      assert.equal(manualThresholdWarning(later, same), undefined);
      assert.equal(manualThresholdWarning(later, useManual(later, 0.5, (c) => { c.experiment.corruption.level = 0.5; })), undefined);
    });
  });
});
