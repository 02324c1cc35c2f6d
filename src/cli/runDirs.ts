// Finds a run folder from what the user typed: a folder path, or a run id under the runs folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRunFolder } from '../core/runFolder';

/** The same rule as `list`: run folders are real folders (no symbolic links) with a status.json. */
export function resolveRunDir(target: string, runsDir: string, cwd: string): string | undefined {
  const direct = path.resolve(cwd, target);
  if (isRunFolder(direct)) return direct;
  try {
    for (const experiment of fs.readdirSync(runsDir, { withFileTypes: true })) {
      if (!experiment.isDirectory()) continue;
      const candidate = path.join(runsDir, experiment.name, target);
      if (isRunFolder(candidate)) return candidate;
    }
  } catch {
    // no runs folder: fall through to "not found"
  }
  return undefined;
}
