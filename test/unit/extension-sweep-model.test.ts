import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sweepCommandArgs } from '../../src/extension/model/sweepArgs';
import {
  completedRunDirs, declaresSweep, isSweepActive, noCompletedRunsMessage, readSweepFolder, sweepDescription, sweepProgress,
} from '../../src/extension/model/sweepModel';
import { listExperimentChildren, sweepChildren } from '../../src/extension/model/treeModel';
import { tempDir } from './support/tempDir';

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}

/** A runs dir with a 4-point sweep: #0 completed, #1 running epoch 2/3, #2 failed, #3 not started; plus one run outside the sweep. */
function fixture(slurm: boolean): { runsDir: string; sweepDir: string } {
  const runsDir = tempDir('aelab-sweep-model-');
  const sweepDir = path.join(runsDir, '.sweeps', 'noise');
  writeJson(path.join(sweepDir, 'manifest.json'), {
    formatVersion: 1, name: 'noise', experimentPath: '/x/noise.aelab.yaml', set: [], method: 'grid', parameters: ['corruption.level'], seeds: [1], createdAt: '2026-01-01T00:00:00Z',
    points: [0.1, 0.2, 0.3, 0.4].map((level, index) => ({ index, overrides: { 'corruption.level': level, seed: 1 }, trainingKey: 'k' })),
  });
  const run = (id: string, status: Record<string, unknown>, summary?: unknown) => {
    const dir = path.join(runsDir, 'noise', id);
    writeJson(path.join(dir, 'status.json'), { formatVersion: 1, runId: id, startedAt: '2026-01-01T00:00:00Z', ...status });
    if (summary) writeJson(path.join(dir, 'summary.json'), summary);
    return dir;
  };
  // A whole summary.json: readers refuse a partial one as a damaged run.
  const summary = (auroc: number, f1: number) => ({
    auroc, averagePrecision: 0.5, meanScoreNormal: 0.01, meanScoreAnomalous: 0.02, scoreRatio: 2, thresholds: [],
    chosen: 'percentile', testCount: 10, anomalyCount: 1, epochsRun: 1, bestEpoch: 1, stoppedEarly: false,
    trainSeconds: 1, totalSeconds: 2, backend: 'cpu',
    operatingPoint: { threshold: 0.01, tp: 1, tn: 8, fp: 1, fn: 0, f1, precision: 0.5, recall: 0.5, accuracy: 0.9, fpr: 0.1 },
  });
  const done = run('20260101-000000-aaaa', { state: 'completed' }, summary(0.91234, 0.5));
  const going = run('20260101-000001-bbbb', { state: 'running', pid: process.pid, epoch: 2, epochs: 3 });
  const failed = run('20260101-000002-cccc', { state: 'failed', error: 'out of memory' });
  run('20260101-000003-dddd', { state: 'completed' }, summary(0.5, 0.1));
  writeJson(path.join(sweepDir, 'points', '0.json'), { index: 0, runDir: done, state: 'completed', updatedAt: 'x' });
  writeJson(path.join(sweepDir, 'points', '1.json'), { index: 1, runDir: going, state: 'running', updatedAt: 'x' });
  writeJson(path.join(sweepDir, 'points', '2.json'), { index: 2, runDir: failed, state: 'failed', updatedAt: 'x' });
  if (slurm) writeJson(path.join(sweepDir, 'slurm.json'), { formatVersion: 1, submissions: [{ jobId: '42', array: '0-3%2', indices: [0, 1, 2, 3], submittedAt: 'x', command: [] }] });
  return { runsDir, sweepDir };
}

