import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordSlurmEndings } from '../../src/cli/slurm/slurmCli';
import { reusePoints } from '../../src/cli/slurm/slurmSweepCommand';
import { runSlurmCommand, SlurmCommand } from '../../src/cli/slurm/command';
import { arraySpec, batchScript, checkSubmitOptions, shellQuote } from '../../src/cli/slurm/batchScript';
import { parseSqueue, pointState } from '../../src/core/slurmQueue';
import { tempDir } from './support/tempDir';

describe('slurm: batch script and array spec', () => {
  it('compresses indices into Slurm ranges, with the task cap', () => {
    assert.equal(arraySpec([0, 1, 2, 3], 2), '0-3%2');
    assert.equal(arraySpec([5, 0, 2, 6, 7]), '0,2,5-7');
    assert.equal(arraySpec([4]), '4');
    assert.throws(() => arraySpec([]), /at least one index/);
  });

  it('puts the first point of each untrained setting in the first wave, the rest of it in the second', () => {
    const todo = [{ index: 0, trainingKey: 'a' }, { index: 1, trainingKey: 'b' }, { index: 2, trainingKey: 'a' }, { index: 3, trainingKey: 'c' }, { index: 5, trainingKey: 'a' }, { index: 6, trainingKey: 'c' }];
    assert.deepEqual(reusePoints(todo, () => false), [2, 5, 6]);
    // A setting that already has a trained model: its points all score at once, in the first wave.
    assert.deepEqual(reusePoints(todo, (key) => key === 'a'), [6]);
  });

  it('writes every option as #SBATCH and execs the CLI with the task index', () => {
    const text = batchScript({
      jobName: 'noise study', indices: [0, 1, 3], nodePath: '/usr/bin/node', cliPath: '/opt/aelab/dist/cli.js',
      experimentFile: "/data/it's.aelab.yaml", set: ['training.epochs=1'], runsDir: '/shared/runs', logDir: '/shared/runs/.sweeps/x/logs',
      options: { parallel: 2, cpusPerTask: 1, timeLimit: '0:30:00', partition: 'debug', extraArgs: ['--mem=1G'] },
    });
    const lines = text.split('\n');
    assert.equal(lines[0], '#!/bin/bash');
    for (const opt of ['--job-name=noise-study', '--array=0-1,3%2', '--cpus-per-task=1', '--time=0:30:00', '--partition=debug', '--output=/shared/runs/.sweeps/x/logs/%A_%a.out', '--mem=1G']) {
      assert.ok(lines.includes(`#SBATCH ${opt}`), `missing #SBATCH ${opt}`);
    }
    const twoCores = batchScript({
      jobName: 'x', indices: [0], nodePath: 'node', cliPath: 'cli.js', experimentFile: 'x.aelab.yaml', set: [], runsDir: 'r', logDir: 'l', backend: 'wasm',
      options: { cpusPerTask: 2, extraArgs: [] },
    });
    assert.match(twoCores, /--threads auto --backend wasm$/m);
    assert.ok(lines.includes(`exec /usr/bin/node /opt/aelab/dist/cli.js run '/data/it'\\''s.aelab.yaml' --sweep-index "$SLURM_ARRAY_TASK_ID" --runs-dir /shared/runs --threads 1 --set training.epochs=1`), text);
  });

  it('rejects options Slurm would refuse, in words', () => {
    const ok = { cpusPerTask: 1, extraArgs: [] };
    assert.deepEqual(checkSubmitOptions({ ...ok, timeLimit: '1-02:00:00', parallel: 3 }), []);
    assert.match(checkSubmitOptions({ ...ok, cpusPerTask: 0 }).join(), /cpus per task/);
    assert.match(checkSubmitOptions({ ...ok, timeLimit: '2h' }).join(), /time limit "2h"/);
    assert.match(checkSubmitOptions({ ...ok, extraArgs: ['mem=1G'] }).join(), /must be one option/);
    assert.match(checkSubmitOptions({ ...ok, parallel: 0 }).join(), /--parallel/);
  });

  it('quotes shell words only when needed', () => {
    assert.equal(shellQuote('/a/b-c.yaml'), '/a/b-c.yaml');
    assert.equal(shellQuote('a b'), "'a b'");
  });
});

