import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { tempDir } from './support/tempDir';
import { runCli } from './support/cliHarness';

const aelab = (cwd: string, ...argv: string[]) => runCli(cwd, argv);

const TINY = `# a tiny experiment
name: cli-tiny
seed: 3
data:
  trainLimit: 300
  testLimit: 100
corruption: { fraction: 0.2, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 3, batchSize: 50 }
`;

describe('aelab CLI', function () {
  this.timeout(120_000);
  const dir = tempDir('aelab-cli-');
  fs.writeFileSync(path.join(dir, 'tiny.aelab.yaml'), TINY);
  fs.writeFileSync(path.join(dir, 'bad.aelab.yaml'), 'name: bad\ntraining:\n  epochs: 0\n  optimiser: adam\n');

  it('validate: ok files exit 0, problems print as file:line:col and exit 1', async () => {
    const ok = await aelab(dir, 'validate', 'tiny.aelab.yaml');
    assert.equal(ok.code, EXIT.ok);
    assert.match(ok.out, /tiny\.aelab\.yaml: ok/);
    const bad = await aelab(dir, 'validate', 'bad.aelab.yaml', 'tiny.aelab.yaml');
    assert.equal(bad.code, EXIT.invalidInput);
    assert.match(bad.err, /bad\.aelab\.yaml:3:11: .*epochs/);
    assert.match(bad.err, /bad\.aelab\.yaml:4:3: .*optimiser/);
  });

  it('validate and run refuse what the engine would, at the key, before anything is written', async () => {
    fs.writeFileSync(path.join(dir, 'occluded.aelab.yaml'), TINY.replace('name: cli-tiny', 'name: occluded').replace('corruption: { fraction: 0.2, level: 0.5 }', 'corruption: { fraction: 0.2, type: occlusion, level: 12 }'));
    fs.writeFileSync(path.join(dir, 'no-files.aelab.yaml'), 'name: no-files\ndata:\n  dataset: idx\n  files:\n    trainImages: nowhere.idx\n    trainLabels: tl\n    testImages: ti\n    testLabels: tsl\n');
    const occluded = await aelab(dir, 'validate', 'occluded.aelab.yaml');
    assert.equal(occluded.code, EXIT.invalidInput);
    assert.match(occluded.err, /occluded\.aelab\.yaml:7:54: corruption\.level for occlusion is the block side as a fraction of the image side: it must be at most 1, got 12/);
    const missing = await aelab(dir, 'validate', 'no-files.aelab.yaml');
    assert.equal(missing.code, EXIT.invalidInput);
    assert.match(missing.err, /no-files\.aelab\.yaml:5:18: file not found: .*nowhere\.idx/);
    const run = await aelab(dir, 'run', 'occluded.aelab.yaml', '--set', 'corruption.level=0.3', '--set', 'data.testLimit=1', '--runs-dir', 'runs-refused');
    assert.equal(run.code, EXIT.invalidInput);
    assert.match(run.err, /^--set:2:16: data\.testLimit 1 leaves one test image/m);
    assert.ok(!fs.existsSync(path.join(dir, 'runs-refused')));
  });

  it('run with --set overrides trains, prints the summary, and show/list read the run back', async () => {
    const res = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'training.epochs=1', '--runs-dir', 'runs');
    assert.equal(res.code, EXIT.ok, res.err);
    assert.match(res.out, /epoch 1\/1 /);
    assert.doesNotMatch(res.out, /epoch 2\//);
    assert.match(res.out, /AUROC \d\.\d{4}/);
    assert.match(res.out, /TP \d+/);
    assert.match(res.out, /precision \d\.\d{4}\s+recall \d\.\d{4}\s+F1 \d\.\d{4} \(mixture\)/);
    const runDir = /run folder: (.*)$/m.exec(res.out)?.[1] ?? '';
    assert.ok(fs.existsSync(path.join(runDir, 'summary.json')));
    const runId = path.basename(runDir);

    const show = await aelab(dir, 'show', runId, '--runs-dir', 'runs');
    assert.equal(show.code, EXIT.ok, show.err);
    assert.match(show.out, new RegExp(`run ${runId}\\s+completed`));
    assert.match(show.out, /fcn-simple, mse loss/);

    const list = await aelab(dir, 'list', '--runs-dir', 'runs');
    assert.equal(list.code, EXIT.ok);
    assert.match(list.out, /cli-tiny \(tiny\.aelab\.yaml\)\s+1 run\(s\)/);
    assert.match(list.out, /bad\.aelab\.yaml\s+invalid/);
  });

  it('invalid input exits 1 and writes nothing', async () => {
    const res = await aelab(dir, 'run', 'bad.aelab.yaml', '--runs-dir', 'runs-bad');
    assert.equal(res.code, EXIT.invalidInput);
    assert.ok(!fs.existsSync(path.join(dir, 'runs-bad')));
    const badSet = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'training.epochs=zero', '--runs-dir', 'runs-bad');
    assert.equal(badSet.code, EXIT.invalidInput);
    assert.match(badSet.err, /--set/);
    assert.ok(!fs.existsSync(path.join(dir, 'runs-bad')));
    const missing = await aelab(dir, 'run', 'nope.aelab.yaml');
    assert.equal(missing.code, EXIT.invalidInput);
    const idx = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'data.dataset=idx', '--set',
      'data.files={trainImages: a.idx, trainLabels: b.idx, testImages: c.idx, testLabels: d.idx}', '--runs-dir', 'runs-bad');
    assert.equal(idx.code, EXIT.invalidInput, idx.err);
    assert.match(idx.err, /a\.idx/);
    assert.ok(!fs.existsSync(path.join(dir, 'runs-bad')));
  });

  it('--threads 2 trains on two threads and says so (fcn-simple: on one, and says why); a bad --threads is a usage error', async () => {
    const res = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'training.epochs=1', '--set', 'model.architecture=cnn', '--backend', 'wasm', '--threads', '2', '--runs-dir', 'runs-threads');
    assert.equal(res.code, EXIT.ok, res.err);
    assert.match(res.out, /backend wasm \(2 threads\)/);
    const [runDir] = fs.readdirSync(path.join(dir, 'runs-threads', 'cli-tiny')).sort();
    const summary = JSON.parse(fs.readFileSync(path.join(dir, 'runs-threads', 'cli-tiny', runDir, 'summary.json'), 'utf8')) as { trainingThreads: number };
    assert.equal(summary.trainingThreads, 2);
    const simple = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'training.epochs=1', '--backend', 'wasm', '--threads', '2', '--runs-dir', 'runs-threads-simple');
    assert.equal(simple.code, EXIT.ok, simple.err);
    assert.match(simple.out + simple.err, /fcn-simple trains on one thread \(two measured slower for it, and one gives the same bytes on every machine\)/);
    assert.doesNotMatch(simple.out, /2 threads/);
    const cpu = await aelab(dir, 'run', 'tiny.aelab.yaml', '--set', 'training.epochs=1', '--backend', 'cpu', '--threads', '2', '--runs-dir', 'runs-threads');
    assert.equal(cpu.code, EXIT.ok, cpu.err);
    assert.match(cpu.out + cpu.err, /two threads need the wasm backend; cpu trains and scores on one/);
    assert.doesNotMatch(cpu.out, /2 threads/);
    const bad = await aelab(dir, 'run', 'tiny.aelab.yaml', '--threads', '3', '--runs-dir', 'runs-bad');
    assert.equal(bad.code, EXIT.invalidInput);
    assert.match(bad.err, /--threads must be auto, 1 or 2/);
    assert.ok(!fs.existsSync(path.join(dir, 'runs-bad')));
  });

  it('unknown commands and options are usage errors', async () => {
    assert.equal((await aelab(dir, 'frobnicate')).code, EXIT.invalidInput);
    assert.equal((await aelab(dir, 'run', 'tiny.aelab.yaml', '--bogus')).code, EXIT.invalidInput);
    assert.equal((await aelab(dir, 'run', 'tiny.aelab.yaml', '--backend', 'gpu')).code, EXIT.invalidInput);
  });
});