describe('extension: sweep model', () => {
  it('reads point states from the points files and run folders', () => {
    const { sweepDir } = fixture(false);
    const sweep = readSweepFolder(sweepDir);
    assert.ok(sweep);
    assert.deepEqual(sweep.points.map((p) => [p.state, p.description]), [
      ['completed', 'AUROC 0.912 · F1 0.500'], ['running', 'epoch 2/3'], ['failed', 'failed: out of memory'], ['queued', 'queued'],
    ]);
    assert.equal(sweep.points[2].label, '#2 corruption.level=0.3 seed=1');
    assert.deepEqual(sweep.counts, { queued: 1, pending: 0, running: 1, completed: 1, failed: 1, cancelled: 0 });
    // Point 4 of 4 is being worked on (two final + the running one) with its epoch.
    assert.deepEqual(sweepProgress(sweep), { message: 'point 3 of 4 · #1 epoch 2/3 · 1 failed', finished: 0.5 });
    assert.equal(readSweepFolder(path.join(sweepDir, 'nope')), undefined);
    assert.equal(isSweepActive(sweep), true);
    assert.equal(isSweepActive({ ...sweep, counts: { ...sweep.counts, running: 0 } }), false, 'queued points of a stopped sweep are not activity');
  });

  it('shows a submitted point without a run as pending on Slurm', () => {
    const { sweepDir } = fixture(true);
    const sweep = readSweepFolder(sweepDir);
    assert.ok(sweep);
    assert.deepEqual([sweep.points[3].state, sweep.points[3].description], ['pending', 'pending on Slurm (job 42)']);
    assert.equal(sweepDescription(sweep), '1/4 done · 1 running · 1 pending · 1 failed · Slurm job 42');
    // A second wave (points reusing the first wave's models) waits for the first: both are named.
    assert.equal(sweepDescription({ ...sweep, latestSlurmJobs: ['42', '43'] }), '1/4 done · 1 running · 1 pending · 1 failed · Slurm jobs 42+43');
  });

  it('groups the sweep runs under one sweep node in the tree', () => {
    const { runsDir } = fixture(false);
    const children = listExperimentChildren(runsDir, 'noise', '/x/noise.aelab.yaml', [], Date.now());
    assert.deepEqual(children.map((c) => c.kind), ['sweep', 'run']);
    assert.equal(children[1].kind === 'run' && children[1].runId, '20260101-000003-dddd');
    const sweep = children[0];
    assert.ok(sweep.kind === 'sweep');
    const points = sweepChildren(sweep, runsDir, 'noise');
    assert.deepEqual(points.map((p) => (p.kind === 'run' ? [p.label, p.state] : [p.point.label, p.point.state])), [
      ['#0 corruption.level=0.1 seed=1', 'completed'], ['#1 corruption.level=0.2 seed=1', 'running'],
      ['#2 corruption.level=0.3 seed=1', 'failed'], ['#3 corruption.level=0.4 seed=1', 'queued'],
    ]);
  });

  it('gives the completed points\' runs to Open Study and Generate Report, in point order', () => {
    const { runsDir, sweepDir } = fixture(false);
    // Point 3 completes with a run folder named relative to the sweep folder (as `aelab report` reads it).
    writeJson(path.join(sweepDir, 'points', '3.json'), { index: 3, runDir: path.join('..', '..', 'noise', '20260101-000003-dddd'), state: 'completed', updatedAt: 'x' });
    const sweep = readSweepFolder(sweepDir);
    assert.ok(sweep);
    assert.deepEqual(completedRunDirs(sweep), [
      path.join(runsDir, 'noise', '20260101-000000-aaaa'), path.join(runsDir, 'noise', '20260101-000003-dddd'),
    ], 'the running and failed points are left out');
    const none = { ...sweep, points: sweep.points.map((p) => (p.state === 'completed' ? { ...p, state: 'queued' as const } : p)), counts: { ...sweep.counts, completed: 0, queued: 3 } };
    assert.deepEqual(completedRunDirs(none), []);
    assert.equal(noCompletedRunsMessage(none), 'The sweep of noise has no completed point yet (0/4 done · 1 running · 1 failed).');
  });

  it('tells an experiment that declares a sweep from one that does not', () => {
    assert.equal(declaresSweep('name: a\nsweep:\n  grid:\n    seed: [1, 2]\n'), true);
    assert.equal(declaresSweep('name: a\n# sweep: later\ntraining:\n  sweep: 1\n'), false, 'a comment or a nested key is not a sweep');
  });

  it('builds the CLI command line from the settings', () => {
    const off = { enabled: false, partition: 'p', timeLimit: '10', cpusPerTask: 2, parallel: 2, extraArgs: ['--mem=1G'] };
    assert.deepEqual(sweepCommandArgs('/x/a.aelab.yaml', '/r', off), ['sweep', '/x/a.aelab.yaml', '--runs-dir', '/r']);
    assert.deepEqual(sweepCommandArgs('/x/a.aelab.yaml', '/r', { ...off, enabled: true }), [
      'sweep', '/x/a.aelab.yaml', '--runs-dir', '/r', '--on', 'slurm', '--wait', '--cpus-per-task', '2', '--parallel', '2',
      '--partition', 'p', '--time-limit', '10', '--sbatch-arg=--mem=1G',
    ]);
  });
});
