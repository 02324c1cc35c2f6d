// `aelab sweep FILE`, `aelab sweep status FILE`, `aelab sweep table FILE`: a sweep run on this
// machine (or handed to another executor with --on), its points' states, and its results table.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem } from '../core/config';
import type { BackendPreference, ThreadsPreference } from '../core/protocol';
import { writeFileAtomic } from '../core/runFolder';
import type { RunSummary } from '../core/runFormat';
import { needsRun } from '../core/sweep/sweepFormat';
import { sweepTable, tableCells, tableCsv, tableJson, tableMarkdown } from '../core/sweep/table';
import { EXIT, Io, UsageError } from './cliTypes';
import { fmt, table } from './format';
import { runPointsLocally, workerRunner } from './sweepLocal';
import { LoadedSweep, loadSweep, startSweepFolder } from './sweepPoint';
import { SweepProgress } from './sweepProgress';
import { POINT_STATE_ORDER } from '../core/slurmQueue';
import { SLURM_SWEEP_OPTIONS, SLURM_USAGE } from './slurm/slurmCli';
import { slurmStatus, sweepCancelOnSlurm, sweepOnSlurm } from './slurm/slurmSweepCommand';
import { PointStatus, isUpToDate, readSweepStatus, SweepStatus, trainedModelFor } from './sweepStatus';

export const SWEEP_USAGE = `  aelab sweep FILE [--parallel N] [--on local|slurm] [--wait] [--runs-dir DIR] [--set path=value]...
                   [--yes] [--backend ...] [--threads auto|1|2]
${SLURM_USAGE}
  aelab sweep status FILE [--runs-dir DIR]
  aelab sweep cancel FILE [--runs-dir DIR]     (scancel of a sweep submitted to Slurm)
  aelab sweep table FILE [--runs-dir DIR] [--format text|csv|md|json]`;

/** Points run at once by default: measured on 2 cores (docs/PERFORMANCE.md). */
export const DEFAULT_PARALLEL = 2;

const RUNS_DIR_DEFAULT = path.join('.aelab', 'runs');

function load(io: Io, file: string, set: string[], runsDirArg: string | undefined, yes = false): LoadedSweep | undefined {
  const runsDir = path.resolve(io.cwd, runsDirArg ?? RUNS_DIR_DEFAULT);
  const loaded = loadSweep(path.resolve(io.cwd, file), set, runsDir, io.cwd, yes);
  if (loaded.ok) return loaded.sweep;
  for (const p of loaded.problems) io.err(formatProblem(p));
  if (loaded.message) io.err(loaded.message);
  return undefined;
}

export async function commandSweep(args: string[], io: Io): Promise<number> {
  if (args[0] === 'status') return commandSweepStatus(args.slice(1), io);
  if (args[0] === 'cancel') return commandSweepCancel(args.slice(1), io);
  if (args[0] === 'table') return commandSweepTable(args.slice(1), io);
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      parallel: { type: 'string' }, on: { type: 'string' }, wait: { type: 'boolean' }, 'runs-dir': { type: 'string' },
      set: { type: 'string', multiple: true }, yes: { type: 'boolean' }, backend: { type: 'string' }, threads: { type: 'string' },
      ...SLURM_SWEEP_OPTIONS,
    },
  });
  if (positionals.length !== 1) throw new UsageError('sweep takes exactly one experiment file');
  const on = values.on ?? 'local';
  if (on !== 'local' && on !== 'slurm') throw new UsageError(`--on must be local or slurm, got "${on}"`);
  const slurmOnly = Object.keys(SLURM_SWEEP_OPTIONS).filter((k) => values[k as keyof typeof SLURM_SWEEP_OPTIONS] !== undefined);
  if (on === 'local' && slurmOnly.length > 0) throw new UsageError(`--${slurmOnly[0]} applies only with --on slurm`);
  const parallel = values.parallel === undefined ? DEFAULT_PARALLEL : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) throw new UsageError(`--parallel must be a whole number from 1 to 64, got "${values.parallel}"`);
  const backend = (values.backend ?? 'auto') as BackendPreference;
  if (!['auto', 'tensorflow', 'wasm', 'cpu'].includes(backend)) throw new UsageError(`--backend must be auto, tensorflow, wasm or cpu, got "${values.backend}"`);
  const threadsArg = values.threads ?? (parallel > 1 ? '1' : 'auto');
  if (!['auto', '1', '2'].includes(threadsArg)) throw new UsageError(`--threads must be auto, 1 or 2, got "${threadsArg}"`);
  const threads: ThreadsPreference = threadsArg === 'auto' ? 'auto' : threadsArg === '1' ? 1 : 2;

  const sweep = load(io, positionals[0], values.set ?? [], values['runs-dir'], values.yes);
  if (!sweep) return EXIT.invalidInput;
  const status = startSweepFolder(sweep);
  // Slurm: no task cap unless --parallel says so.
  if (on === 'slurm') return sweepOnSlurm(io, sweep, status, values);
  return runLocally(io, sweep, status, { parallel, backend, threads });
}

