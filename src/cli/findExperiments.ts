import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIP = new Set(['node_modules', '.git', '.aelab', 'out', 'dist']);

/** Every *.aelab.yaml under root, sorted, skipping dependency and output folders. */
export function findExperimentFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) walk(path.join(dir, e.name));
      } else if (e.name.endsWith('.aelab.yaml')) {
        found.push(path.join(dir, e.name));
      }
    }
  };
  walk(root);
  return found.sort();
}
