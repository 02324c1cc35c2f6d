// Where "Use this threshold" may write. The experiment path comes from a run's config.json, which
// any copied run folder can fill in: only a real *.aelab.yaml file inside an open workspace folder
// (both compared as real paths, symbolic links resolved) is written. vscode-free, unit-tested.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type WriteTarget = { file: string } | { refused: string };

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

export function experimentWriteTarget(experimentPath: string, workspaceRoots: readonly string[]): WriteTarget {
  if (!path.isAbsolute(experimentPath) || !experimentPath.endsWith('.aelab.yaml')) {
    return { refused: `${experimentPath} is not an absolute path to an experiment file (*.aelab.yaml)` };
  }
  let real: string;
  try {
    real = fs.realpathSync(experimentPath);
  } catch {
    return { refused: `${experimentPath} does not exist` };
  }
  if (!fs.statSync(real).isFile() || !real.endsWith('.aelab.yaml')) return { refused: `${experimentPath} is not an experiment file (*.aelab.yaml)` };
  const roots = workspaceRoots.flatMap((r) => {
    try { return [fs.realpathSync(r)]; } catch { return []; }
  });
  if (!roots.some((root) => isInside(real, root))) {
    return { refused: `${experimentPath}${real !== experimentPath ? ` (really ${real})` : ''} is outside the open workspace folders: aelab writes thresholds only into experiment files of this workspace` };
  }
  return { file: real };
}