describe('slurm: squeue and point states', () => {
  const squeue = '12_2|PENDING|JobArrayTaskLimit|\n12_0|RUNNING|None|vm\n12_1|TIMEOUT|None|vm\n13|RUNNING|None|vm\ngarbage\n';

  it('parses array tasks and skips other lines', () => {
    const tasks = parseSqueue(squeue);
    assert.deepEqual(tasks.map((t) => [t.jobId, t.index, t.state, t.reason, t.node]), [
      ['12', 2, 'PENDING', 'JobArrayTaskLimit', ''], ['12', 0, 'RUNNING', 'None', 'vm'], ['12', 1, 'TIMEOUT', 'None', 'vm'],
    ]);
  });

  it('merges Slurm with the run folder', () => {
    const [pending, running, timeout] = [parseSqueue(squeue)[0], parseSqueue(squeue)[1], parseSqueue(squeue)[2]];
    assert.equal(pointState(2, undefined, pending).state, 'pending');
    assert.match(pointState(2, undefined, pending).detail, /JobArrayTaskLimit/);
    // squeue's RUNNING wins over a pid that looks dead from here (the task may run on another host).
    assert.deepEqual(pointState(0, { state: 'running', stale: true, epoch: 1, epochs: 3 }, running), { index: 0, state: 'running', detail: 'epoch 1/3' });
    assert.equal(pointState(1, { state: 'cancelled' }, timeout).state, 'timeout');
    assert.equal(pointState(1, { state: 'completed' }, timeout).state, 'completed');
    const cancelled = { ...running, state: 'CANCELLED' };
    assert.equal(pointState(0, { state: 'cancelled' }, cancelled).state, 'cancelled');
    const failed = { ...running, state: 'FAILED' };
    assert.equal(pointState(0, { state: 'failed', error: 'boom' }, failed).detail, 'boom');
    assert.equal(pointState(0, undefined, failed).state, 'node-failed');
    // SIGKILLed: the run folder is a stale `running` (read as failed, no error): the task died under it.
    assert.deepEqual(pointState(0, { state: 'failed' }, failed), { index: 0, state: 'node-failed', detail: 'task failed on vm (see the sweep\'s logs/12_0.out)' });
    assert.equal(pointState(0, { state: 'failed', error: 'x' }, { ...running, state: 'COMPLETED' }).state, 'failed');
    // Without Slurm: the run folder alone.
    assert.equal(pointState(3, undefined, undefined).state, 'queued');
    assert.equal(pointState(3, { state: 'running', stale: true }, undefined).state, 'interrupted');
    assert.equal(pointState(3, { state: 'running', epoch: 2, epochs: 5 }, undefined).detail, 'epoch 2/5');
  });
});

describe('slurm: points files for tasks Slurm ended', () => {
  it('records timeout / node failure / scancel where the run could not, and leaves final points alone', () => {
    const dir = tempDir('aelab-slurm-endings-');
    fs.mkdirSync(path.join(dir, 'points'));
    const write = (i: number, v: unknown) => fs.writeFileSync(path.join(dir, 'points', `${i}.json`), JSON.stringify(v));
    write(0, { index: 0, runDir: '/r/0', state: 'running', updatedAt: 'x' }); // SIGKILLed after the time limit
    write(1, { index: 1, runDir: '/r/1', state: 'cancelled', updatedAt: 'x' }); // its run said so itself
    write(4, { index: 4, runDir: '/r/4', state: 'completed', updatedAt: 'x' });
    const task = (index: number, state: string) => ({ jobId: '7', index, state, reason: 'None', node: 'vm' });
    const n = recordSlurmEndings(dir, [task(0, 'TIMEOUT'), task(1, 'TIMEOUT'), task(2, 'NODE_FAIL'), task(3, 'CANCELLED'), task(4, 'COMPLETED'), task(5, 'RUNNING')], new Date('2026-01-01T00:00:00Z'));
    assert.equal(n, 3);
    const read = (i: number) => JSON.parse(fs.readFileSync(path.join(dir, 'points', `${i}.json`), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(read(0), { index: 0, runDir: '/r/0', state: 'failed', updatedAt: '2026-01-01T00:00:00.000Z', error: "Slurm job 7_0 ended: Slurm's time limit on vm" });
    assert.equal(read(1).state, 'cancelled');
    assert.deepEqual([read(2).state, read(2).error], ['failed', 'Slurm job 7_2 ended: NODE_FAIL on vm']);
    assert.equal(read(3).state, 'cancelled');
    assert.equal(read(4).state, 'completed');
    assert.equal(fs.existsSync(path.join(dir, 'points', '5.json')), false);
  });
});

describe('slurm: commands as child processes', () => {
  it('a missing command, a silent one and a failing one each give a located error', async () => {
    await assert.rejects(runSlurmCommand('sbatch-not-installed-here', ['--parsable']), /sbatch-not-installed-here --parsable: sbatch-not-installed-here not found on PATH: is Slurm installed/);
    await assert.rejects(runSlurmCommand(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 300 }), /no answer within 0 s/);
    await assert.rejects(runSlurmCommand(process.execPath, ['-e', 'console.error("squeue: error: Invalid job id specified"); process.exit(1)']), /: squeue: error: Invalid job id specified$/);
    assert.equal(await runSlurmCommand(process.execPath, ['-e', 'console.log("42")']), '42\n');
  });

  it('disposing a running command kills it', async () => {
    const command = new SlurmCommand(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
    const t0 = Date.now();
    command.dispose();
    await assert.rejects(command.result, /stopped \(the caller went away\)/);
    assert.ok(Date.now() - t0 < 5000);
  });
});
