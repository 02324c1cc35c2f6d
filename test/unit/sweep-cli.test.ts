// `aelab run --sweep-index`, `aelab sweep` (local), `sweep status` and `sweep table` on tiny
// data. The local executor forks dist/worker.js and the cancel test runs bin/aelab.js: needs
// `npm run build` first (npm test builds).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import type { RunConfigFile, RunStatusFile, RunSummary } from '../../src/core/runFormat';
import type { PointFile, SweepManifest } from '../../src/core/sweep/sweepFormat';
import { writeGrayImage } from '../../scripts/imageFolderFixtures';
import { runCli } from './support/cliHarness';

const aelab = (cwd: string, ...argv: string[]) => runCli(cwd, argv);

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

// Two noise levels x two seeds: two trainings, each scored at both levels.
const SWEEP = `name: sweep-tiny
seed: 3
data: { trainLimit: 400, testLimit: 100 }
corruption: { fraction: 0.2, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 2, batchSize: 50, learningRate: 0.01 }
sweep:
  parameters:
    corruption.level: [0.3, 0.8]
  seeds: [3, 4]
`;

describe('aelab sweep (local) and run --sweep-index', function () {
  this.timeout(180_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-sweep-'));
  fs.writeFileSync(path.join(dir, 'sweep.aelab.yaml'), SWEEP);
  const sweepDir = path.join(dir, 'runs', '.sweeps', 'sweep-tiny');

  it('run --sweep-index runs one point as an ordinary run; a point of the same training setting scores with its model', async () => {
    const first = await aelab(dir, 'run', 'sweep.aelab.yaml', '--sweep-index', '0', '--runs-dir', 'runs', '--threads', '1');
    assert.equal(first.code, EXIT.ok, first.err);
    // Point 2 = level 0.8, seed 3: same training as point 0 (seeds are the fastest axis).
    const second = await aelab(dir, 'run', 'sweep.aelab.yaml', '--sweep-index', '2', '--runs-dir', 'runs', '--threads', '1');
    assert.equal(second.code, EXIT.ok, second.err);
    const manifest = readJson<SweepManifest>(path.join(sweepDir, 'manifest.json'));
    assert.deepEqual(manifest.points.map((p) => p.overrides), [
      { 'corruption.level': 0.3, seed: 3 }, { 'corruption.level': 0.3, seed: 4 }, { 'corruption.level': 0.8, seed: 3 }, { 'corruption.level': 0.8, seed: 4 },
    ]);
    assert.equal(manifest.points[0].trainingKey, manifest.points[2].trainingKey);
    assert.notEqual(manifest.points[0].trainingKey, manifest.points[1].trainingKey);

    const p0 = readJson<PointFile>(path.join(sweepDir, 'points', '0.json'));
    const p2 = readJson<PointFile>(path.join(sweepDir, 'points', '2.json'));
    assert.equal(p0.state, 'completed');
    assert.equal(p2.state, 'completed');
    assert.equal(p2.modelFrom, p0.runDir);
    const c2 = readJson<RunConfigFile>(path.join(p2.runDir!, 'config.json'));
    assert.deepEqual(c2.sweep, { name: 'sweep-tiny', index: 2 });
    assert.equal(c2.modelFrom, p0.runDir);
    assert.equal(c2.experiment.corruption.level, 0.8);
    assert.equal('sweep' in c2.experiment, false);
    assert.ok(fs.existsSync(path.join(p0.runDir!, 'model', 'model.json')));
    assert.equal(fs.existsSync(path.join(p2.runDir!, 'model')), false, 'it points at the model instead of copying it');
    const s0 = readJson<RunSummary>(path.join(p0.runDir!, 'summary.json'));
    const s2 = readJson<RunSummary>(path.join(p2.runDir!, 'summary.json'));
    assert.equal(s2.trainSeconds, 0);
    // Same model, same clean validation images: the thresholds drawn from validation scores agree
    // exactly (mixture reads the test scores, whose corruption differs between the two points).
    const fromValidation = (s: typeof s0) => s.thresholds.filter((t) => !t.usesLabels && t.strategy !== 'mixture').map((t) => t.value);
    assert.ok(fromValidation(s0).length >= 3);
    assert.deepEqual(fromValidation(s2), fromValidation(s0));

    // Training that point itself gives the same scores as borrowing the model.
    const alone = await aelab(dir, 'run', 'sweep.aelab.yaml', '--set', 'corruption.level=0.8', '--runs-dir', 'alone', '--threads', '1');
    assert.equal(alone.code, EXIT.ok, alone.err);
    const aloneDir = /run folder: (.*)$/m.exec(alone.out)?.[1] ?? '';
    const sa = readJson<RunSummary>(path.join(aloneDir, 'summary.json'));
    assert.equal(sa.auroc, s2.auroc);
    assert.deepEqual(sa.operatingPoint, s2.operatingPoint);

    const outside = await aelab(dir, 'run', 'sweep.aelab.yaml', '--sweep-index', '4', '--runs-dir', 'runs');
    assert.equal(outside.code, EXIT.invalidInput);
    assert.match(outside.err, /--sweep-index 4 is outside the sweep's points 0\.\.3/);
  });

  it('sweep resumes (completed points kept, a failed one re-run) and the table equals the summaries', async () => {
    const res = await aelab(dir, 'sweep', 'sweep.aelab.yaml', '--runs-dir', 'runs', '--parallel', '2');
    assert.equal(res.code, EXIT.ok, res.err + res.out);
    assert.match(res.out, /4 point\(s\) .*; 2 already done, 2 to run, 1 training\(s\)/);
    const before = [0, 1, 2, 3].map((i) => readJson<PointFile>(path.join(sweepDir, 'points', `${i}.json`)));
    assert.ok(before.every((p) => p.state === 'completed'));
    assert.equal(before[3].modelFrom, before[1].runDir, 'point 3 scored with the model point 1 trained');

    // A point whose run failed runs again; the others are kept.
    const statusFile = path.join(before[1].runDir!, 'status.json');
    fs.writeFileSync(statusFile, JSON.stringify({ ...readJson<RunStatusFile>(statusFile), state: 'failed', error: 'test' }));
    const again = await aelab(dir, 'sweep', 'sweep.aelab.yaml', '--runs-dir', 'runs');
    assert.equal(again.code, EXIT.ok, again.err);
    assert.match(again.out, /3 already done, 1 to run, 1 training\(s\)/);
    const after = [0, 1, 2, 3].map((i) => readJson<PointFile>(path.join(sweepDir, 'points', `${i}.json`)));
    assert.deepEqual([0, 2, 3].map((i) => after[i].runDir), [0, 2, 3].map((i) => before[i].runDir));
    assert.notEqual(after[1].runDir, before[1].runDir);

    const status = await aelab(dir, 'sweep', 'status', 'sweep.aelab.yaml', '--runs-dir', 'runs');
    assert.equal(status.code, EXIT.ok, status.err);
    assert.match(status.out, /4 point\(s\): 4 completed/);

    const table = await aelab(dir, 'sweep', 'table', 'sweep.aelab.yaml', '--runs-dir', 'runs', '--format', 'json');
    assert.equal(table.code, EXIT.ok, table.err);
    const rows = JSON.parse(table.out) as Record<string, { mean: number; std: number; min: number; max: number } | number>[];
    assert.equal(rows.length, 2);
    const summaries = after.map((p) => readJson<RunSummary>(path.join(p.runDir!, 'summary.json')));
    for (const [row, [a, b]] of [[rows[0], [summaries[0], summaries[1]]], [rows[1], [summaries[2], summaries[3]]]] as const) {
      assert.equal(row.runs, 2);
      const auroc = row.auroc as { mean: number; std: number; min: number; max: number };
      assert.ok(Math.abs(auroc.mean - (a.auroc + b.auroc) / 2) < 1e-12);
      assert.ok(Math.abs(auroc.std - Math.abs(a.auroc - b.auroc) / Math.SQRT2) < 1e-12);
      assert.equal(auroc.min, Math.min(a.auroc, b.auroc));
      const f1 = row.f1 as { mean: number };
      assert.ok(Math.abs(f1.mean - (a.operatingPoint.f1 + b.operatingPoint.f1) / 2) < 1e-12);
    }
    assert.equal(rows[0]['corruption.level'], 0.3);
    assert.equal(rows[1]['corruption.level'], 0.8);
    assert.match(fs.readFileSync(path.join(sweepDir, 'table.md'), 'utf8'), /^\| corruption\.level \| runs \| auroc/);
    assert.match(fs.readFileSync(path.join(sweepDir, 'table.csv'), 'utf8'), /^corruption\.level,runs,auroc_mean,auroc_std/);
  });

  it('Ctrl-C stops the whole sweep: exit 130, every started run folder final (cancelled), the rest queued', async () => {
    const file = path.join(dir, 'slow.aelab.yaml');
    fs.writeFileSync(file, SWEEP.replace('name: sweep-tiny', 'name: sweep-slow').replace('epochs: 2', 'epochs: 40'));
    const cli = path.join(__dirname, '..', '..', 'bin', 'aelab.js');
    const child = spawn(process.execPath, [cli, 'sweep', 'slow.aelab.yaml', '--runs-dir', 'runs', '--parallel', '2'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!interrupted && /epoch 1\/40/.test(out)) {
        interrupted = true; // once: a second Ctrl-C means "abort at once"
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, EXIT.cancelled, out);
    const slowDir = path.join(dir, 'runs', '.sweeps', 'sweep-slow');
    const files = fs.readdirSync(path.join(slowDir, 'points')).map((f) => readJson<PointFile>(path.join(slowDir, 'points', f)));
    assert.ok(files.length >= 1 && files.length <= 2, `only the points running at the cancel started: ${files.length}`);
    for (const f of files) {
      assert.equal(f.state, 'cancelled');
      const st = readJson<RunStatusFile>(path.join(f.runDir!, 'status.json'));
      assert.equal(st.state, 'cancelled');
      assert.equal(st.pid, undefined);
    }
    const status = await aelab(dir, 'sweep', 'status', 'slow.aelab.yaml', '--runs-dir', 'runs');
    assert.match(status.out, new RegExp(`4 point\\(s\\): ${4 - files.length} queued, ${files.length} cancelled`));
  });
});

describe('aelab sweep: image folders checked against the working folder, as validate and run check them', function () {
  this.timeout(120_000);

  it('a folder beside the experiment\'s own folder (inside the working folder): validate, run and sweep all accept it; outside it: all refuse', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-sweep-ws-'));
    const normal = path.join(ws, 'data', 'good');
    fs.mkdirSync(normal, { recursive: true });
    for (let i = 0; i < 12; i++) writeGrayImage(path.join(normal, `g${i}.png`), new Float32Array(64).fill(0.2 + i / 40), 8, 8, 'png8');
    fs.mkdirSync(path.join(ws, 'experiments'));
    const file = path.join('experiments', 'folder-sweep.aelab.yaml');
    fs.writeFileSync(path.join(ws, file), `name: folder-sweep
data: { dataset: folder, normalDir: ../data/good, testSplit: 0.25, validationSplit: 0 }
corruption: { fraction: 0.5, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 4 }
evaluation: { threshold: { strategy: mixture } }
sweep:
  parameters:
    corruption.level: [0.3, 0.8]
`);
    // 3 test images (a quarter of 12): too few for the mixture threshold, which validate says first.
    const few = await aelab(ws, 'validate', file);
    assert.equal(few.code, EXIT.invalidInput, few.out);
    assert.match(few.err, /folder-sweep\.aelab\.yaml:6:\d+: evaluation\.threshold\.strategy mixture .* needs at least 4, but the test set has 3 image\(s\)/);
    fs.writeFileSync(path.join(ws, file), fs.readFileSync(path.join(ws, file), 'utf8').replace('testSplit: 0.25', 'testSplit: 0.5'));
    const validate = await aelab(ws, 'validate', file);
    assert.equal(validate.code, EXIT.ok, validate.err);
    const sweep = await aelab(ws, 'sweep', file, '--runs-dir', 'runs', '--threads', '1');
    assert.equal(sweep.code, EXIT.ok, `${sweep.out}\n${sweep.err}`);
    const points = [0, 1].map((i) => readJson<PointFile>(path.join(ws, 'runs', '.sweeps', 'folder-sweep', 'points', `${i}.json`)));
    assert.deepEqual(points.map((p) => p.state), ['completed', 'completed']);
    // From inside experiments/, ../data lies outside the working folder: every command refuses it, at the key.
    const inner = path.join(ws, 'experiments');
    for (const argv of [['validate', 'folder-sweep.aelab.yaml'], ['sweep', 'folder-sweep.aelab.yaml', '--runs-dir', 'runs2'], ['run', 'folder-sweep.aelab.yaml', '--sweep-index', '0', '--runs-dir', 'runs2']]) {
      const r = await aelab(inner, ...argv);
      assert.equal(r.code, EXIT.invalidInput, `${argv[0]}: ${r.out}\n${r.err}`);
      assert.match(r.err, /folder-sweep\.aelab\.yaml:2:\d+: .*outside the workspace/, argv[0]);
    }
    assert.ok(!fs.existsSync(path.join(inner, 'runs2')), 'nothing written');
  });
});
