// The experiment of a what-if: a finished run's resolved experiment with another test
// corruption, checked by the same validation as a file (YAML is a superset of JSON), so a
// level the schema refuses is refused here with its key, before any process starts.
import { validateExperiment } from './config';
import type { ResolvedExperiment } from './experiment.generated';
import type { WhatIfCorruptionChoice } from './protocol';

export type WhatIfCorruption = WhatIfCorruptionChoice;

/** The run's experiment with `corruption` as its test corruption, or why not. */
export function whatIfExperiment(source: ResolvedExperiment, corruption: WhatIfCorruption): { experiment: ResolvedExperiment } | { error: string } {
  const changed = { ...source, corruption: { ...source.corruption, type: corruption.type, level: corruption.level } };
  const result = validateExperiment(JSON.stringify(changed, null, 1), 'what-if');
  const problem = result.problems.find((p) => p.severity === 'error');
  // Its line and column would be of the JSON text made here: the message names the key instead.
  if (!result.ok || !result.experiment) return { error: problem ? problem.message : 'the changed experiment is invalid' };
  return { experiment: result.experiment };
}
