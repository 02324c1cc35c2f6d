// A sweep on the real one-node Slurm cluster (scripts/slurm-cluster.sh), end to end through the
// CLI: each array task runs the built dist/cli.js (`npm run build` first, as `npm test` does).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunStatusFile, RunSummary } from '../../src/core/runFormat';
import { requireSlurm } from './support/slurm';
import { tempDir } from './support/tempDir';
import { runCli } from './support/cliHarness';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli.js');

const aelab = (cwd: string, ...argv: string[]) => runCli(cwd, argv, { cliPath: CLI, workerPath: path.join(path.dirname(CLI), 'worker.js') });

const experiment = (name: string, epochs: number, sweep: string) => `name: ${name}
seed: 3
data: { trainLimit: 300, testLimit: 100 }
corruption: { fraction: 0.2, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: ${epochs}, batchSize: 50 }
sweep:
  parameters:
${sweep}
`;

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

describe('slurm: a sweep on the real cluster', function () {
  this.timeout(300_000);
  let dir: string;

  before(function () {
    requireSlurm(this);
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (the Slurm tasks run it)`);
    dir = tempDir('aelab-slurm-sweep-');
    fs.writeFileSync(path.join(dir, 'grid.aelab.yaml'), experiment('slurm-grid', 1, '    corruption.level: [0.2, 0.8]\n    training.learningRate: [0.001, 0.01]'));
    fs.writeFileSync(path.join(dir, 'long.aelab.yaml'), experiment('slurm-long', 400, '    corruption.level: [0.2, 0.5, 0.8]'));
  });

  it('runs a 4-point sweep as two job arrays, each training setting trained once; the table is the runs\' summaries', async () => {
    const res = await aelab(dir, 'sweep', 'grid.aelab.yaml', '--on', 'slurm', '--wait', '--parallel', '2', '--runs-dir', 'runs');
    assert.equal(res.code, 0, `${res.out}\n${res.err}`);
    // corruption.level is a test-time setting: two trainings (one per learning rate), two points reusing them.
    const first = /submitted Slurm job (\d+): array 0-1%2 \(2 of 4 points, one per training setting\)/.exec(res.out);
    assert.ok(first, res.out);
    assert.match(res.out, new RegExp(`submitted Slurm job \\d+: array 2-3%2 \\(2 points scoring with those models, after job ${first[1]}\\)`));
    assert.match(res.out, /finished: 4 completed/);
    const sweepDir = path.join(dir, 'runs', '.sweeps', 'slurm-grid');
    assert.match(fs.readFileSync(path.join(sweepDir, 'job.sbatch'), 'utf8'), /--sweep-index "\$SLURM_ARRAY_TASK_ID"/);
    assert.match(fs.readFileSync(path.join(sweepDir, 'job-reuse.sbatch'), 'utf8'), new RegExp(`#SBATCH --dependency=afterany:${first[1]}`));
    const pointFile = (i: number) => readJson<{ runDir: string; modelFrom?: string }>(path.join(sweepDir, 'points', `${i}.json`));
    assert.equal(pointFile(0).modelFrom, undefined);
    assert.equal(pointFile(1).modelFrom, undefined);
    assert.deepEqual([pointFile(2).modelFrom, pointFile(3).modelFrom], [pointFile(0).runDir, pointFile(1).runDir], 'the second wave scores with the first wave\'s models');

    const table = await aelab(dir, 'sweep', 'table', 'grid.aelab.yaml', '--runs-dir', 'runs', '--format', 'json');
    assert.equal(table.code, 0, table.err);
    const rows = JSON.parse(table.out) as Record<string, unknown>[];
    assert.equal(rows.length, 4);
    const manifest = readJson<{ points: { index: number; overrides: Record<string, unknown> }[] }>(path.join(sweepDir, 'manifest.json'));
    for (const point of manifest.points) {
      const { runDir } = readJson<{ runDir: string }>(path.join(sweepDir, 'points', `${point.index}.json`));
      const summary = readJson<RunSummary>(path.join(runDir, 'summary.json'));
      const row = rows.find((r) => r['corruption.level'] === point.overrides['corruption.level'] && r['training.learningRate'] === point.overrides['training.learningRate']);
      assert.ok(row, `no row for point ${point.index}`);
      assert.equal(row.runs, 1);
      assert.equal((row.auroc as { mean: number }).mean, summary.auroc);
      assert.equal((row.f1 as { mean: number }).mean, summary.operatingPoint.f1);
    }
    const status = await aelab(dir, 'sweep', 'status', 'grid.aelab.yaml', '--runs-dir', 'runs');
    assert.match(status.out, /4 completed/);
    // Nothing left to do: a second submission submits nothing.
    const again = await aelab(dir, 'sweep', 'grid.aelab.yaml', '--on', 'slurm', '--runs-dir', 'runs');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /4 already done, 0 to submit/);
  });

  it('a submission Slurm rejects: a clear error naming sbatch, and the sweep folder unchanged', async () => {
    const sweepDir = path.join(dir, 'runs', '.sweeps', 'slurm-grid');
    const script = fs.readFileSync(path.join(sweepDir, 'job.sbatch'), 'utf8');
    const record = fs.readFileSync(path.join(sweepDir, 'slurm.json'), 'utf8');
    const res = await aelab(dir, 'sweep', 'grid.aelab.yaml', '--on', 'slurm', '--runs-dir', 'runs', '--set', 'training.epochs=2', '--partition', 'no-such-partition');
    assert.equal(res.code, 2);
    assert.match(res.err, /^aelab sweep --on slurm: sbatch --parsable .*--partition=no-such-partition.*: sbatch: error: invalid partition/m);
    assert.match(res.err, /nothing was submitted/);
    assert.equal(fs.readFileSync(path.join(sweepDir, 'job.sbatch'), 'utf8'), script);
    assert.equal(fs.readFileSync(path.join(sweepDir, 'slurm.json'), 'utf8'), record);
    const local = await aelab(dir, 'sweep', 'grid.aelab.yaml', '--runs-dir', 'runs', '--partition', 'x');
    assert.equal(local.code, 1);
    assert.match(local.err, /--partition applies only with --on slurm/);
  });

  it('cancelled midway: the running point ends cancelled, the pending ones say so, every folder final', async () => {
    const res = await aelab(dir, 'sweep', 'long.aelab.yaml', '--on', 'slurm', '--parallel', '1', '--runs-dir', 'runs');
    assert.equal(res.code, 0, res.err);
    const sweepDir = path.join(dir, 'runs', '.sweeps', 'slurm-long');
    // Wait until point 0 trains (its run folder has finished an epoch).
    let runDir: string | undefined;
    for (let i = 0; i < 240 && !runDir; i++) {
      try {
        const point = readJson<{ runDir?: string }>(path.join(sweepDir, 'points', '0.json'));
        if (point.runDir && (readJson<RunStatusFile>(path.join(point.runDir, 'status.json')).epoch ?? 0) >= 1) runDir = point.runDir;
      } catch { /* not yet */ }
      if (!runDir) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(runDir, 'point 0 never started training');
    const during = await aelab(dir, 'sweep', 'status', 'long.aelab.yaml', '--runs-dir', 'runs');
    assert.match(during.out, /running/);
    assert.match(during.out, /pending/);

    const cancel = await aelab(dir, 'sweep', 'cancel', 'long.aelab.yaml', '--runs-dir', 'runs');
    assert.equal(cancel.code, 0, cancel.err);
    assert.match(cancel.out, /scancel \d+/);
    assert.equal(readJson<RunStatusFile>(path.join(runDir, 'status.json')).state, 'cancelled');
    const states = [0, 1, 2].map((i) => readJson<{ state: string }>(path.join(sweepDir, 'points', `${i}.json`)).state);
    assert.deepEqual(states, ['cancelled', 'cancelled', 'cancelled']);
    // Only point 0 ever got a run folder, and it is final.
    const runs = fs.readdirSync(path.join(dir, 'runs', 'slurm-long'));
    assert.equal(runs.length, 1);
    const after = await aelab(dir, 'sweep', 'status', 'long.aelab.yaml', '--runs-dir', 'runs');
    assert.match(after.out, /3 cancelled/);
  });
});
