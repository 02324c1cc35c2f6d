// A small recorded study for the report and study tests: two architectures x two noise levels
// x two seeds (8 runs), plus two one-class runs, each a complete run folder written by
// writeRunFixture (synthetic scores, a few hundred images; no training). Built in a temp folder
// by the tests, never committed.
import * as path from 'node:path';
import { writeRunFixture } from './makeFixture';

export interface StudyFixture { runsDir: string; runDirs: string[] }

export function writeStudyFixture(root: string, count = 200): StudyFixture {
  const runsDir = path.join(root, 'runs');
  const runDirs: string[] = [];
  let k = 0;
  for (const architecture of ['fcn-simple', 'cnn']) {
    for (const level of [0.1, 0.3]) {
      for (const seed of [1, 2]) {
        k++;
        const runId = `20260101-1200${String(k).padStart(2, '0')}-s${seed}${k}`.slice(0, 20);
        const dir = path.join(runsDir, 'noise-study', runId);
        // The synthetic data's seed differs per run, so the metrics do too.
        writeRunFixture(dir, { count, seed: 10 + k, runId, overrides: [`name=noise-study`, `model.architecture=${architecture}`, `corruption.level=${level}`, `seed=${seed}`] });
        runDirs.push(dir);
      }
    }
  }
  for (const digit of [0, 1]) {
    k++;
    const runId = `20260101-1300${String(k).padStart(2, '0')}-oc${digit}`;
    const dir = path.join(runsDir, 'one-class', runId);
    writeRunFixture(dir, { count, seed: 10 + k, runId, overrides: ['name=one-class', `data.normalClasses=[${digit}]`] });
    runDirs.push(dir);
  }
  return { runsDir, runDirs };
}
