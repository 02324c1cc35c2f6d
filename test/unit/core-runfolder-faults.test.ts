// Run folders at the edges (issue 9): failed writes leave no temp files and name what failed,
// run ids never collide, run files of the wrong shape mark their folder damaged (alone), a
// reused pid is not taken for the writer, and symbolic links are not followed into runs.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { listRuns, processStartTime, readRun, RunWriteError, writeFileAtomic, writeJsonAtomic, writerIdentity } from '../../src/core/runFolder';
import { createRunFolder, writeFinalStatus } from '../../src/core/runFolderLifecycle';
import { RUN_FILES, RunStatusFile } from '../../src/core/runFormat';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'run-fixture');
const newDir = () => tempDir('aelab-faults-');
const status = (runId: string, state: RunStatusFile['state'], extra: Partial<RunStatusFile> = {}): RunStatusFile =>
  ({ formatVersion: 1, runId, state, startedAt: '2026-11-28T10:00:00.000Z', ...extra });

/** A completed run copied from the fixture, with some files replaced by `overrides` (raw text). */
function completedRun(root: string, runId: string, overrides: Record<string, string> = {}): string {
  const dir = path.join(root, 'exp', runId);
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(FIXTURE)) fs.copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
  writeJsonAtomic(path.join(dir, RUN_FILES.status), status(runId, 'completed'));
  for (const [name, text] of Object.entries(overrides)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function canMountTmpfs(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

describe('run folder faults', () => {
  it('a failed atomic write removes its temp file and says which file and why', () => {
    const dir = newDir();
    // The target is a folder: the rename fails after the temp file was written whole.
    fs.mkdirSync(path.join(dir, 'summary.json'));
    assert.throws(() => writeFileAtomic(path.join(dir, 'summary.json'), 'x'.repeat(4096)),
      (err: Error) => err instanceof RunWriteError && /^cannot write .*summary\.json: .*\(EISDIR\)$/.test(err.message) && !err.message.includes('\n'));
    assert.deepEqual(fs.readdirSync(dir), ['summary.json'], 'no .tmp file left');
    const gone = path.join(dir, 'gone');
    assert.throws(() => writeFileAtomic(path.join(gone, 'status.json'), '{}'), /cannot write .*gone\/status\.json: its folder no longer exists/);
  });

  it('a full disk: the write fails with ENOSPC, no temp file stays, and the final status still fits (tmpfs, root only)', function () {
    if (!canMountTmpfs()) {
      this.skip(); // needs root to mount a small tmpfs; the injected failure above covers the rest
    }
    const mount = newDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount]);
    try {
      const runDir = path.join(mount, 'run');
      fs.mkdirSync(runDir);
      writeJsonAtomic(path.join(runDir, RUN_FILES.status), status('r', 'running', { pid: process.pid }));
      assert.throws(() => writeFileAtomic(path.join(runDir, 'images.bin'), new Uint8Array(256 * 1024)), /cannot write .*images\.bin: no space left on device \(ENOSPC\)/);
      assert.deepEqual(fs.readdirSync(runDir), ['status.json']);
      // Fill what is left, then the final status goes in place of the old one.
      try { fs.writeFileSync(path.join(mount, 'filler'), new Uint8Array(1024 * 1024)); } catch { /* full, as intended */ }
      assert.equal(writeFinalStatus(runDir, status('r', 'failed', { error: 'cannot write images.bin: no space left on device (ENOSPC)' })), undefined);
      assert.equal(readRun(runDir).status.state, 'failed');
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('creates run folders exclusively: a taken id is never shared, a new one is drawn', () => {
    const root = newDir();
    const ids = ['20261201-120000-0001', '20261201-120000-0001', '20261201-120000-0002'];
    const draw = () => ids.shift() as string;
    const first = createRunFolder(root, 'exp', undefined, draw);
    const second = createRunFolder(root, 'exp', undefined, draw);
    assert.equal(first.runId, '20261201-120000-0001');
    assert.equal(second.runId, '20261201-120000-0002');
    // A fixed id that is taken (tests, or Math.random fixed) also moves on.
    const third = createRunFolder(root, 'exp', first.runId, () => '20261201-120000-0003');
    assert.equal(third.runId, '20261201-120000-0003');
    assert.throws(() => createRunFolder(root, 'exp', first.runId, () => first.runId), /50 run ids in a row were taken/);
  });

  it('refuses runs dirs that are files or cannot be created, at once (no spin under /proc)', () => {
    const root = newDir();
    const file = path.join(root, 'passwd');
    fs.writeFileSync(file, 'x');
    assert.throws(() => createRunFolder(file, 'exp'), /cannot create .*passwd: .*passwd is not a folder/);
    if (fs.existsSync('/proc/self')) {
      const started = Date.now();
      assert.throws(() => createRunFolder('/proc/aelab-x/runs', 'exp'), /cannot create \/proc\/aelab-x: .*\(ENOENT\)/);
      assert.ok(Date.now() - started < 1000);
    }
  });

  it('does not write through, nor list, a symlinked experiment folder or run folder', () => {
    const root = newDir();
    const elsewhere = newDir();
    fs.mkdirSync(path.join(root, 'runs'));
    fs.symlinkSync(elsewhere, path.join(root, 'runs', 'exp'));
    assert.throws(() => createRunFolder(path.join(root, 'runs'), 'exp'), /is a symbolic link/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
    const real = completedRun(root, '20260101-000000-aaaa');
    fs.symlinkSync(real, path.join(root, 'exp', '20260102-000000-link'));
    assert.deepEqual(listRuns(root, 'exp').map((r) => r.runId), ['20260101-000000-aaaa']);
    assert.throws(() => readRun(path.join(root, 'exp', '20260102-000000-link')), /not a run folder/);
  });

  it('lists a folder with run files of the wrong shape as damaged, alone; the others list normally', () => {
    const root = newDir();
    completedRun(root, '20260101-000000-good');
    completedRun(root, '20260102-000000-empt', { [RUN_FILES.summary]: '{}' });
    completedRun(root, '20260103-000000-opnl', { [RUN_FILES.summary]: JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(FIXTURE, RUN_FILES.summary), 'utf8')), operatingPoint: null }) });
    completedRun(root, '20260104-000000-arry', { [RUN_FILES.status]: '[]' });
    completedRun(root, '20260105-000000-null', { [RUN_FILES.status]: 'null' });
    const runs = listRuns(root, 'exp');
    const byId = Object.fromEntries(runs.map((r) => [r.runId.slice(-4), r]));
    assert.equal(runs.length, 5);
    assert.equal(byId.good.damaged, undefined);
    assert.equal(byId.good.status.state, 'completed');
    assert.ok(byId.good.summary && byId.good.summary.auroc > 0);
    assert.match(byId.empt.damaged ?? '', /^summary\.json: .*must have required property/);
    assert.match(byId.opnl.damaged ?? '', /^summary\.json: operatingPoint must be object/);
    assert.match(byId.arry.damaged ?? '', /^status\.json: .*must be object/);
    assert.match(byId.null.damaged ?? '', /^status\.json: .*must be object/);
    for (const id of ['empt', 'opnl', 'arry', 'null']) {
      assert.equal(byId[id].status.state, 'failed');
      assert.equal(byId[id].summary, undefined);
    }
  });

  it('reads a run with a null metrics line or a config of the wrong shape as damaged, without throwing', () => {
    const root = newDir();
    const metrics = fs.readFileSync(path.join(FIXTURE, RUN_FILES.metrics), 'utf8');
    const a = completedRun(root, 'a', { [RUN_FILES.metrics]: `null\n${metrics}` });
    const runA = readRun(a);
    assert.match(runA.damaged ?? '', /^metrics\.jsonl line 1: the file must be object/);
    const b = completedRun(root, 'b', { [RUN_FILES.config]: '{"experiment":5}' });
    const runB = readRun(b);
    assert.equal(runB.config, undefined);
    assert.match(runB.damaged ?? '', /^config\.json: experiment must be object/);
    assert.ok(runB.summary, 'the rest of the run still reads');
  });

  it('records the writer\'s start time; a live pid with another start time is stale', function () {
    const me = writerIdentity();
    assert.equal(me.pid, process.pid);
    if (!fs.existsSync('/proc/self/stat')) this.skip(); // other systems: the pid alone decides (documented)
    assert.match(me.pidStartTime ?? '', /^\d+$/);
    assert.equal(processStartTime(process.pid), me.pidStartTime);
    const root = newDir();
    const mk = (id: string, extra: Partial<RunStatusFile>) => {
      fs.mkdirSync(path.join(root, 'exp', id), { recursive: true });
      writeJsonAtomic(path.join(root, 'exp', id, RUN_FILES.status), status(id, 'running', extra));
    };
    mk('2-mine', { ...me });
    mk('1-reused', { pid: process.pid, pidStartTime: String(Number(me.pidStartTime) + 1) });
    assert.deepEqual(listRuns(root, 'exp').map((r) => [r.runId, r.stale]), [['2-mine', false], ['1-reused', true]]);
  });
});
