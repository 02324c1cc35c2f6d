// One engine worker: a Node child process (dist/worker.js; also dist/cli.js for a sweep) with an
// IPC channel and typed messages, owned as a Disposable (after iterative/vscode-dvc extension/src/process/execution.ts).
// Disposing kills it: no process outlives its owner.
import { ChildProcess, fork } from 'node:child_process';
import * as vscode from 'vscode';
import type { HostToWorker, WorkerToHost } from '../core/protocol';
import { Disposable, toDisposable } from './lifecycle';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess extends Disposable {
  private readonly child: ChildProcess;
  private exitInfo: WorkerExit | undefined;
  private readonly _onMessage = this._register(new vscode.EventEmitter<WorkerToHost>());
  private readonly _onOutput = this._register(new vscode.EventEmitter<{ stream: 'stdout' | 'stderr'; text: string }>());
  private readonly _onExit = this._register(new vscode.EventEmitter<WorkerExit>());
  readonly onMessage = this._onMessage.event;
  readonly onOutput = this._onOutput.event;
  readonly onExit = this._onExit.event;
  /** Resolves once the process has exited. */
  readonly exited: Promise<WorkerExit>;
  private killTimer: NodeJS.Timeout | undefined;

  /** `advanced` IPC serialization carries typed arrays (what-if scores) as they are; `cwd`: the CLI's working folder. */
  constructor(workerPath: string, env: NodeJS.ProcessEnv = {}, args: readonly string[] = [], serialization: 'json' | 'advanced' = 'json', cwd?: string) {
    super();
    this.child = fork(workerPath, [...args], {
      cwd,
      execArgv: [],
      serialization,
      // ELECTRON_RUN_AS_NODE: in desktop VS Code process.execPath is Electron; run it as Node.
      env: { ...process.env, ...env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.exited = new Promise<WorkerExit>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exitInfo) return;
        this.exitInfo = { code, signal };
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve(this.exitInfo);
        this._onExit.fire(this.exitInfo);
      };
      this.child.on('exit', done);
      this.child.on('error', (err) => {
        this._onOutput.fire({ stream: 'stderr', text: `worker process error: ${err.message}\n` });
        if (this.child.exitCode !== null || this.child.pid === undefined) done(this.child.exitCode ?? 1, null);
      });
    });
    this.child.on('message', (m: WorkerToHost) => this._onMessage.fire(m));
    this.child.stdout?.on('data', (b: Buffer) => this._onOutput.fire({ stream: 'stdout', text: b.toString() }));
    this.child.stderr?.on('data', (b: Buffer) => this._onOutput.fire({ stream: 'stderr', text: b.toString() }));
    this._register(toDisposable(() => this.kill('SIGKILL')));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exitInfo !== undefined || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  send(message: HostToWorker): boolean {
    if (this.hasExited || !this.child.connected) return false;
    try {
      return this.child.send(message);
    } catch {
      return false;
    }
  }

  /** Asks the worker to stop at the next batch; kills it if it has not exited after `graceMs`. */
  cancel(graceMs: number): void {
    if (this.hasExited) return;
    const asked = this.send({ type: 'cancel' });
    if (this.killTimer) return;
    this.killTimer = setTimeout(() => this.kill('SIGKILL'), asked ? graceMs : 0);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.hasExited) return;
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /** Cancel, wait up to `graceMs`, then kill; resolves when the process is gone. */
  async stop(graceMs: number): Promise<WorkerExit> {
    this.cancel(graceMs);
    return this.exited;
  }

  override dispose(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    super.dispose();
  }
}
