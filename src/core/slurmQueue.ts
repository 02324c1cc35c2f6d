// What Slurm says about a sweep's array tasks, and one state per point from that plus the
// point's run folder. Pure: the CLI runs squeue, the extension shows the result.

/** A run folder's state as its status.json says it (stale: `running`, but its writer is gone). */
export interface PointRunState {
  state: 'running' | 'completed' | 'cancelled' | 'failed';
  stale?: boolean;
  epoch?: number;
  epochs?: number;
  error?: string;
}

/** One array task as squeue (`-r --states=all -o %i|%T|%r|%N`) lists it. */
export interface SlurmTask {
  jobId: string;
  index: number;
  /** Slurm's job state: PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, CANCELLED, NODE_FAIL... */
  state: string;
  reason: string;
  node: string;
}

export const SQUEUE_FORMAT = '%i|%T|%r|%N';

/** Parses squeue lines; lines of other jobs or not array tasks are ignored. */
export function parseSqueue(text: string): SlurmTask[] {
  const tasks: SlurmTask[] = [];
  for (const line of text.split('\n')) {
    const [id, state, reason = '', node = ''] = line.trim().split('|');
    const m = /^(\d+)_(\d+)$/.exec(id ?? '');
    if (!m || !state) continue;
    tasks.push({ jobId: m[1], index: Number(m[2]), state, reason, node });
  }
  return tasks;
}

/**
 * A point's state for people: `queued` (nothing asked of Slurm yet, or not run), `pending` (in
 * Slurm's queue), `running`, `completed`, `failed`, `cancelled`, `timeout` (Slurm's time limit
 * stopped it), `node-failed` (the node or the task died under it), `interrupted` (a run folder left
 * `running` by a killed writer, with nothing from Slurm to say why).
 */
export type SweepPointState = 'queued' | 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'node-failed' | 'interrupted';

/** The order states are counted in (a sweep's own states first, then what only Slurm says). */
export const POINT_STATE_ORDER: readonly SweepPointState[] = ['queued', 'pending', 'running', 'completed', 'failed', 'cancelled', 'timeout', 'node-failed', 'interrupted'];

export interface SweepPointView {
  index: number;
  state: SweepPointState;
  /** Short words for a table or a tree: epoch k/n, Slurm's reason, the run's error. */
  detail: string;
}

const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);

export function isTaskActive(task: SlurmTask): boolean {
  return ACTIVE.has(task.state);
}

function runProgress(run: PointRunState | undefined): string {
  return run?.epoch !== undefined && run.epochs !== undefined ? `epoch ${run.epoch}/${run.epochs}` : '';
}

/** One point's state: the run folder for what finished, Slurm for what it alone knows. */
export function pointState(index: number, run: PointRunState | undefined, task: SlurmTask | undefined): SweepPointView {
  const view = (state: SweepPointState, detail = ''): SweepPointView => ({ index, state, detail });
  // A final run folder is the truth about the run itself.
  if (run?.state === 'completed') return view('completed');
  if (task) {
    const where = task.node ? ` on ${task.node}` : '';
    switch (task.state) {
      case 'PENDING': case 'REQUEUED': case 'CONFIGURING':
        return view('pending', `Slurm job ${task.jobId}_${task.index}: ${task.reason || 'queued'}`);
      case 'RUNNING': case 'COMPLETING': case 'SIGNALING': case 'STAGE_OUT':
        // squeue wins over a `stale` pid: the writer may run on another host.
        return view('running', runProgress(run) || `starting${where}`);
      case 'SUSPENDED': return view('pending', `suspended${where}`);
      case 'TIMEOUT': case 'DEADLINE': return view('timeout', `Slurm's time limit stopped job ${task.jobId}_${task.index}${where}`);
      case 'CANCELLED': return view('cancelled', `scancel (job ${task.jobId}_${task.index})`);
      case 'NODE_FAIL': case 'BOOT_FAIL': return view('node-failed', `${task.state}${where}`);
      case 'OUT_OF_MEMORY': return view('node-failed', `out of memory${where}`);
      case 'FAILED':
        // The run's own error when it wrote one; otherwise the task died under it (killed, crashed node).
        if (run?.state === 'failed' && run.error) return view('failed', run.error);
        return view('node-failed', `task failed${where} (see the sweep's logs/${task.jobId}_${task.index}.out)`);
      case 'COMPLETED':
        break; // the run folder says how it went (below)
      default:
        return view('failed', `Slurm state ${task.state}${where}`);
    }
  }
  if (!run) return view('queued');
  if (run.state === 'running') return run.stale ? view('interrupted', 'its process is gone') : view('running', runProgress(run));
  if (run.state === 'failed') return view('failed', run.error ?? '');
  return view('cancelled');
}
