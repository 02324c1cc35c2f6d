// Creating a run folder and ending a run in it (docs/RUN-FORMAT.md): folders made one level at a
// time and the run folder exclusively, no symbolic link followed into a runs folder, and a final
// status that is written whatever else failed. Reading and the file formats are in runFolder.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsReason, walkEntries } from './fileAccess';
import { experimentRunsDir, isRealDirectory, newRunId, RunWriteError, writeFileAtomic } from './runFolder';
import { RUN_FILES, RunStatusFile } from './runFormat';

/**
 * Creates `dir` and any missing parents, one level at a time (mkdirSync's recursive mode spins
 * forever under /proc). Refuses a path whose existing part is not a folder.
 */
function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(current);
    } catch (err) {
      const parent = path.dirname(current);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) throw new RunWriteError(`cannot create ${dir}: ${fsReason(err)}`, { cause: err });
      missing.push(current);
      current = parent;
      continue;
    }
    if (!stat.isDirectory()) throw new RunWriteError(`cannot create ${dir}: ${current} is not a folder`);
    break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && isRealDirectory(d)) continue;
      throw new RunWriteError(`cannot create ${d}: ${fsReason(err)}`, { cause: err });
    }
  }
}

/**
 * A runs folder given relative to a workspace (the default `.aelab/runs`) must stay inside it
 * once symbolic links are resolved: a cloned repository's `.aelab` link cannot send runs
 * elsewhere. Returns why not, or undefined when it is fine (or does not exist yet).
 */
export function runsDirEscapes(runsDir: string, root: string): string | undefined {
  let existing = path.resolve(runsDir);
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  let real: string;
  let realRoot: string;
  try {
    real = fs.realpathSync(existing);
    realRoot = fs.realpathSync(root);
  } catch {
    return undefined;
  }
  const rel = path.relative(realRoot, real);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) return undefined;
  return `the runs folder ${runsDir} leads to ${real} through a symbolic link, outside ${root}; give an absolute --runs-dir / aelab.runsFolder to write runs elsewhere`;
}

/** Retries on a taken run id before giving up; sweeps start many runs in the same second. */
const RUN_ID_ATTEMPTS = 50;

/**
 * Creates a new run folder `<runsDir>/<experiment>/<run-id>` exclusively: a run id that is taken
 * (another run started in the same second drew the same suffix) is never shared, a new id is
 * drawn instead. The experiment folder must be a real folder, not a symbolic link (RUN-FORMAT.md).
 */
export function createRunFolder(runsDir: string, experimentName: string, firstId?: string, makeId: () => string = () => newRunId()): { runId: string; runDir: string } {
  const parent = experimentRunsDir(runsDir, experimentName);
  makeDirectories(runsDir);
  try {
    fs.mkdirSync(parent);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new RunWriteError(`cannot create ${parent}: ${fsReason(err)}`, { cause: err });
  }
  if (!isRealDirectory(parent)) throw new RunWriteError(`cannot create runs in ${parent}: it is ${fs.lstatSync(parent).isSymbolicLink() ? 'a symbolic link (aelab writes only into real folders under the runs folder)' : 'not a folder'}`);
  for (let attempt = 0; attempt < RUN_ID_ATTEMPTS; attempt++) {
    const runId = attempt === 0 && firstId ? firstId : makeId();
    const runDir = path.join(parent, runId);
    try {
      fs.mkdirSync(runDir);
      return { runId, runDir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new RunWriteError(`cannot create ${runDir}: ${fsReason(err)}`, { cause: err });
    }
  }
  throw new RunWriteError(`cannot create a run folder in ${parent}: ${RUN_ID_ATTEMPTS} run ids in a row were taken`);
}

/** Leftover temp files of interrupted atomic writes (`<file>.<pid>.<time>.tmp`, `model.<pid>.tmp/`). */
export function removeTempFiles(runDir: string): string[] {
  const removed: string[] = [];
  walkEntries(runDir, (p, e) => {
    if (!e.name.endsWith('.tmp')) return e.isDirectory();
    try {
      fs.rmSync(p, { force: true, recursive: true });
      removed.push(p);
    } catch {
      // best effort
    }
    return false;
  });
  return removed;
}

/**
 * Removes the results of a run that was cancelled while saving them: a cancelled run has no
 * scores or summary (RUN-FORMAT.md). The headers go first, so no reader sees a header whose data
 * is gone. Best effort, never throws.
 */
export function removeResults(runDir: string): void {
  const { summary, scoresHeader, samplesHeader, scores, labels, classes, images, samples, model } = RUN_FILES;
  for (const name of [summary, scoresHeader, samplesHeader, scores, labels, classes, images, samples, model]) {
    try { fs.rmSync(path.join(runDir, name), { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/**
 * Writes a run's final status.json and never throws: atomically if it can; else in place (the
 * old file's blocks are reused, so a full disk usually still takes it). Returns why it failed,
 * if both failed: the folder then still says running with this process's pid, which every
 * reader shows as failed once the process has ended.
 */
export function writeFinalStatus(runDir: string, status: RunStatusFile): string | undefined {
  const file = path.join(runDir, RUN_FILES.status);
  const text = JSON.stringify(status, null, 2) + '\n';
  try {
    writeFileAtomic(file, text);
    return undefined;
  } catch (err) {
    try {
      if (!fs.existsSync(runDir)) return `cannot write ${file}: its folder no longer exists`;
      fs.writeFileSync(file, text);
      return undefined;
    } catch {
      return (err as Error).message;
    }
  }
}
