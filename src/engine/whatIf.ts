// "What if the noise were different?": the test set of a finished run corrupted another way
// (same seed, same split) and scored with that run's saved model, without training and without
// writing anything. The same data preparation and scoring as `run` with `modelFrom`, so the
// scores equal those of a run saved with that corruption.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRequest, WhatIfResult } from '../core/protocol';
import { RUN_FILES } from '../core/runFormat';
import { readScores } from '../core/runFolder';
import { computeThresholds, chooseThreshold } from '../core/thresholds';
import { averagePrecision, confusionAt, operatingPoint, rocAuc } from '../core/metrics';
import { InputError } from '../core/errors';
import { loadDataset, releaseDataset } from './datasets';
import { loadModel } from './modelIo';
import { prepareData } from './prepareData';
import { parallelScoringPays, scoreImagesParallel } from './score';
import { EngineThread } from './thread/spawn';
import { wantsEngineThread } from './threads';
import { selectBackend } from './run';

export interface WhatIfOptions {
  signal?: AbortSignal;
  wasmDir?: string;
  log?: (message: string) => void;
}

/**
 * Re-corrupts and re-scores the test set of `request.modelFrom` with the corruption of
 * `request.experiment` (the source run's experiment with another corruption). Undefined when
 * cancelled. Validation images are not corrupted by the test corruption, so the source run's
 * validation scores stand and are not recomputed.
 */
export async function scoreWhatIf(request: RunRequest & { modelFrom: string }, options: WhatIfOptions = {}): Promise<WhatIfResult | undefined> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const modelJson = path.join(request.modelFrom, RUN_FILES.model, 'model.json');
  if (!fs.existsSync(modelJson)) throw new InputError(`cannot score with the model of ${request.modelFrom}: it has no ${RUN_FILES.model}/model.json`);
  const backend = await selectBackend(request.backend, options.wasmDir, log);
  const thread = wantsEngineThread(request.threads ?? 'auto', backend) ? new EngineThread({ wasmDir: options.wasmDir }) : undefined;
  try {
    const { experiment } = request;
    const baseDir = request.experimentPath ? path.dirname(request.experimentPath) : process.cwd();
    const dataset = await loadDataset(experiment.data, baseDir, { workspaceRoot: request.workspaceRoot, seed: experiment.seed });
    const data = prepareData(dataset, experiment);
    // Only the test set is scored: the training images (a temp file for large folders) go now.
    releaseDataset(dataset);
    const model = await loadModel(path.join(request.modelFrom, RUN_FILES.model));
    try {
      const scoringThread = thread && (request.threads === 2 || parallelScoringPays(data.testCount)) ? thread : undefined;
      const scores = await scoreImagesParallel(model, data.testInput, data.testCount, data.width, data.height, experiment.evaluation.score, {
        threads: scoringThread ? 2 : 1, thread: scoringThread, signal: options.signal,
        onThreadError: (message) => log(`scoring thread failed, scored on one core: ${message}`),
      });
      if (!scores) return undefined;
      const { validationScores } = readScores(request.modelFrom);
      const thresholds = computeThresholds(experiment.evaluation.threshold, validationScores, scores, data.testLabels);
      const chosen = chooseThreshold(thresholds, experiment.evaluation.threshold.strategy);
      return {
        corruption: experiment.corruption,
        scores, labels: data.testLabels, classes: data.testClasses,
        auroc: rocAuc(scores, data.testLabels),
        averagePrecision: averagePrecision(scores, data.testLabels),
        thresholds, chosen: chosen.strategy,
        operatingPoint: operatingPoint(confusionAt(scores, data.testLabels, chosen.value), chosen.value),
        warnings: data.warnings,
        seconds: (Date.now() - started) / 1000,
      };
    } finally {
      model.dispose();
    }
  } finally {
    await thread?.close();
  }
}