async function runLocally(io: Io, sweep: LoadedSweep, status: SweepStatus, o: { parallel: number; backend: BackendPreference; threads: ThreadsPreference }): Promise<number> {
  const { plan } = sweep;
  const todo = plan.points.filter((p) => {
    const s = status.points[p.index];
    if (s.state === 'running') io.err(`point ${p.index} is running in another process (${s.runDir}); left to it`);
    return needsRun(s.state, isUpToDate(s, p.experiment));
  });
  const models = new Map<string, string>();
  for (const p of plan.points) {
    const m = models.get(p.trainingKey) ?? trainedModelFor(status.points.filter((s) => isUpToDate(s, plan.points[s.index].experiment)), p.trainingKey);
    if (m) models.set(p.trainingKey, m);
  }
  const kept = plan.points.length - todo.length;
  const trainings = new Set(todo.filter((p) => !models.has(p.trainingKey)).map((p) => p.trainingKey)).size;
  io.out(`sweep ${plan.name}: ${plan.points.length} point(s) (${plan.parameters.join(' x ') || 'seeds'}${plan.seeds.length > 1 ? `, ${plan.seeds.length} seeds` : ''}); ${kept} already done, ${todo.length} to run, ${trainings} training(s), ${o.parallel} at a time`);
  io.out(`sweep folder: ${sweep.dir}`);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts === 1) {
      io.err('\ncancelling the sweep: running points stop at their next batch (Ctrl-C again to abort at once)...');
      controller.abort();
    } else {
      process.exit(EXIT.cancelled);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const progress = new SweepProgress(io.interactive, io.out, plan.points.length, kept);
  const started = Date.now();
  let outcomes;
  try {
    outcomes = await runPointsLocally({
      todo, models, parallel: o.parallel, signal: controller.signal,
      runner: workerRunner({
        workerPath: io.workerPath ?? path.resolve(__dirname, '..', '..', 'dist', 'worker.js'),
        sweepDir: sweep.dir, experimentPath: sweep.experimentPath, runsDir: sweep.runsDir, workspaceRoot: sweep.workspaceRoot, backend: o.backend, threads: o.threads,
      }),
      onStart: (job) => progress.started(job),
      onEvent: (index, e) => progress.event(index, e),
      onDone: (point, outcome) => progress.finished(point, outcome),
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const minutes = (Date.now() - started) / 60_000;
  const results = [...outcomes.values()];
  const completed = results.filter((r) => r.state === 'completed').length;
  const failed = results.filter((r) => r.state === 'failed').length;
  io.out(`\nran ${results.length} point(s) in ${fmt(minutes * 60, 1)} s: ${completed} completed, ${failed} failed, ${results.length - completed - failed} cancelled${results.length > 0 ? ` (${fmt(completed / Math.max(minutes, 1e-9), 2)} points/minute)` : ''}`);
  const after = readSweepStatus(sweep.dir);
  if (after) io.out(`\n${renderTable(after, 'text')}`);
  if (controller.signal.aborted) {
    io.err(`sweep cancelled; run it again to resume (completed points are kept): ${sweep.dir}`);
    return EXIT.cancelled;
  }
  return failed > 0 ? EXIT.runFailed : EXIT.ok;
}

async function commandSweepStatus(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'runs-dir': { type: 'string' }, set: { type: 'string', multiple: true } } });
  if (positionals.length !== 1) throw new UsageError('sweep status takes exactly one experiment file');
  const sweep = load(io, positionals[0], values.set ?? [], values['runs-dir'], true);
  if (!sweep) return EXIT.invalidInput;
  const status = readSweepStatus(sweep.dir);
  if (!status) {
    io.out(`sweep ${sweep.plan.name}: not started (${sweep.plan.points.length} points; no ${sweep.dir})`);
    return EXIT.ok;
  }
  // A sweep sent to Slurm: the scheduler's view (pending, out of time, failed on the node) on top.
  const slurm = await slurmStatus(io, sweep.dir, status.points.map((p) => p.index));
  const stateOf = (p: PointStatus) => slurm?.get(p.index)?.state ?? p.state;
  const counts = new Map<string, number>(POINT_STATE_ORDER.map((state) => [state, 0]));
  for (const p of status.points) counts.set(stateOf(p), (counts.get(stateOf(p)) ?? 0) + 1);
  io.out(`sweep ${status.manifest.name}: ${status.points.length} point(s): ${[...counts].filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(', ')}`);
  const rows = [['point', ...status.manifest.parameters, 'seed', 'state', 'AUROC', 'F1', 'run', '']];
  for (const p of status.points) {
    const s = p.summary;
    const local = p.state === 'running' ? `epoch ${p.epoch ?? 0}/${p.epochs ?? '?'}` : p.state === 'failed' ? (p.error ?? '') : p.modelFrom ? `model of ${path.basename(p.modelFrom)}` : '';
    const detail = slurm?.get(p.index)?.detail || local;
    rows.push([String(p.index), ...status.manifest.parameters.map((k) => JSON.stringify(p.overrides[k])), String(p.overrides.seed ?? ''), stateOf(p), s ? fmt(s.auroc) : '', s ? fmt(s.operatingPoint.f1) : '', p.runDir ? path.basename(p.runDir) : '', detail]);
  }
  io.out(table(rows));
  return EXIT.ok;
}

