import { walkEntries } from '../core/fileAccess';

const SKIP = new Set(['node_modules', '.git', '.aelab', 'out', 'dist']);

/** Every *.aelab.yaml under root, sorted, skipping dependency and output folders. */
export function findExperimentFiles(root: string): string[] {
  const found: string[] = [];
  walkEntries(root, (p, e) => {
    if (e.isDirectory()) return !SKIP.has(e.name);
    if (e.name.endsWith('.aelab.yaml')) found.push(p);
    return false;
  });
  return found.sort();
}
