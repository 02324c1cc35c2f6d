// The Results panel's warm what-if scorer (extension/model/whatIfScorer.ts) over real dist/worker.js
// processes: requests one after another share one process, a newer request while one is being
// scored replaces that process (the stale answer is dropped), idle and dispose end it. Needs
// `npm run build` first.
import { strict as assert } from 'node:assert';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateExperiment } from '../../src/core/config';
import type { WorkerToHost } from '../../src/core/protocol';
import { runExperiment } from '../../src/engine/run';
import { scoreWhatIf } from '../../src/engine/whatIf';
import { WhatIfRequest, WhatIfScorer, WhatIfWorker } from '../../src/extension/model/whatIfScorer';
import { tempDir } from './support/tempDir';

const WORKER = path.join(__dirname, '..', '..', 'dist', 'worker.js');

const experiment = (corruption: string) => {
  const result = validateExperiment(`name: scorer-whatif\nseed: 5\ndata: { trainLimit: 300, testLimit: 150 }\ncorruption: ${corruption}\nmodel: { architecture: fcn-simple }\ntraining: { epochs: 1 }\n`, 's.aelab.yaml');
  assert.ok(result.experiment, JSON.stringify(result.problems));
  return result.experiment;
};

/** dist/worker.js as the scorer's worker, counting the processes started. */
function forkedWorkers(): { start: () => WhatIfWorker; started: WhatIfWorker[] } {
  const started: WhatIfWorker[] = [];
  return {
    started,
    start: () => {
      const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
      const worker: WhatIfWorker = {
        exited: new Promise((resolve) => child.on('exit', resolve)),
        onMessage: (listener) => { child.on('message', (m: WorkerToHost) => listener(m)); },
        onStderr: (listener) => { child.stderr?.on('data', (b: Buffer) => listener(b.toString())); },
        send: (message) => child.connected && child.send(message),
        dispose: () => { child.kill('SIGKILL'); },
      };
      started.push(worker);
      return worker;
    },
  };
}

describe('warm what-if scorer over dist/worker.js', function () {
  this.timeout(120_000);
  const runsDir = tempDir('aelab-whatif-scorer-');
  let requests: WhatIfRequest[] = [];

  before(async function () {
    assert.ok(fs.existsSync(WORKER), 'dist/worker.js is missing: run npm run build first');
    const source = await runExperiment({ experiment: experiment('{ type: gaussian }'), runsDir, backend: 'wasm', threads: 1 });
    assert.equal(source.state, 'completed', source.error);
    requests = ['{ type: gaussian, level: 0.05 }', '{ type: occlusion, level: 0.3 }', '{ type: blur, level: 1 }']
      .map((c) => ({ experiment: experiment(c), runsDir, backend: 'wasm' as const, threads: 1 as const, modelFrom: source.runDir }));
  });

  it('answers requests one after another from one process, each as an in-process what-if; dispose ends it', async () => {
    const workers = forkedWorkers();
    const scorer = new WhatIfScorer(workers.start);
    const first = await scorer.score(requests[0]);
    const second = await scorer.score(requests[1]);
    assert.equal(workers.started.length, 1, 'one process for both');
    for (const [k, result] of [first, second].entries()) {
      assert.ok(result);
      const here = await scoreWhatIf(requests[k]);
      assert.deepEqual([...result.scores], [...(here?.scores ?? [])]);
    }
    assert.ok(scorer.worker, 'still up between requests');
    scorer.dispose();
    await workers.started[0].exited;
    assert.equal(scorer.worker, undefined);
  });

  it('a request while another is being scored drops the stale one and its process', async () => {
    const workers = forkedWorkers();
    const scorer = new WhatIfScorer(workers.start);
    const stale = scorer.score(requests[0]);
    const fresh = scorer.score(requests[2]);
    assert.equal(await stale, undefined);
    const result = await fresh;
    assert.ok(result);
    assert.deepEqual(result.corruption, requests[2].experiment.corruption);
    assert.equal(workers.started.length, 2);
    await workers.started[0].exited; // the stale request's process was ended
    scorer.dispose();
  });

  it('ends an idle process after its idle time, and boots a new one for the next request', async () => {
    const workers = forkedWorkers();
    const scorer = new WhatIfScorer(workers.start, 200);
    assert.ok(await scorer.score(requests[1]));
    await workers.started[0].exited;
    assert.equal(scorer.worker, undefined);
    assert.ok(await scorer.score(requests[1]));
    assert.equal(workers.started.length, 2);
    scorer.dispose();
  });
});
