// A manual threshold is a number read off one run's scores. When a later run of the same
// experiment uses it but was trained or tested on other data or corruption, the number may not
// mean the same: find the run it was chosen on (its manual-threshold.json) and say what differs.
// No vscode here (shared with the browser tests' host).
import * as path from 'node:path';
import { listRuns, readRun } from '../../core/runFolder';
import type { RunConfigFile } from '../../core/runFormat';

/** Leaf keys ("corruption.level") whose values differ between a and b, with both values. */
function differences(prefix: string, a: unknown, b: unknown): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(`${prefix}.${k}`, (a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${prefix} ${JSON.stringify(a) ?? 'unset'} → ${JSON.stringify(b) ?? 'unset'}`];
}

/** What changed in data and corruption from the run the threshold was chosen on, or undefined. */
export function manualThresholdWarning(runDir: string, config: RunConfigFile | undefined): string | undefined {
  const threshold = config?.experiment.evaluation.threshold;
  if (!config || threshold?.strategy !== 'manual' || threshold.value === undefined) return undefined;
  const runsDir = path.dirname(path.dirname(runDir));
  const origin = listRuns(runsDir, config.experimentName)
    .filter((r) => r.dir !== runDir)
    .map((r) => { try { return readRun(r.dir); } catch { return undefined; } })
    .filter((r) => r?.manualThreshold?.value === threshold.value && r?.config !== undefined)
    .sort((a, b) => (b?.manualThreshold?.savedAt ?? '').localeCompare(a?.manualThreshold?.savedAt ?? ''))[0];
  if (!origin?.config) return undefined;
  const was = origin.config.experiment;
  const now = config.experiment;
  const changed = [...differences('data', was.data, now.data), ...differences('corruption', was.corruption, now.corruption)];
  if (changed.length === 0) return undefined;
  return `The manual threshold ${threshold.value} was chosen on run ${path.basename(origin.dir)}, which had other data or corruption (${changed.join('; ')}). `
    + 'Scores shift with these settings, so it may not fit this run: check it on the histogram, or use a label-free strategy (percentile, fpr).';
}
