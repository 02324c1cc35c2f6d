// The bundled engine worker (dist/worker.js, what the extension forks) trains on two threads with
// the bundled engine thread (dist/engine-thread.js), and a cancel mid-training ends the process
// with a cancelled run: nothing left running. Needs `npm run build` first (npm test builds).
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import type { HostToWorker, RunEvent, WorkerToHost } from '../../src/core/protocol';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'worker.js');

const EXPERIMENT = `name: two-threads
seed: 5
data: { trainLimit: 2400, testLimit: 200 }
model: { architecture: cnn }
training: { epochs: 2, batchSize: 64 }
`;

interface Outcome { code: number | null; events: RunEvent[] }

// Small and quick to train: for cancels that land after training.
const LATE_CANCEL_EXPERIMENT = `name: late-cancel
seed: 5
data: { trainLimit: 300, testLimit: 3000 }
model: { architecture: fcn-simple }
training: { epochs: 1, batchSize: 50 }
`;

function runWorker(runsDir: string, onEvent?: (e: RunEvent, send: (m: HostToWorker) => void) => void, yaml = EXPERIMENT): Promise<Outcome> {
  const result = validateExperiment(yaml, 'two-threads.aelab.yaml');
  assert.ok(result.experiment, JSON.stringify(result.problems));
  const experiment = result.experiment;
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const events: RunEvent[] = [];
    const send = (m: HostToWorker) => child.send(m);
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'ready') send({ type: 'run', request: { experiment, runsDir, backend: 'wasm', threads: 2 } });
      if (m.type === 'event') {
        events.push(m.event);
        onEvent?.(m.event, send);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, events }));
  });
}

describe('bundled worker (dist/worker.js) on two threads', function () {
  this.timeout(120_000);
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-worker-'));

  before(function () {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build first');
  });

  after(() => fs.rmSync(runsDir, { recursive: true, force: true }));

  it('trains a cnn data-parallel with the bundled engine thread and records it', async () => {
    const { code, events } = await runWorker(runsDir);
    assert.equal(code, 0, JSON.stringify(events.filter((e) => e.type === 'failed' || e.type === 'log')));
    assert.ok(events.some((e) => e.type === 'log' && /two threads/.test(e.message)));
    assert.ok(!events.some((e) => e.type === 'log' && e.level === 'warn'), 'no thread fell back');
    const started = events.find((e): e is Extract<RunEvent, { type: 'started' }> => e.type === 'started');
    assert.ok(started);
    const summary = JSON.parse(fs.readFileSync(path.join(started.runDir, 'summary.json'), 'utf8')) as { trainingThreads: number; epochsRun: number };
    assert.equal(summary.trainingThreads, 2);
    assert.equal(summary.epochsRun, 2);
  });

  it('cancel mid-training: the process exits 130 with a cancelled run', async () => {
    let cancelled = false;
    const { code, events } = await runWorker(runsDir, (e, send) => {
      if (e.type === 'batch' && !cancelled) {
        cancelled = true;
        send({ type: 'cancel' });
      }
    });
    assert.equal(code, 130, JSON.stringify(events.map((e) => e.type === 'batch' ? `b${e.epoch}.${e.batch}` : e.type)));
    const started = events.find((e): e is Extract<RunEvent, { type: 'started' }> => e.type === 'started');
    assert.ok(started);
    const status = JSON.parse(fs.readFileSync(path.join(started.runDir, 'status.json'), 'utf8')) as { state: string };
    assert.equal(status.state, 'cancelled');
    assert.ok(!fs.existsSync(path.join(started.runDir, 'summary.json')));
  });

  // The cancel message arrives over IPC while the worker scores or saves: it is only seen if those
  // phases yield to the event loop and check between batches and files.
  for (const phase of ['scoring', 'saving'] as const) {
    it(`cancel during ${phase}: the process exits 130 with a cancelled run, no results`, async () => {
      let cancelled = false;
      const { code, events } = await runWorker(runsDir, (e, send) => {
        if (e.type === 'phase' && e.phase === phase && !cancelled) {
          cancelled = true;
          send({ type: 'cancel' });
        }
      }, LATE_CANCEL_EXPERIMENT);
      assert.equal(code, 130, JSON.stringify(events.filter((e) => e.type !== 'batch').map((e) => e.type === 'phase' ? e.phase : e.type)));
      const started = events.find((e): e is Extract<RunEvent, { type: 'started' }> => e.type === 'started');
      assert.ok(started);
      const status = JSON.parse(fs.readFileSync(path.join(started.runDir, 'status.json'), 'utf8')) as { state: string };
      assert.equal(status.state, 'cancelled');
      assert.ok(!fs.existsSync(path.join(started.runDir, 'summary.json')));
      assert.ok(!fs.existsSync(path.join(started.runDir, 'scores.json')));
    });
  }
});
