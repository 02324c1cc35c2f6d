// What-if scoring for the Results panel: one dist/worker.js process per request re-corrupts the
// run's test set and scores it with the run's model (nothing written), and *Save as run* queues
// an ordinary run with the same request (modelFrom = the source run), so saved and previewed
// scores are the same bytes.
import * as path from 'node:path';
import type { RunRequest, WhatIfResult } from '../../core/protocol';
import { readRun } from '../../core/runFolder';
import { WhatIfCorruption, whatIfExperiment } from '../../core/whatIfExperiment';
import type { RunManager } from '../runManager';
import { readSettings } from '../settings';
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

/** Scores a what-if in a child process; a newer request (or dispose) kills the one before. */
export class WhatIfScorer {
  private current: WorkerProcess | undefined;

  constructor(private readonly manager: RunManager) {}

  score(request: RunRequest & { modelFrom: string }): Promise<WhatIfResult | undefined> {
    this.current?.dispose();
    const worker = new WorkerProcess(this.manager.workerPath, this.manager.workerEnv, [], 'advanced');
    this.current = worker;
    return new Promise((resolve, reject) => {
      let result: WhatIfResult | undefined;
      let error: string | undefined;
      const stderr: string[] = [];
      worker.onOutput((o) => { if (o.stream === 'stderr') stderr.push(o.text); });
      worker.onMessage((m) => {
        if (m.type === 'ready') worker.send({ type: 'whatIf', request });
        else if (m.type === 'whatIf') result = m.result;
        else if (m.type === 'event' && m.event.type === 'failed') error = m.event.error;
      });
      void worker.exited.then(() => {
        if (this.current === worker) this.current = undefined;
        worker.dispose();
        if (result) resolve(result);
        else if (error || stderr.length > 0) reject(new Error(error ?? stderr.join('').trim().split('\n').slice(-3).join(' ')));
        else resolve(undefined); // replaced by a newer request, or cancelled
      });
    });
  }

  dispose(): void {
    this.current?.dispose();
    this.current = undefined;
  }
}
