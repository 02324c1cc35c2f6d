// The Slurm executor against the real one-node cluster (scripts/slurm-cluster.sh), with a stand-in
// for the CLI so that only the scheduler part is under test: sbatch, squeue, scancel, the files.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordSlurmEndings, runSweepOnSlurm } from '../../src/cli/slurm/slurmCli';
import { runSlurmCommand } from '../../src/cli/slurm/command';
import { cancelSweep, querySweepTasks, readSlurmRecord, submitSweep, waitForSweep } from '../../src/cli/slurm/slurmSweep';
import { requireSlurm } from './support/slurm';
import { tempDir } from './support/tempDir';

// Records its arguments, then sleeps FAKE_SLEEP seconds (the task's environment comes from sbatch).
const FAKE_CLI = `const fs = require('node:fs');
const i = process.env.SLURM_ARRAY_TASK_ID;
fs.writeFileSync(process.env.FAKE_OUT + '/argv-' + i + '.json', JSON.stringify(process.argv.slice(2)));
setTimeout(() => undefined, Number(process.env.FAKE_SLEEP || 0) * 1000);
`;

describe('slurm: submitting to the real cluster', function () {
  this.timeout(120_000);
  let dir: string;
  let cliPath: string;

  before(function () {
    requireSlurm(this);
    dir = tempDir('aelab-slurm-submit-');
    cliPath = path.join(dir, 'fake-cli.js');
    fs.writeFileSync(cliPath, FAKE_CLI);
    process.env.FAKE_OUT = dir;
  });

  const request = (sweepDir: string, indices: number[], extra: Partial<Parameters<typeof submitSweep>[0]> = {}) => ({
    sweepDir, jobName: 'fake sweep', indices, nodePath: process.execPath, cliPath, experimentFile: '/x/fake.aelab.yaml', set: [], runsDir: dir,
    options: { parallel: 2, cpusPerTask: 1, extraArgs: [] }, ...extra,
  });

  it('submits one job array that runs `run FILE --sweep-index I` per task and records it', async () => {
    const sweepDir = path.join(dir, 'a');
    fs.mkdirSync(sweepDir);
    process.env.FAKE_SLEEP = '0';
    const submission = await submitSweep(request(sweepDir, [0, 1, 2]));
    assert.match(submission.jobId, /^\d+$/);
    assert.equal(submission.array, '0-2%2');
    assert.deepEqual(readSlurmRecord(sweepDir)?.submissions.map((s) => s.jobId), [submission.jobId]);
    assert.match(fs.readFileSync(path.join(sweepDir, 'job.sbatch'), 'utf8'), /^#SBATCH --array=0-2%2$/m);
    const tasks = await waitForSweep(sweepDir, { pollMs: 500 });
    assert.deepEqual(tasks.map((t) => [t.index, t.state]), [[0, 'COMPLETED'], [1, 'COMPLETED'], [2, 'COMPLETED']]);
    for (const i of [0, 1, 2]) {
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, `argv-${i}.json`), 'utf8')), ['run', '/x/fake.aelab.yaml', '--sweep-index', String(i), '--runs-dir', dir, '--threads', '1']);
      assert.ok(fs.existsSync(path.join(sweepDir, 'logs', `${submission.jobId}_${i}.out`)));
    }
  });

  it('a rejected submission names sbatch and Slurm\'s message, and records nothing', async () => {
    const sweepDir = path.join(dir, 'b');
    fs.mkdirSync(sweepDir);
    await assert.rejects(submitSweep(request(sweepDir, [0], { options: { cpusPerTask: 1, partition: 'no-such-partition', extraArgs: [] } })),
      (err: Error) => /^sbatch .*: sbatch: error: .*invalid partition/i.test(err.message));
    assert.equal(readSlurmRecord(sweepDir), undefined);
    assert.deepEqual(fs.readdirSync(sweepDir).filter((f) => f.includes('sbatch')), [], 'no script of a submission Slurm refused');
  });

  it('controller down: the error names sbatch and carries Slurm\'s "Unable to contact" message; nothing recorded', async () => {
    // A copy of the cluster's config whose controller port nobody listens on.
    const conf = fs.readFileSync('/etc/slurm/slurm.conf', 'utf8').replace(/^SlurmctldPort=.*$/m, '') + '\nSlurmctldPort=1\n';
    const confPath = path.join(dir, 'down.conf');
    fs.writeFileSync(confPath, conf);
    const sweepDir = path.join(dir, 'down');
    fs.mkdirSync(sweepDir);
    const saved = process.env.SLURM_CONF;
    process.env.SLURM_CONF = confPath;
    try {
      await assert.rejects(submitSweep(request(sweepDir, [0, 1])), (err: Error) => /^sbatch .*: sbatch: error: .*Unable to contact slurm controller/s.test(err.message));
    } finally {
      if (saved === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = saved;
    }
    assert.equal(readSlurmRecord(sweepDir), undefined);
    assert.deepEqual(fs.readdirSync(sweepDir).filter((f) => f.includes('sbatch')), []);
  });

    it('cancel: scancel stops running and pending tasks and the points files say so', async () => {
    const sweepDir = path.join(dir, 'c');
    fs.mkdirSync(sweepDir);
    process.env.FAKE_SLEEP = '60';
    await submitSweep(request(sweepDir, [0, 1, 2], { options: { parallel: 1, cpusPerTask: 1, extraArgs: [] } }));
    // Refused while in the queue: no second array for the same points.
    await assert.rejects(submitSweep(request(sweepDir, [0])), /still in Slurm's queue/);
    for (let i = 0; i < 60 && !(await querySweepTasks(sweepDir)).some((t) => t.state === 'RUNNING'); i++) await new Promise((r) => setTimeout(r, 500));
    const before = await querySweepTasks(sweepDir);
    assert.deepEqual(before.map((t) => t.state), ['RUNNING', 'PENDING', 'PENDING']);
    assert.equal((await cancelSweep(sweepDir)).length, 1);
    const after = await waitForSweep(sweepDir, { pollMs: 500 });
    assert.deepEqual(after.map((t) => t.state), ['CANCELLED', 'CANCELLED', 'CANCELLED']);
    assert.equal(recordSlurmEndings(sweepDir, after), 3);
    const points = [0, 1, 2].map((i) => JSON.parse(fs.readFileSync(path.join(sweepDir, 'points', `${i}.json`), 'utf8')) as { state: string; error: string });
    assert.deepEqual(points.map((p) => p.state), ['cancelled', 'cancelled', 'cancelled']);
    assert.match(points[1].error, /ended: scancel/);
  });
  it('two waves are queued both or neither: a refused second wave takes the first back (scancel, off the record)', async () => {
    const sweepDir = path.join(dir, 'w');
    fs.mkdirSync(sweepDir);
    // An sbatch that refuses only the second wave (the one with --dependency), and logs the job ids it got.
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    const real = (await runSlurmCommand('sh', ['-c', 'command -v sbatch'])).trim();
    const accepted = path.join(dir, 'accepted.txt');
    fs.writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh
case "$*" in *--dependency=*) echo "sbatch: error: Batch job submission failed: Job dependency problem" >&2; exit 1;; esac
out=$(${real} "$@") || exit $?
echo "$out" >> ${accepted}
echo "$out"
`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    process.env.FAKE_SLEEP = '60';
    const lines: string[] = [];
    try {
      await assert.rejects(runSweepOnSlurm({
        sweepDir, name: 'waves', experimentFile: '/x/fake.aelab.yaml', set: [], runsDir: dir, indices: [0, 1, 2], reuse: [2], total: 3,
        options: { parallel: 2, cpusPerTask: 1, extraArgs: [] }, wait: false, cliPath, runStates: () => new Map(), io: { out: (l) => lines.push(l), err: (l) => lines.push(l) },
      }), /Job dependency problem/);
    } finally {
      process.env.PATH = savedPath;
    }
    const [firstJob] = fs.readFileSync(accepted, 'utf8').trim().split(';');
    assert.match(firstJob, /^\d+$/);
    assert.deepEqual(readSlurmRecord(sweepDir)?.submissions ?? [], [], 'nothing on the record');
    assert.deepEqual(await querySweepTasks(sweepDir), []);
    // Slurm itself: the first wave's tasks are cancelled, none left pending or running.
    const statesOf = async () => (await runSlurmCommand('squeue', ['-h', '-r', '--states=all', '-j', firstJob, '-o', '%T'])).trim().split('\n').filter(Boolean);
    let states = await statesOf();
    for (let i = 0; i < 20 && !states.every((st) => st === 'CANCELLED'); i++) {
      await new Promise((r) => setTimeout(r, 250));
      states = await statesOf();
    }
    assert.ok(states.every((st) => st === 'CANCELLED'), `job ${firstJob}: ${states.join(', ')}`);
    assert.equal(lines.length, 0, 'no "submitted" line for a submission taken back');
  });
});
