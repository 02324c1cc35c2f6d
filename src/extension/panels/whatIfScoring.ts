// What-if scoring for the Results panel: a warm dist/worker.js process (one per panel) re-corrupts
// the run's test set and scores it with the run's model (nothing written), and *Save as run* queues
// an ordinary run with the same request (modelFrom = the source run), so saved and previewed
// scores are the same bytes.
import * as path from 'node:path';
import type { RunRequest } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import { WhatIfCorruption, whatIfExperiment } from '../../core/whatIfExperiment';
import type { RunManager } from '../runManager';
import { readSettings } from '../settings';
import { WhatIfScorer } from '../model/whatIfScorer';
import { WorkerProcess } from '../workerProcess';

/** The request that previews or saves a what-if of `runDir`, or why there is none. */
export function whatIfRequest(runDir: string, corruption: WhatIfCorruption): { request: RunRequest & { modelFrom: string } } | { error: string } {
  const config = readRun(runDir).config;
  if (!config) return { error: `${runDir} has no config.json` };
  // A run that reused a model points at its source: the what-if reuses that model too.
  const modelFrom = config.modelFrom ?? runDir;
  const changed = whatIfExperiment(config.experiment, corruption);
  if ('error' in changed) return changed;
  const settings = readSettings();
  return {
    request: {
      experiment: changed.experiment, experimentPath: config.experimentPath,
      // <runsDir>/<experiment name>/<run id>
      runsDir: path.dirname(path.dirname(runDir)),
      backend: settings.backend, threads: settings.threads, modelFrom,
    },
  };
}

/** The scorer of one Results panel: its warm process is a dist/worker.js with advanced IPC (typed arrays). */
export function createWhatIfScorer(manager: RunManager): WhatIfScorer {
  return new WhatIfScorer(() => {
    const worker = new WorkerProcess(manager.workerPath, manager.workerEnv, [], 'advanced');
    return {
      exited: worker.exited,
      onMessage: (listener) => { worker.onMessage(listener); },
      onStderr: (listener) => { worker.onOutput((o) => { if (o.stream === 'stderr') listener(o.text); }); },
      send: (message) => worker.send(message),
      dispose: () => worker.dispose(),
    };
  });
}