async function commandSweepCancel(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'runs-dir': { type: 'string' }, set: { type: 'string', multiple: true } } });
  if (positionals.length !== 1) throw new UsageError('sweep cancel takes exactly one experiment file');
  const sweep = load(io, positionals[0], values.set ?? [], values['runs-dir'], true);
  if (!sweep) return EXIT.invalidInput;
  return sweepCancelOnSlurm(io, sweep);
}

type TableFormat = 'text' | 'csv' | 'md' | 'json';

function renderTable(status: SweepStatus, format: TableFormat): string {
  const summaries = new Map<number, RunSummary>();
  for (const p of status.points) if (p.summary) summaries.set(p.index, p.summary);
  const { parameters } = status.manifest;
  const rows = sweepTable(parameters, status.manifest.points, summaries);
  switch (format) {
    case 'json': return JSON.stringify(tableJson(rows), null, 2);
    case 'csv': return tableCsv(parameters, rows).trimEnd();
    case 'md': return tableMarkdown(parameters, rows).trimEnd();
    case 'text': {
      const cells = tableCells(parameters, rows);
      return table(cells, cells[0].map((_, i) => i >= parameters.length));
    }
  }
}

function commandSweepTable(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'runs-dir': { type: 'string' }, format: { type: 'string' }, set: { type: 'string', multiple: true } } });
  if (positionals.length !== 1) throw new UsageError('sweep table takes exactly one experiment file');
  const format = (values.format ?? 'text') as TableFormat;
  if (!['text', 'csv', 'md', 'json'].includes(format)) throw new UsageError(`--format must be text, csv, md or json, got "${values.format}"`);
  const sweep = load(io, positionals[0], values.set ?? [], values['runs-dir'], true);
  if (!sweep) return EXIT.invalidInput;
  const status = readSweepStatus(sweep.dir);
  if (!status) {
    io.err(`sweep ${sweep.plan.name} has not run yet (no ${sweep.dir}): aelab sweep ${positionals[0]}`);
    return EXIT.invalidInput;
  }
  // The table files beside the manifest, for reports and spreadsheets.
  writeFileAtomic(path.join(sweep.dir, 'table.csv'), renderTable(status, 'csv') + '\n');
  writeFileAtomic(path.join(sweep.dir, 'table.md'), renderTable(status, 'md') + '\n');
  io.out(renderTable(status, format));
  if (format === 'text') io.out(`\n(mean ± sample std over seeds; also written: ${path.join(sweep.dir, 'table.csv')}, table.md)`);
  return EXIT.ok;
}
