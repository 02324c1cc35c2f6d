// Whole runs at the edges (issue 9): a cancel during scoring or saving ends `cancelled` with no
// results, a failed write (folder deleted, full disk) ends `failed` naming the file and reason
// with no temp files left, and a run id that is taken is never shared.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/tempDir';
import { validateExperiment } from '../../src/core/config';
import type { RunEvent } from '../../src/core/protocol';
import { readRun } from '../../src/core/runFolder';
import { runExperiment } from '../../src/engine/run';

function experiment(name: string, extra = '') {
  const yaml = `
name: ${name}
seed: 5
data: { trainLimit: 300, testLimit: 600, validationSplit: 0.2 }
corruption: { fraction: 0.2, type: gaussian, level: 0.5 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 50 }
evaluation: { samples: 2 }
${extra}`;
  const result = validateExperiment(yaml, `${name}.aelab.yaml`);
  assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
  return result.experiment;
}

const tmpFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }) as string[] : []).filter((f) => f.includes('.tmp'));

describe('engine: runs at the edges', function () {
  this.timeout(120_000);
  const runsDir = tempDir('aelab-run-faults-');

  // The cancel arrives from outside (a timer, like a signal or an IPC message), once the phase has
  // begun: it is only seen if scoring and saving yield to the event loop and check between steps.
  for (const phase of ['scoring', 'saving'] as const) {
    for (const threads of [1, 2] as const) {
      it(`a cancel during ${phase} (${threads} thread${threads === 1 ? '' : 's'}) ends cancelled, without results`, async () => {
        const controller = new AbortController();
        const outcome = await runExperiment({ experiment: experiment(`late-${phase}-${threads}`), runsDir, backend: 'wasm', threads }, {
          signal: controller.signal,
          onEvent: (e: RunEvent) => { if (e.type === 'phase' && e.phase === phase) setImmediate(() => controller.abort()); },
        });
        assert.equal(outcome.state, 'cancelled', outcome.error);
        const run = readRun(outcome.runDir);
        assert.equal(run.status.state, 'cancelled');
        assert.equal(run.metrics.length, 1, 'the finished epoch is kept');
        for (const f of ['summary.json', 'scores.json', 'scores.bin', 'images.bin', 'samples.json', 'model']) {
          assert.ok(!fs.existsSync(path.join(outcome.runDir, f)), `${f} removed or never written`);
        }
        assert.deepEqual(tmpFiles(outcome.runDir), []);
      });
    }
  }

  it('a taken run id is not shared: the run moves to a new id and leaves the other folder alone', async () => {
    const taken = '20261201-120000-abcd';
    const dir = path.join(runsDir, 'collide', taken);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'status.json'), JSON.stringify({ formatVersion: 1, runId: taken, state: 'running', startedAt: 'x', pid: process.pid }));
    const outcome = await runExperiment({ experiment: experiment('collide'), runsDir, backend: 'wasm', threads: 1 }, { runId: taken });
    assert.equal(outcome.state, 'completed', outcome.error);
    assert.notEqual(outcome.runId, taken);
    assert.deepEqual(fs.readdirSync(dir), ['status.json'], 'the other run\'s folder is untouched');
  });

  it('the run folder deleted during training: failed, with one line naming what could not be written', async () => {
    const events: RunEvent[] = [];
    const outcome = await runExperiment({ experiment: experiment('deleted'), runsDir, backend: 'wasm', threads: 1 }, {
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'started') fs.rmSync(e.runDir, { recursive: true, force: true });
      },
    });
    assert.equal(outcome.state, 'failed');
    assert.match(outcome.error ?? '', /^cannot write .*deleted\/[0-9-a-f]+\/(metrics\.jsonl|status\.json): its folder no longer exists/);
    assert.ok(!(outcome.error ?? '').includes('\n'));
    assert.ok(!fs.existsSync(outcome.runDir), 'the folder is not recreated');
    assert.equal(events[events.length - 1].type, 'failed');
  });

  it('a full disk (tmpfs, root only): failed with ENOSPC named, no temp files, final status written', async function () {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) this.skip(); // mounting needs root
    const mount = tempDir('aelab-full-');
    // Big enough for config, status and metrics; too small for images.bin (600 x 3 x 784 bytes).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount]);
    try {
      const outcome = await runExperiment({ experiment: experiment('full'), runsDir: path.join(mount, 'runs'), backend: 'wasm', threads: 1 });
      assert.equal(outcome.state, 'failed');
      assert.match(outcome.error ?? '', /^cannot write .*\.bin: no space left on device \(ENOSPC\)$/);
      const run = readRun(outcome.runDir);
      assert.equal(run.status.state, 'failed');
      assert.equal(run.status.error, outcome.error);
      assert.equal(run.status.pid, undefined);
      assert.deepEqual(tmpFiles(outcome.runDir), []);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
