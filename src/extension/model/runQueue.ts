// A FIFO of jobs with a concurrency limit (setting aelab.maxConcurrentRuns). vscode-free so it
// is unit-tested in plain Node. A job is started by calling its `start`, which resolves when the
// job has finished (whatever its outcome); the queue then starts the next waiting job.

export type QueueEntryState = 'queued' | 'active' | 'done';

export interface QueueJob {
  readonly id: string;
  /** Starts the job; resolves when it is over. Rejections count as over too. */
  start(): Promise<void>;
}

export class RunQueue<J extends QueueJob> {
  private readonly waiting: J[] = [];
  private readonly active = new Map<string, J>();
  private disposed = false;

  constructor(private maxConcurrent: number, private readonly onChange: () => void = () => undefined) {
    this.maxConcurrent = RunQueue.clamp(maxConcurrent);
  }

  static clamp(n: number): number {
    return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1;
  }

  get limit(): number {
    return this.maxConcurrent;
  }

  setLimit(n: number): void {
    this.maxConcurrent = RunQueue.clamp(n);
    this.pump();
  }

  /** Adds a job; it starts now if a slot is free. Returns its state right after enqueueing. */
  enqueue(job: J): QueueEntryState {
    if (this.disposed) throw new Error('the run queue is disposed');
    this.waiting.push(job);
    this.pump();
    return this.stateOf(job.id);
  }

  /** Removes a job that has not started. True when it was waiting. */
  removeQueued(id: string): boolean {
    const i = this.waiting.findIndex((j) => j.id === id);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    this.onChange();
    return true;
  }

  stateOf(id: string): QueueEntryState {
    if (this.active.has(id)) return 'active';
    if (this.waiting.some((j) => j.id === id)) return 'queued';
    return 'done';
  }

  /** Position in the waiting line (1 = next), or 0 when not waiting. */
  positionOf(id: string): number {
    return this.waiting.findIndex((j) => j.id === id) + 1;
  }

  get activeJobs(): J[] {
    return [...this.active.values()];
  }

  get queuedJobs(): J[] {
    return [...this.waiting];
  }

  /** Drops every waiting job (they never start); active jobs are the caller's to stop. */
  dispose(): J[] {
    this.disposed = true;
    return this.waiting.splice(0, this.waiting.length);
  }

  private pump(): void {
    let changed = false;
    while (!this.disposed && this.active.size < this.maxConcurrent && this.waiting.length > 0) {
      const job = this.waiting.shift() as J;
      this.active.set(job.id, job);
      changed = true;
      let run: Promise<void>;
      try {
        run = job.start();
      } catch (err) {
        run = Promise.reject(err);
      }
      run.catch(() => undefined).then(() => {
        this.active.delete(job.id);
        this.onChange();
        this.pump();
      });
    }
    if (changed) this.onChange();
  }
}
