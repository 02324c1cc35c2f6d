import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listRuns } from '../../src/core/runFolder';
import { applyRunEvent, newLiveRun, progressMessage } from '../../src/extension/model/liveRun';
import { buildRunNodes, describeExperimentFile, experimentNode, listRunNodes, runChildren, sortExperiments } from '../../src/extension/model/treeModel';

const FIXTURE = path.join(__dirname, '..', 'integration', 'workspace-fixture');
const RUNS = path.join(FIXTURE, '.aelab', 'runs');

describe('extension: tree model', () => {
  it('describes the fixture experiments, sorted by name', () => {
    const files = ['tiny', 'baseline', 'slow'].map((n) => path.join(FIXTURE, `${n}.aelab.yaml`));
    const nodes = sortExperiments(files.map((f) => experimentNode(describeExperimentFile(f, fs.readFileSync(f, 'utf8')), FIXTURE)));
    assert.deepEqual(nodes.map((n) => n.label), ['baseline', 'slow', 'tiny']);
    assert.equal(nodes[0].description, 'Dense autoencoder, Gaussian noise on 10% of the test set');
    assert.equal(nodes[1].description, 'slow.aelab.yaml');
    assert.ok(nodes.every((n) => n.file.valid));
  });

  it('keeps the name of an invalid experiment and counts its problems', () => {
    const info = describeExperimentFile('/x/bad.aelab.yaml', 'name: keep-me\ntraining:\n  epochs: -3\n  optimiser: adam\n');
    assert.equal(info.valid, false);
    assert.equal(info.name, 'keep-me');
    assert.equal(info.errorCount, 2);
    assert.match(info.firstError ?? '', /bad\.aelab\.yaml:3:11/);
    const node = experimentNode(info);
    assert.equal(node.description, '2 problems');
    assert.equal(describeExperimentFile('/x/empty.aelab.yaml', '').name, undefined);
  });

  it('lists the recorded runs newest first with metrics and state', () => {
    const runs = listRunNodes(RUNS, 'baseline', [], Date.now());
    assert.deepEqual(runs.map((r) => [r.runId, r.state]), [['20260101-120000-a1b2', 'completed'], ['20260101-110000-c3d4', 'failed']]);
    assert.equal(runs[0].description, 'AUROC 0.973 · F1 0.862 (percentile)');
    assert.match(runs[1].description, /^failed: the training process killed by SIGKILL/);
    assert.deepEqual(runChildren(runs[0]).map((c) => c.kind), ['results', 'log']);
    const results = runChildren(runs[0])[0];
    assert.equal(results.kind === 'results' ? results.description : undefined, 'P 0.920 · R 0.810 · AP 0.881');
    assert.deepEqual(runChildren(runs[1]).map((c) => c.kind), [], 'no results and no log for the failed fixture run');
    assert.deepEqual(listRunNodes(RUNS, 'nope', [], Date.now()), []);
  });

  it('merges live runs: queued first, live progress over the disk status', () => {
    const listings = listRuns(RUNS, 'baseline');
    const now = Date.now();
    const queued = newLiveRun('k1', 'baseline', '/x/baseline.aelab.yaml', 3, now);
    const live = newLiveRun('k2', 'baseline', '/x/baseline.aelab.yaml', 3, now - 1000);
    applyRunEvent(live, { type: 'started', runId: '20260101-120000-a1b2', runDir: listings[0].dir, backend: 'cpu', epochs: 3, batchesPerEpoch: 10 }, now - 900);
    applyRunEvent(live, { type: 'batch', epoch: 2, epochs: 3, batch: 5, batches: 10, loss: 0.01234 }, now);
    const nodes = buildRunNodes('baseline', listings, [queued, live], now);
    assert.deepEqual(nodes.map((n) => n.state), ['queued', 'running', 'failed']);
    assert.equal(nodes[0].description, 'queued');
    assert.equal(nodes[1].description, 'epoch 2/3 · loss 0.0123');
    assert.equal(nodes[1].liveKey, 'k2');
  });

  it('keeps a run refused at start (no folder) in the tree as failed, with its message and a log', () => {
    const now = Date.now();
    const refused = newLiveRun('k3', 'baseline', '/x/baseline.aelab.yaml', 3, now - 500);
    refused.state = 'starting';
    applyRunEvent(refused, { type: 'failed', error: 'corruption level for occlusion is a fraction (of the image side): it must be at most 1, found 12' }, now);
    assert.equal(refused.refusedAtStart, true);
    const nodes = buildRunNodes('baseline', listRuns(RUNS, 'baseline'), [refused], now);
    assert.deepEqual(nodes.map((n) => [n.state, n.runId]), [['failed', undefined], ['completed', '20260101-120000-a1b2'], ['failed', '20260101-110000-c3d4']]);
    assert.match(nodes[0].label, /^failed at start \(/);
    assert.equal(nodes[0].description, 'failed: corruption level for occlusion is a fraction (of the image …');
    assert.match(nodes[0].tooltip, /error: corruption level for occlusion .* found 12/);
    assert.deepEqual(runChildren(nodes[0]).map((c) => c.kind), ['log']);
    applyRunEvent(refused, { type: 'failed', error: '/home/u/data/train-images: truncated: header says 60x28x28' }, now);
    assert.equal(buildRunNodes('baseline', [], [refused], now)[0].description, 'failed: train-images: truncated: header says 60x28x28');
    // A run that failed after its folder existed is not "refused at start".
    const later = newLiveRun('k4', 'baseline', '/x/baseline.aelab.yaml', 3, now);
    applyRunEvent(later, { type: 'started', runId: 'r', runDir: '/d', backend: 'cpu', epochs: 3, batchesPerEpoch: 1 }, now);
    applyRunEvent(later, { type: 'failed', error: 'boom' }, now);
    assert.equal(later.refusedAtStart, undefined);
  });

  it('shows a running run of another process from its status, and a dead writer as stale', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-tree-'));
    try {
      const mk = (id: string, pid: number, host?: string) => {
        fs.mkdirSync(path.join(dir, 'e', id), { recursive: true });
        fs.writeFileSync(path.join(dir, 'e', id, 'status.json'), JSON.stringify({ formatVersion: 1, runId: id, state: 'running', startedAt: 'x', pid, host, epoch: 1, epochs: 4, lastLoss: 0.5 }));
      };
      mk('20260101-000000-0001', process.pid);
      mk('20260101-000000-0002', 2 ** 22 + 12345);
      mk('20260101-000000-0003', 2 ** 22 + 12345, 'slurm-node-7');
      const nodes = listRunNodes(dir, 'e', [], Date.now());
      assert.deepEqual(nodes.map((n) => [n.runId, n.state, n.description]), [
        ['20260101-000000-0003', 'running', 'epoch 1/4 · loss 0.5000 · on slurm-node-7'],
        ['20260101-000000-0002', 'stale', 'crashed at epoch 1/4 (writer gone)'],
        ['20260101-000000-0001', 'running', 'epoch 1/4 · loss 0.5000'],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('progress messages carry epoch, loss and an ETA', () => {
    const r = newLiveRun('k', 'e', '/e.aelab.yaml', 4, 0);
    assert.equal(progressMessage(r, 0), 'queued');
    applyRunEvent(r, { type: 'started', runId: 'r', runDir: '/d', backend: 'cpu', epochs: 4, batchesPerEpoch: 10 }, 1000);
    applyRunEvent(r, { type: 'phase', phase: 'training', message: 'training' }, 1000);
    applyRunEvent(r, { type: 'batch', epoch: 2, epochs: 4, batch: 5, batches: 10, loss: 0.25 }, 11_000);
    // 37.5% done after 10 s -> about 17 s left
    assert.equal(progressMessage(r, 11_000), 'epoch 2/4 · loss 0.2500 · ETA 17s');
    const line = applyRunEvent(r, { type: 'failed', error: 'boom' }, 12_000);
    assert.equal(line, 'failed: boom');
    assert.equal(r.state, 'failed');
  });
});

describe('extension: tree tooltips and live results', () => {
  it('a completed run tooltip carries its metrics and local times', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata'; // UTC+05:30 all year: a fixed, non-UTC local time
    try {
      const runs = listRunNodes(RUNS, 'baseline', [], Date.now());
      const tip = runs[0].tooltip;
      assert.match(tip, /AUROC 0\.973 · AP 0\.881/);
      assert.match(tip, /F1 0\.862 · precision 0\.920 · recall 0\.810/);
      const started = listRuns(RUNS, 'baseline')[0].status.startedAt;
      const utc = new Date(started);
      const local = new Date(utc.getTime() + 5.5 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      assert.ok(tip.includes(`started: ${local}`), `local start time ${local} in:\n${tip}`);
      assert.ok(!tip.includes(started), 'not the raw UTC timestamp');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('a training run has a Results node (its panel follows it live)', () => {
    const listings = listRuns(RUNS, 'baseline');
    const now = Date.now();
    const live = newLiveRun('k2', 'baseline', '/x/baseline.aelab.yaml', 3, now - 1000);
    applyRunEvent(live, { type: 'started', runId: '20260101-120000-a1b2', runDir: listings[0].dir, backend: 'cpu', epochs: 3, batchesPerEpoch: 10 }, now - 900);
    const running = buildRunNodes('baseline', listings, [live], now).find((n) => n.state === 'running');
    assert.ok(running);
    const children = runChildren(running);
    assert.equal(children[0]?.kind, 'results');
    assert.equal(children[0]?.kind === 'results' && children[0].description, 'live');
  });
});
