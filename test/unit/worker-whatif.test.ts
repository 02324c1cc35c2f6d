// The bundled worker (dist/worker.js) answers `whatIf` over advanced IPC serialization (as the
// Results panel forks it): typed arrays arrive as typed arrays, with the scores an in-process
// what-if gives, and the process exits 0 with nothing written. Needs `npm run build` first.
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import type { HostToWorker, RunRequest, WhatIfResult, WorkerToHost } from '../../src/core/protocol';
import { runExperiment } from '../../src/engine/run';
import { scoreWhatIf } from '../../src/engine/whatIf';
import { tempDir } from './support/tempDir';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'worker.js');

const experiment = (corruption: string) => {
  const result = validateExperiment(`name: worker-whatif\nseed: 3\ndata: { trainLimit: 300, testLimit: 150 }\ncorruption: ${corruption}\nmodel: { architecture: fcn-simple }\ntraining: { epochs: 1 }\n`, 'w.aelab.yaml');
  assert.ok(result.experiment, JSON.stringify(result.problems));
  return result.experiment;
};

function whatIfInWorker(request: RunRequest & { modelFrom: string }): Promise<{ code: number | null; result?: WhatIfResult }> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let result: WhatIfResult | undefined;
    child.on('message', (m: WorkerToHost) => {
      if (m.type === 'ready') child.send({ type: 'whatIf', request } satisfies HostToWorker);
      if (m.type === 'whatIf') result = m.result;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, result }));
  });
}

describe('bundled worker (dist/worker.js): what-if', function () {
  this.timeout(120_000);
  const runsDir = tempDir('aelab-worker-whatif-');

  before(function () {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build first');
  });

  it('sends the what-if scores as typed arrays, equal to an in-process what-if, writing nothing', async () => {
    const source = await runExperiment({ experiment: experiment('{ type: gaussian }'), runsDir, backend: 'wasm', threads: 1 });
    assert.equal(source.state, 'completed', source.error);
    const request = { experiment: experiment('{ type: occlusion, level: 0.3 }'), runsDir, backend: 'wasm' as const, threads: 1 as const, modelFrom: source.runDir };
    const { code, result } = await whatIfInWorker(request);
    assert.equal(code, 0);
    assert.ok(result);
    assert.ok(result.scores instanceof Float32Array && result.labels instanceof Uint8Array, 'typed arrays arrive as typed arrays');
    assert.equal(result.scores.length, 150);
    const here = await scoreWhatIf(request);
    assert.ok(here);
    assert.deepEqual([...result.scores], [...here.scores]);
    assert.deepEqual(fs.readdirSync(path.join(runsDir, 'worker-whatif')), [path.basename(source.runDir)], 'no run folder written');
  });

  it('with keepAlive one process answers what-ifs one after another, each as in-process, and stays up until cancel', async () => {
    const source = await runExperiment({ experiment: experiment('{ type: gaussian }'), runsDir, backend: 'wasm', threads: 1 });
    assert.equal(source.state, 'completed', source.error);
    const requests = ['{ type: occlusion, level: 0.3 }', '{ type: gaussian, level: 0.05 }'].map((c) => ({ experiment: experiment(c), runsDir, backend: 'wasm' as const, threads: 1 as const, modelFrom: source.runDir }));
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    const results: WhatIfResult[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let alive = true;
    void exited.then(() => { alive = false; });
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('message', (m: WorkerToHost) => {
        if (m.type === 'ready') child.send({ type: 'whatIf', request: requests[0], keepAlive: true } satisfies HostToWorker);
        if (m.type === 'whatIf') {
          results.push(m.result);
          if (results.length < requests.length) child.send({ type: 'whatIf', request: requests[results.length], keepAlive: true } satisfies HostToWorker);
          else resolve();
        }
      });
      void exited.then((code) => reject(new Error(`worker exited (${code}) after ${results.length} answer(s)`)));
    });
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive, 'still up after its answers');
    for (const [k, request] of requests.entries()) {
      const here = await scoreWhatIf(request);
      assert.ok(here);
      assert.deepEqual([...results[k].scores], [...here.scores], `answer ${k} is the in-process what-if`);
      assert.deepEqual(results[k].corruption, request.experiment.corruption);
    }
    assert.notDeepEqual([...results[0].scores], [...results[1].scores]);
    child.send({ type: 'cancel' } satisfies HostToWorker);
    assert.equal(await exited, 130);
  });
});
