// `aelab sweep FILE --on slurm`, the Slurm columns of `aelab sweep status`, and
// `aelab sweep cancel FILE`: the sweep command's Slurm executor.
import * as path from 'node:path';
import { InputError } from '../../core/errors';
import type { PointRunState, SweepPointView } from '../../core/slurmQueue';
import { needsRun } from '../../core/sweep/sweepFormat';
import { EXIT, Io } from '../cliTypes';
import type { LoadedSweep } from '../sweepPoint';
import { isUpToDate, readSweepStatus, SweepStatus, trainedModelFor } from '../sweepStatus';
import { cancelSlurmSweep, runSweepOnSlurm, slurmOptionsFrom, SlurmOptionValues, slurmPointViews } from './slurmCli';
import { SlurmCommandError } from './command';
import { readSlurmRecord } from './slurmSweep';

/** The run-folder side of every point, as the Slurm merge takes it. */
function runStates(dir: string): Map<number, PointRunState> {
  const status = readSweepStatus(dir);
  const states = new Map<number, PointRunState>();
  for (const p of status?.points ?? []) {
    if (p.state === 'queued') continue;
    states.set(p.index, { state: p.state, epoch: p.epoch, epochs: p.epochs, error: p.error });
  }
  return states;
}

export interface SlurmSweepOptions extends SlurmOptionValues {
  parallel?: string;
  wait?: boolean;
  backend?: string;
  threads?: string;
}

/**
 * Points to submit after the first wave: those whose training setting has no trained model yet and
 * that are not the first todo point of it (the first one trains; the rest score with its model).
 */
export function reusePoints(todo: readonly { index: number; trainingKey: string }[], hasModel: (key: string) => boolean): number[] {
  const training = new Set<string>();
  const reuse: number[] = [];
  for (const p of todo) {
    if (hasModel(p.trainingKey)) continue;
    if (training.has(p.trainingKey)) reuse.push(p.index);
    else training.add(p.trainingKey);
  }
  return reuse;
}

/** Submits the points still to run (resume: completed points are kept): one job array per wave. */
export async function sweepOnSlurm(io: Io, sweep: LoadedSweep, status: SweepStatus, values: SlurmSweepOptions): Promise<number> {
  const todoPoints = sweep.plan.points.filter((p) => {
    const s = status.points[p.index];
    return needsRun(s.state, isUpToDate(s, p.experiment));
  });
  const todo = todoPoints.map((p) => p.index);
  const current = status.points.filter((s) => isUpToDate(s, sweep.plan.points[s.index].experiment));
  const reuse = reusePoints(todoPoints, (key) => trainedModelFor(current, key) !== undefined);
  const total = sweep.plan.points.length;
  io.out(`sweep ${sweep.plan.name}: ${total} point(s); ${total - todo.length} already done, ${todo.length} to submit to Slurm`);
  io.out(`sweep folder: ${sweep.dir}`);
  if (todo.length === 0) return 0;
  const cliPath = io.cliPath ?? path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    return await runSweepOnSlurm({
      sweepDir: sweep.dir, name: sweep.plan.name, experimentFile: sweep.experimentPath, set: sweep.set, backend: values.backend, threads: values.threads, runsDir: sweep.runsDir,
      indices: todo, reuse, total, options: slurmOptionsFrom(values, values.parallel === undefined ? undefined : Number(values.parallel)),
      wait: values.wait ?? false, cliPath, runStates: () => runStates(sweep.dir), signal: controller.signal, io,
    });
  } catch (err) {
    // Refused before sbatch (bad options, still queued) or by Slurm: nothing new is queued.
    if (err instanceof InputError) {
      io.err(`aelab sweep --on slurm: ${err.message}`);
      return EXIT.invalidInput;
    }
    if (err instanceof SlurmCommandError) {
      io.err(`aelab sweep --on slurm: ${err.message}\nnothing was submitted (${path.join(sweep.dir, 'slurm.json')} lists what was before)`);
      return EXIT.runFailed;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** Slurm's view of each point for `sweep status`, or undefined when the sweep never went to Slurm (or Slurm does not answer: said on stderr). */
export async function slurmStatus(io: Io, dir: string, indices: readonly number[]): Promise<Map<number, SweepPointView> | undefined> {
  if (!readSlurmRecord(dir)) return undefined;
  try {
    const views = await slurmPointViews(dir, indices, runStates(dir));
    return new Map(views.map((v) => [v.index, v]));
  } catch (err) {
    if (!(err instanceof SlurmCommandError)) throw err;
    io.err(`${err.message}\n(showing the run folders only)`);
    return undefined;
  }
}

export async function sweepCancelOnSlurm(io: Io, sweep: LoadedSweep): Promise<number> {
  if (!readSlurmRecord(sweep.dir)) {
    io.err(`sweep ${sweep.plan.name} was never submitted to Slurm (no ${path.join(sweep.dir, 'slurm.json')}); a local sweep stops with Ctrl-C`);
    return EXIT.invalidInput;
  }
  try {
    return await cancelSlurmSweep(sweep.dir, io);
  } catch (err) {
    if (!(err instanceof SlurmCommandError)) throw err;
    io.err(`aelab sweep cancel: ${err.message}`);
    return EXIT.runFailed;
  }
}
