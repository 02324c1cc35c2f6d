// Which runs a report covers: run folders named on the command line, folders holding runs
// (an experiment's runs folder, or a whole runs dir), or an experiment file with a sweep (its
// manifest's points). Only completed runs are reported; the others are listed as skipped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOverrides, formatProblem } from '../core/config';
import { InputError } from '../core/errors';
import { readRun, RunContents } from '../core/runFolder';
import { RUN_FILES } from '../core/runFormat';
import type { StudyRun } from '../core/study/studyTable';

export interface ReportRun extends StudyRun {
  dir: string;
  contents: RunContents;
}

export interface ReportInput {
  runs: ReportRun[];
  skipped: { dir: string; reason: string }[];
  /** The study's name: the experiment file's, or the runs' when they share one. */
  title: string;
}

const isRunFolder = (dir: string) => fs.existsSync(path.join(dir, RUN_FILES.status));

function runFoldersUnder(dir: string, depth: number): string[] {
  if (isRunFolder(dir)) return [dir];
  if (depth === 0) return [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  return entries.sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) => runFoldersUnder(path.join(dir, e.name), depth - 1));
}

interface SweepPointFile { index: number; runDir?: string; state?: string }

/** The run folders of an experiment file: its sweep's points, else every run of the experiment. */
function runFoldersOfExperiment(file: string, runsDir: string): { name: string; dirs: string[] } {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = applyOverrides(text, file, []);
  if (!parsed.ok || !parsed.experiment) throw new InputError(parsed.problems.map(formatProblem).join('\n'));
  const name = parsed.experiment.name;
  const sweepDir = path.join(runsDir, '.sweeps', name);
  const pointsDir = path.join(sweepDir, 'points');
  if (fs.existsSync(pointsDir)) {
    const dirs: string[] = [];
    for (const f of fs.readdirSync(pointsDir).filter((f) => f.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b))) {
      try {
        const point = JSON.parse(fs.readFileSync(path.join(pointsDir, f), 'utf8')) as SweepPointFile;
        if (point.runDir) dirs.push(path.resolve(sweepDir, point.runDir));
      } catch (err) {
        throw new InputError(`${path.join(pointsDir, f)}: not a readable sweep point (${(err as Error).message})`);
      }
    }
    return { name, dirs };
  }
  const experimentRuns = path.join(runsDir, name);
  return { name, dirs: fs.existsSync(experimentRuns) ? runFoldersUnder(experimentRuns, 1) : [] };
}

export function collectReportRuns(targets: string[], runsDir: string): ReportInput {
  const dirs: string[] = [];
  let title: string | undefined;
  for (const target of targets) {
    if (!fs.existsSync(target)) throw new InputError(`${target}: no such file or folder (expected a run folder, a folder of runs, or an experiment file)`);
    if (fs.statSync(target).isFile()) {
      if (!/\.ya?ml$/.test(target)) throw new InputError(`${target}: expected an experiment file (*.aelab.yaml), a run folder or a folder of runs`);
      const found = runFoldersOfExperiment(target, runsDir);
      title ??= found.name;
      if (found.dirs.length === 0) throw new InputError(`${target}: experiment "${found.name}" has no runs under ${runsDir} (run it first, or pass --runs-dir)`);
      dirs.push(...found.dirs);
    } else {
      const found = runFoldersUnder(target, 2);
      if (found.length === 0) throw new InputError(`${target}: holds no run folders (a run folder has ${RUN_FILES.status})`);
      dirs.push(...found);
    }
  }
  const runs: ReportRun[] = [];
  const skipped: ReportInput['skipped'] = [];
  for (const dir of [...new Set(dirs)]) {
    const contents = readRun(dir);
    const state = contents.stale ? 'failed (writer gone)' : contents.status.state;
    if (state !== 'completed' || !contents.summary || !contents.config) {
      skipped.push({ dir, reason: state === 'completed' ? 'no summary.json or config.json' : state });
      continue;
    }
    runs.push({ dir, contents, runId: contents.status.runId, experiment: contents.config.experiment, summary: contents.summary });
  }
  if (runs.length === 0) throw new InputError(`no completed runs among ${dirs.length} run folder(s): ${skipped.map((s) => `${s.dir} (${s.reason})`).join(', ')}`);
  const names = [...new Set(runs.map((r) => r.experiment.name))];
  return { runs, skipped, title: title ?? (names.length === 1 ? names[0] : 'study') };
}
