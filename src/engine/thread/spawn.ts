// An engine thread seen from the main thread. Starts from wherever the engine runs: a bundle
// (dist/engine-thread.js beside it), tsc output (out/src/engine/thread/main.js) or the .ts
// sources under tsx (mocha, bench).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ScoreRequest, ThreadReply, ThreadRequest, ThreadSetup, TrainSessionRequest } from './messages';

/** Cores an engine may use besides the main thread's. */
export function spareCores(): number {
  return Math.max(0, os.availableParallelism() - 1);
}

function startWorker(setup: ThreadSetup): Worker {
  if (__filename.endsWith('.ts')) {
    // A worker does not inherit tsx's loader: register its CommonJS hook, then load the source.
    const source = path.join(__dirname, 'main.ts');
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData: setup });
  }
  const compiled = path.join(__dirname, 'main.js');
  // In a bundle __dirname is dist/, where esbuild.mjs writes engine-thread.js.
  const script = path.basename(__dirname) === 'thread' && fs.existsSync(compiled) ? compiled : path.join(__dirname, 'engine-thread.js');
  return new Worker(script, { workerData: setup });
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
  onStarted?: () => void;
}

/**
 * A second core: one worker thread with its own wasm backend. Start it early (booting tfjs and
 * compiling wasm takes a few hundred ms), give it work, close it when done. It never keeps the
 * process alive while idle.
 */
export class EngineThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(setup: ThreadSetup = {}) {
    this.worker = startWorker(setup);
    this.worker.unref();
    this.worker.on('message', (message: ThreadReply) => {
      if (message.type === 'ready') return;
      if (message.id === undefined) {
        this.fail(new Error(`engine thread: ${message.type === 'error' ? message.message : 'reply without id'}`));
        return;
      }
      const job = this.pending.get(message.id);
      if (message.type === 'started') {
        job?.onStarted?.();
        return;
      }
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.type === 'done') job?.resolve();
      else job?.reject(new Error(`engine thread: ${message.message}`));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise((resolve) => this.worker.once('exit', (code) => {
      this.fail(new Error(`engine thread exited (code ${code})`));
      resolve();
    }));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const job of this.pending.values()) job.reject(this.failure);
    this.pending.clear();
  }

  /** Runs a scoring request; resolves once the thread has written its scores. */
  score(request: Omit<ScoreRequest, 'type' | 'id'>): Promise<void> {
    return this.send((id) => ({ type: 'score', id, ...request }));
  }

  /**
   * Starts a data-parallel training session (src/engine/dataParallel.ts); `onStarted` is called
   * when the thread is ready for the first step; resolves when the session has ended.
   */
  train(request: Omit<TrainSessionRequest, 'type' | 'id'>, onStarted: () => void): Promise<void> {
    return this.send((id) => ({ type: 'train', id, ...request }), onStarted);
  }

  private send(request: (id: number) => ThreadRequest, onStarted?: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onStarted });
      // Waiting on it: keep the process alive until it answers.
      this.worker.ref();
      this.worker.postMessage(request(id));
    });
  }

  /** Ends the thread (and its wasm heap); resolves when it has exited. */
  async close(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }
}
