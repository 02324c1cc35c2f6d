// What-if latency as the Results panel sees it (request sent to scores received), for a worker
// forked per request (cold) against one warm worker answering them in turn (keepAlive). Needs
// `npm run build` (dist/worker.js) and a finished run; its test set is what gets re-scored.
//
//   npx tsx bench/whatif-warm.ts RUN_DIR [--rounds 3] [--threads 1|2|auto]
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { HostToWorker, RunRequest, ThreadsPreference, WhatIfResult, WorkerToHost } from '../src/core/protocol';
import { readRun } from '../src/core/runFolder';
import { whatIfExperiment } from '../src/core/whatIfExperiment';

const WORKER = path.join(__dirname, '..', 'dist', 'worker.js');
type WhatIfRequest = RunRequest & { modelFrom: string };

function start(): { child: ChildProcess; ready: Promise<void> } {
  const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
  const ready = new Promise<void>((resolve) => child.on('message', (m: WorkerToHost) => { if (m.type === 'ready') resolve(); }));
  return { child, ready };
}

function answer(child: ChildProcess, request: WhatIfRequest, keepAlive: boolean): Promise<WhatIfResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerToHost) => {
      if (m.type === 'whatIf') { child.off('message', onMessage); resolve(m.result); }
      if (m.type === 'event' && m.event.type === 'failed') reject(new Error(m.event.error));
    };
    child.on('message', onMessage);
    child.send({ type: 'whatIf', request, keepAlive } satisfies HostToWorker);
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '1' } } });
  const runDir = path.resolve(positionals[0] ?? '');
  const config = readRun(runDir).config;
  if (!config) throw new Error(`usage: whatif-warm.ts RUN_DIR [--rounds N] [--threads 1|2|auto] (${runDir} has no config.json)`);
  const rounds = Number(values.rounds);
  const levels = Array.from({ length: rounds }, (_, k) => Number((0.05 * (k + 1)).toFixed(2)));
  const requests = levels.map((level): WhatIfRequest => {
    const changed = whatIfExperiment(config.experiment, { type: 'gaussian', level });
    if ('error' in changed) throw new Error(changed.error);
    return { experiment: changed.experiment, runsDir: path.dirname(path.dirname(runDir)), backend: 'wasm', threads: values.threads as ThreadsPreference, modelFrom: runDir };
  });

  const cold: number[] = [];
  for (const request of requests) {
    const t0 = performance.now();
    const { child, ready } = start();
    await ready;
    const result = await answer(child, request, false);
    cold.push(performance.now() - t0);
    console.log(JSON.stringify({ mode: 'cold', level: request.experiment.corruption.level, images: result.scores.length, ms: Math.round(cold.at(-1) ?? 0), workerSeconds: result.seconds }));
    await new Promise((r) => child.once('exit', r));
  }

  const warm: number[] = [];
  const { child, ready } = start();
  await ready;
  for (const request of requests) {
    const t0 = performance.now();
    const result = await answer(child, request, true);
    warm.push(performance.now() - t0);
    console.log(JSON.stringify({ mode: 'warm', level: request.experiment.corruption.level, images: result.scores.length, ms: Math.round(warm.at(-1) ?? 0), workerSeconds: result.seconds }));
  }
  child.send({ type: 'cancel' } satisfies HostToWorker);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`median ms per what-if: cold (fork per request) ${Math.round(median(cold))}, warm (request to answer, process already up) ${Math.round(median(warm))}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
