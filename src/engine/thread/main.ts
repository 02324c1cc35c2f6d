// Entry of an engine thread (worker_threads): its own wasm backend; runs requests one at a time
// (scoring, or a data-parallel training session), each with the model it brings. Bundled as dist/engine-thread.js; run from source under tsx in dev.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../backend';
// Registers aelab's custom layers, so the model's topology deserialises.
import '../layers/batchNormalization';
import { serveTrainSession } from '../dataParallel';
import { inputChannels } from '../models';
import { scoreImages } from '../score';
import { loadArtifacts } from './artifacts';
import type { ScoreRequest, ThreadReply, ThreadRequest, ThreadSetup } from './messages';

function reply(message: ThreadReply): void {
  parentPort?.postMessage(message);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function runScore(request: ScoreRequest): Promise<void> {
  const model = await loadArtifacts(request.model);
  try {
    const pixels = request.width * request.height * inputChannels(model);
    const count = request.to - request.from;
    const images = new Float32Array(request.images, request.from * pixels * 4, count * pixels);
    const scores = scoreImages(model, images, count, request.width, request.height, request.score, request.batchSize);
    new Float32Array(request.scores, request.from * 4, count).set(scores);
  } finally {
    model.dispose();
  }
}

async function main(): Promise<void> {
  const setup = workerData as ThreadSetup;
  await initBackend('wasm', { wasmDir: setup.wasmDir });
  // One at a time, in order: the thread has one backend.
  let queue = Promise.resolve();
  parentPort?.on('message', (request: ThreadRequest) => {
    const run = request.type === 'score'
      ? () => runScore(request)
      : () => serveTrainSession(request, () => reply({ type: 'started', id: request.id }));
    queue = queue.then(run).then(
      () => reply({ type: 'done', id: request.id }),
      (err: unknown) => reply({ type: 'error', id: request.id, message: errorText(err) }),
    );
  });
  reply({ type: 'ready' });
}

main().catch((err: unknown) => reply({ type: 'error', message: errorText(err) }));
