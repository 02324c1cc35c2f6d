// Child-process entry (dist/worker.js): one run (or one what-if scoring, or what-ifs one after another) per process. The extension host forks it with
// an IPC channel, sends `run`, receives typed events, and may send `cancel`.
import * as path from 'node:path';
import { assertNever, HostToWorker, RunEvent, WorkerToHost } from '../core/protocol';
import { runExperiment } from '../engine/run';
import { scoreImagesRequest, thumbnailsRequest } from '../engine/scoreRequest';
import { scoreWhatIf } from '../engine/whatIf';

function send(message: WorkerToHost): void {
  // After the host is gone the channel is closed: sending would throw ERR_IPC_CHANNEL_CLOSED.
  if (process.connected) process.send?.(message);
}

function exit(code: number): void {
  send({ type: 'exit', code });
  // The process may end on its own before the timer below (it is unref'd): keep the code then too.
  process.exitCode = code;
  // Let the IPC channel flush before leaving.
  if (process.connected) process.disconnect?.();
  setTimeout(() => process.exit(code), 50).unref();
}

/** Bad input or a crash before any result: one `failed` event, exit 1. */
function failed(err: unknown): void {
  send({ type: 'event', event: { type: 'failed', error: err instanceof Error ? err.message : String(err) } });
  exit(1);
}

const controller = new AbortController();
let running = false;

process.on('message', (raw: HostToWorker) => {
  switch (raw.type) {
    case 'run': {
      if (running) return;
      running = true;
      const emit = (event: RunEvent) => send({ type: 'event', event });
      runExperiment(raw.request, { onEvent: emit, signal: controller.signal, wasmDir: path.join(__dirname, 'wasm') })
        .then((outcome) => exit(outcome.state === 'completed' ? 0 : outcome.state === 'cancelled' ? 130 : 2))
        .catch((err: unknown) => {
          // Failed before the run folder existed (bad input): nothing was written.
          emit({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
          exit(1);
        });
      break;
    }
    case 'whatIf': {
      // A preview: scored, sent back, nothing written. Its exit code says how it ended; with
      // keepAlive an answered what-if leaves the process up for the next one.
      if (running) return;
      running = true;
      const log = (message: string) => send({ type: 'event', event: { type: 'log', level: 'info', message } });
      scoreWhatIf(raw.request, { signal: controller.signal, wasmDir: path.join(__dirname, 'wasm'), log })
        .then((result) => {
          if (result) send({ type: 'whatIf', result });
          if (result && raw.keepAlive) running = false;
          else exit(result ? 0 : 130);
        })
        .catch((err: unknown) => {
          send({ type: 'event', event: { type: 'failed', error: err instanceof Error ? err.message : String(err) } });
          exit(1);
        });
      break;
    }
    case 'scoreImages': {
      // Scores for the Score panel: nothing written; exit 130 when cancelled.
      if (running) return;
      running = true;
      const log = (message: string) => send({ type: 'event', event: { type: 'log', level: 'info', message } });
      const onProgress = (done: number, total: number) => send({ type: 'scoreProgress', done, total });
      scoreImagesRequest(raw.request, { signal: controller.signal, wasmDir: path.join(__dirname, 'wasm'), log, onProgress })
        .then((result) => {
          if (result) send({ type: 'scoreImages', result });
          exit(result ? 0 : 130);
        })
        .catch((err: unknown) => failed(err));
      break;
    }
    case 'thumbnails': {
      if (running) return;
      running = true;
      thumbnailsRequest(raw.request, { wasmDir: path.join(__dirname, 'wasm') })
        .then((t) => {
          send({ type: 'thumbnails', ...t });
          exit(0);
        })
        .catch((err: unknown) => failed(err));
      break;
    }
    case 'cancel':
      controller.abort();
      if (!running) exit(130);
      break;
    default:
      assertNever(raw, 'host message');
  }
});

// The host went away (window closed, extension host crashed): stop training, leave a clean folder.
process.on('disconnect', () => controller.abort());

if (!process.send) {
  process.stderr.write('dist/worker.js is started by the extension over an IPC channel; use the aelab CLI instead.\n');
  process.exit(1);
}
send({ type: 'ready' });
