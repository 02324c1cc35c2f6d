import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { finalizeAbandonedRun, readStatusFile } from '../../src/extension/model/recovery';

describe('extension: crash recovery of run folders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-recovery-'));
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ formatVersion: 1, runId: 'r', state: 'running', startedAt: 'x', pid: 999999, epoch: 2, epochs: 5 }));
    fs.writeFileSync(path.join(dir, 'summary.json.1234.5678.tmp'), '{"half');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('marks a running folder failed with the error, drops temp files and the pid', () => {
    const s = finalizeAbandonedRun(dir, { state: 'failed', error: 'killed by SIGKILL' }, new Date('2026-01-01T00:00:00Z'));
    assert.equal(s?.state, 'failed');
    const onDisk = readStatusFile(dir);
    assert.deepEqual({ state: onDisk?.state, error: onDisk?.error, endedAt: onDisk?.endedAt, pid: onDisk?.pid, epoch: onDisk?.epoch }, {
      state: 'failed', error: 'killed by SIGKILL', endedAt: '2026-01-01T00:00:00.000Z', pid: undefined, epoch: 2,
    });
    assert.deepEqual(fs.readdirSync(dir), ['status.json']);
  });

  it('marks a killed-after-cancel folder cancelled; leaves final states alone', () => {
    assert.equal(finalizeAbandonedRun(dir, { state: 'cancelled' })?.state, 'cancelled');
    assert.equal(finalizeAbandonedRun(dir, { state: 'failed', error: 'late' })?.state, 'cancelled');
    assert.equal(readStatusFile(dir)?.error, undefined);
    assert.equal(finalizeAbandonedRun(path.join(dir, 'nope'), { state: 'failed' }), undefined);
  });
});
