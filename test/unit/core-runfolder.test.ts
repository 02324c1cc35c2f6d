import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  appendMetrics, encodeTestImages, listRuns, newRunId, readMetrics, readRun, readSamples, readScores, readTestImages, recordManualThreshold,
  writeJsonAtomic, writerElsewhere, writerIdentity, writeSamples, writeScores,
} from '../../src/core/runFolder';
import { RUN_FILES, RunStatusFile, SamplesHeader } from '../../src/core/runFormat';
import { tempDir as makeTempDir } from './support/tempDir';

function tempDir(): string {
  return makeTempDir('aelab-runfolder-');
}

function status(runId: string, state: RunStatusFile['state'], pid?: number): RunStatusFile {
  return { formatVersion: 1, runId, state, startedAt: '2026-11-28T10:00:00.000Z', pid };
}

describe('run folder', () => {
  it('run ids sort by time', () => {
    const a = newRunId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), () => 0.5);
    const b = newRunId(new Date(Date.UTC(2026, 0, 2, 3, 4, 6)), () => 0);
    assert.equal(a, '20260102-030405-8000');
    assert.ok(b > a);
  });

  it('round-trips scores, labels, classes and samples', () => {
    const dir = tempDir();
    const scores = new Float32Array([0.5, 0.25, 3.5]);
    const validation = new Float32Array([0.125, 0.0625]);
    const labels = new Uint8Array([1, 0, 1]);
    const classes = new Uint8Array([7, 2, 1]);
    writeScores(dir, { formatVersion: 1, count: 3, score: 'mse', validationCount: 2, hasClasses: true }, scores, validation, labels, classes);
    const back = readScores(dir);
    assert.deepEqual(Array.from(back.scores), [0.5, 0.25, 3.5]);
    assert.deepEqual(Array.from(back.validationScores), [0.125, 0.0625]);
    assert.deepEqual(Array.from(back.labels), [1, 0, 1]);
    assert.deepEqual(Array.from(back.classes ?? []), [7, 2, 1]);

    const header: SamplesHeader = {
      formatVersion: 1, width: 2, height: 1, planes: ['original', 'input', 'reconstruction', 'difference'],
      samples: [{ index: 2, group: 'anomalous', label: 1, score: 3.5 }],
    };
    const pixels = new Float32Array([0, 1, 0.5, 1, 0.25, 0.75, 0.25, 0.25]);
    writeSamples(dir, header, pixels);
    const s = readSamples(dir);
    assert.deepEqual(s.header, header);
    assert.deepEqual(Array.from(s.pixels), Array.from(pixels));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
  });

  it('stores every test image as bytes and reads chosen ones back', () => {
    const dir = tempDir();
    const pixels = 2;
    const original = new Float32Array([0, 1, 0.5, 0.25]);
    const input = new Float32Array([0.1, 1.2, -0.3, 0.25]);
    const reconstruction = new Float32Array([0.2, 0.8, 0.5, 0.004]);
    const bytes = encodeTestImages(2, pixels, original, input, reconstruction);
    writeScores(dir, { formatVersion: 1, count: 2, score: 'mse', validationCount: 0, hasClasses: false, images: { width: 2, height: 1, planes: ['original', 'input', 'reconstruction'] } },
      new Float32Array([0.1, 0.2]), new Float32Array(0), new Uint8Array([0, 1]), undefined, bytes);
    const back = readTestImages(dir, [1, 0]);
    assert.equal(back.width, 2);
    // Image 1: original 0.5, 0.25 -> 128, 64; input clipped -0.3 -> 0; reconstruction 0.004 -> 1.
    assert.deepEqual(Array.from(back.images[0]), [128, 64, 0, 64, 128, 1]);
    assert.deepEqual(Array.from(back.images[1]), [0, 255, 26, 255, 51, 204]);
    assert.throws(() => readTestImages(dir, [2]), /outside 0\.\.1/);
  });

  it('records a threshold saved from the panel with its operating point on the run\'s scores', () => {
    const dir = tempDir();
    writeJsonAtomic(path.join(dir, RUN_FILES.status), status('r1', 'completed'));
    writeScores(dir, { formatVersion: 1, count: 5, score: 'mse', validationCount: 0, hasClasses: false },
      new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]), new Float32Array(0), new Uint8Array([0, 0, 1, 0, 1]));
    recordManualThreshold(dir, 0.3, '/x/e.aelab.yaml', new Date('2026-11-29T00:00:00Z'));
    const saved = readRun(dir).manualThreshold;
    assert.ok(saved);
    assert.equal(saved.value, 0.3);
    assert.equal(saved.experimentPath, '/x/e.aelab.yaml');
    // score >= 0.3 -> anomaly: TP 2 (0.3, 0.5), FP 1 (0.4), TN 2, FN 0.
    assert.deepEqual([saved.operatingPoint.tp, saved.operatingPoint.fp, saved.operatingPoint.tn, saved.operatingPoint.fn], [2, 1, 2, 0]);
    assert.equal(saved.operatingPoint.f1, 0.8);
    assert.throws(() => recordManualThreshold(dir, NaN), /finite/);
  });

  it('rejects a scores.bin whose length disagrees with its header', () => {
    const dir = tempDir();
    writeScores(dir, { formatVersion: 1, count: 3, score: 'mse', validationCount: 0, hasClasses: false }, new Float32Array(3), new Float32Array(0), new Uint8Array(3));
    fs.writeFileSync(path.join(dir, RUN_FILES.scores), new Uint8Array(8));
    assert.throws(() => readScores(dir), /holds 2 values, expected 3/);
  });

  it('skips a torn last metrics line', () => {
    const dir = tempDir();
    appendMetrics(dir, { epoch: 1, trainLoss: 0.5, valLoss: 0.6, seconds: 1 });
    fs.appendFileSync(path.join(dir, RUN_FILES.metrics), '{"epoch":2,"trainL');
    assert.deepEqual(readMetrics(dir), [{ epoch: 1, trainLoss: 0.5, valLoss: 0.6, seconds: 1 }]);
  });

  it('lists runs newest first, ignores non-runs, and marks a running run whose writer is gone as stale', () => {
    const root = tempDir();
    const exp = path.join(root, 'exp');
    const mk = (id: string, st: RunStatusFile) => {
      fs.mkdirSync(path.join(exp, id), { recursive: true });
      writeJsonAtomic(path.join(exp, id, RUN_FILES.status), st);
    };
    mk('20260101-000000-aaaa', status('20260101-000000-aaaa', 'completed'));
    mk('20260103-000000-cccc', status('20260103-000000-cccc', 'running', process.pid));
    mk('20260102-000000-bbbb', status('20260102-000000-bbbb', 'running', 2 ** 22 + 12345));
    fs.mkdirSync(path.join(exp, 'not-a-run'));
    const summary = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'run-fixture', RUN_FILES.summary), 'utf8')) as { auroc: number };
    writeJsonAtomic(path.join(exp, '20260101-000000-aaaa', RUN_FILES.summary), { ...summary, auroc: 0.9 });
    const runs = listRuns(root, 'exp');
    assert.deepEqual(runs.map((r) => r.runId), ['20260103-000000-cccc', '20260102-000000-bbbb', '20260101-000000-aaaa']);
    assert.deepEqual(runs.map((r) => r.stale), [false, true, false]);
    assert.equal(runs[2].summary?.auroc, 0.9);
    assert.equal(readRun(path.join(exp, '20260102-000000-bbbb')).stale, true);
    assert.deepEqual(listRuns(root, 'missing'), []);
  });

  it('does not judge a run written on another host by a pid of this one', () => {
    const root = tempDir();
    const exp = path.join(root, 'exp');
    const deadPid = 2 ** 22 + 12345;
    const mk = (id: string, host: string) => {
      fs.mkdirSync(path.join(exp, id), { recursive: true });
      writeJsonAtomic(path.join(exp, id, RUN_FILES.status), { ...status(id, 'running', deadPid), host });
    };
    mk('20260101-000000-aaaa', 'slurm-node-7');
    mk('20260102-000000-bbbb', os.hostname());
    const [here, elsewhere] = listRuns(root, 'exp');
    assert.equal(here.stale, true, 'same host, dead pid: stale');
    assert.equal(elsewhere.stale, false, 'another host: its pid says nothing here');
    assert.equal(writerElsewhere(elsewhere.status), 'slurm-node-7');
    assert.equal(writerElsewhere(here.status), undefined);
    assert.equal(writerIdentity().host, os.hostname());
  });
});
