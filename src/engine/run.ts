// One run, start to finish: load -> split/corrupt -> build -> train -> score -> thresholds ->
// metrics -> run folder. Input problems surface before the run folder exists (nothing is
// written); after that every exit path leaves status.json in a final state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendPreference, RunEvent, RunRequest } from '../core/protocol';
import { RUN_FORMAT_VERSION, RUN_FILES, RunStatusFile, RunSummary, SampleEntry, SamplesHeader } from '../core/runFormat';
import { appendMetrics, encodeTestImages, readMetrics, readRun, writeJsonAtomic, writerIdentity, writeSamples, writeScores } from '../core/runFolder';
import { createRunFolder, removeResults, removeTempFiles, writeFinalStatus } from '../core/runFolderLifecycle';
import { computeThresholds, chooseThreshold } from '../core/thresholds';
import { averagePrecision, confusionAt, meanByLabel, operatingPoint, rocAuc } from '../core/metrics';
import { rngFor } from '../core/rng';
import { aelabVersion } from '../core/version';
import { initBackend, tfjsVersion } from './backend';
import { Dataset, loadDataset, releaseDataset } from './datasets';
import type { ByteImages } from './images/byteImages';
import { architectureMismatch, buildModel } from './models';
import { trainAutoencoder } from './train';
import { parallelScoringPays, reconstruct, reconstructAllCancellable, scoreImagesParallel } from './score';
import { EngineThread } from './thread/spawn';
import { trainingThreads as planTrainingThreads, trainsOnTwoThreads, wantsEngineThread } from './threads';
import { loadModel, saveModel } from './modelIo';
import { PreparedData, prepareData } from './prepareData';

import { InputError } from '../core/errors';

export { InputError };

export interface RunOptions {
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
  /** Where the tfjs wasm binaries are (bundles ship them beside themselves). */
  wasmDir?: string;
  /** Fixed run id (tests); a fresh sortable id otherwise. */
  runId?: string;
}

export interface RunOutcome {
  state: 'completed' | 'cancelled' | 'failed';
  runId: string;
  runDir: string;
  summary?: RunSummary;
  error?: string;
}

export async function selectBackend(preference: BackendPreference, wasmDir: string | undefined, log: (m: string) => void): Promise<string> {
  const chosen = await initBackend(preference, { wasmDir, log });
  log(`backend: ${chosen.name} (${chosen.reason})`);
  return chosen.name;
}

/**
 * Runs one experiment. Throws InputError (or another Error) for problems found before the run
 * folder is created; once it exists, returns an outcome instead of throwing.
 */
export async function runExperiment(request: RunRequest, options: RunOptions = {}): Promise<RunOutcome> {
  const log = (message: string) => options.onEvent?.({ type: 'log', level: 'info', message });
  const startedAt = Date.now();

  const backend = await selectBackend(request.backend, options.wasmDir, log);
  // The second core's thread boots (~0.3 s) while the data loads; closed on every way out.
  const thread = wantsEngineThread(request.threads ?? 'auto', backend) ? new EngineThread({ wasmDir: options.wasmDir }) : undefined;
  try {
    return await runWithData(request, options, backend, startedAt, thread);
  } finally {
    await thread?.close();
  }
}

async function runWithData(request: RunRequest, options: RunOptions, backend: string, startedAt: number, thread: EngineThread | undefined): Promise<RunOutcome> {
  const { experiment } = request;
  options.onEvent?.({ type: 'phase', phase: 'loading', message: `loading ${experiment.data.dataset}` });
  const baseDir = request.experimentPath ? path.dirname(request.experimentPath) : process.cwd();
  const dataset = await loadDataset(experiment.data, baseDir, { workspaceRoot: request.workspaceRoot, seed: experiment.seed });
  // A folder's training images may sit in a temp file: closed (and removed) on every way out.
  try {
    return await runOnDataset(request, options, backend, startedAt, thread, dataset);
  } finally {
    releaseDataset(dataset);
  }
}

async function runOnDataset(request: RunRequest, options: RunOptions, backend: string, startedAt: number, thread: EngineThread | undefined, dataset: Dataset): Promise<RunOutcome> {
  const emit = options.onEvent ?? (() => undefined);
  const log = (message: string) => emit({ type: 'log', level: 'info', message });
  const { experiment } = request;
  const mismatch = architectureMismatch(experiment.model.architecture, dataset);
  if (mismatch) throw new InputError(`${mismatch} (${dataset.source})`, ['model', 'architecture']);
  const data = prepareData(dataset, experiment);
  if (request.modelFrom && !fs.existsSync(path.join(request.modelFrom, RUN_FILES.model, 'model.json'))) {
    throw new InputError(`cannot score with the model of ${request.modelFrom}: it has no ${RUN_FILES.model}/model.json`);
  }
  log(`${dataset.source}: ${data.trainCount} training, ${data.validationCount} validation, ${data.testCount} test images (${data.testLabels.reduce((s, v) => s + v, 0)} anomalous)`);
  if (data.trainContaminated > 0) log(`training contamination: ${data.trainContaminated} training and ${data.validationContaminated} validation images corrupted`);
  for (const warning of data.warnings) emit({ type: 'log', level: 'warn', message: warning });

  // Inputs are good: from here on the run folder exists and always ends in a final state.
  // Created exclusively: a run id another run took in the same second is never shared.
  const { runId, runDir } = createRunFolder(request.runsDir, experiment.name, options.runId);
  const status: RunStatusFile = {
    formatVersion: RUN_FORMAT_VERSION, runId, state: 'running', startedAt: new Date(startedAt).toISOString(),
    ...writerIdentity(), epoch: 0, epochs: experiment.training.epochs,
  };
  const writeStatus = () => writeJsonAtomic(path.join(runDir, RUN_FILES.status), status);
  try {
    writeStatus();
  } catch (err) {
    // Not even a first status: leave no folder that a reader could not place.
    fs.rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  // Never throws: a run that cannot record its end still returns how it ended.
  const finish = (state: RunOutcome['state'], error?: string): RunOutcome => {
    status.state = state;
    status.endedAt = new Date().toISOString();
    status.pid = undefined;
    status.pidStartTime = undefined;
    status.host = undefined;
    if (error) status.error = error;
    // Partial temp files first: their space may be what the final status.json needs.
    removeTempFiles(runDir);
    const notRecorded = writeFinalStatus(runDir, status);
    if (!notRecorded) return { state, runId, runDir, error };
    return { state: 'failed', runId, runDir, error: [error, `the final status was not recorded: ${notRecorded}`].filter(Boolean).join('; ') };
  };

  try {
    writeJsonAtomic(path.join(runDir, RUN_FILES.config), {
      formatVersion: RUN_FORMAT_VERSION, runId, experimentName: experiment.name, experimentPath: request.experimentPath,
      experiment, versions: { aelab: aelabVersion(), tfjs: tfjsVersion(), node: process.version }, backend,
      ...(request.sweep ? { sweep: request.sweep } : {}), ...(request.modelFrom ? { modelFrom: request.modelFrom } : {}),
    });
    const batchesPerEpoch = Math.ceil(data.trainCount / experiment.training.batchSize);
    emit({ type: 'started', runId, runDir, backend, epochs: experiment.training.epochs, batchesPerEpoch });
    const outcome = await trainAndEvaluate(request, data, runDir, backend, startedAt, options, status, writeStatus, thread);
    if (outcome === 'cancelled') {
      // Cancelled while saving: a cancelled run has no results, not half of them.
      removeResults(runDir);
      const result = finish('cancelled');
      emit({ type: 'cancelled', message: `cancelled after epoch ${status.epoch}` });
      return result;
    }
    const result = finish('completed');
    if (result.state !== 'completed') {
      emit({ type: 'failed', error: result.error ?? 'unknown error' });
      return result;
    }
    emit({ type: 'completed', summary: outcome });
    return { ...result, summary: outcome };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const result = finish('failed', message);
    emit({ type: 'failed', error: result.error ?? message });
    return result;
  }
}

async function trainAndEvaluate(
  request: RunRequest, data: PreparedData, runDir: string, backend: string, startedAt: number,
  options: RunOptions, status: RunStatusFile, writeStatus: () => void, thread: EngineThread | undefined,
): Promise<RunSummary | 'cancelled'> {
  const emit = options.onEvent ?? (() => undefined);
  const { experiment } = request;
  const { width, height, channels } = data;
  const model = request.modelFrom ? await loadModel(path.join(request.modelFrom, RUN_FILES.model)) : buildModel(experiment.model, experiment.seed, { width, height, channels });
  const preference = request.threads ?? 'auto';
  const trainingThreads = thread ? planTrainingThreads(preference, backend, experiment, data.trainCount) : 1;
  const scoringThread = thread && (preference === 2 || parallelScoringPays(data.testCount)) ? thread : undefined;
  if (preference === 2 && backend !== 'wasm') emit({ type: 'log', level: 'warn', message: `two threads need the wasm backend; ${backend} trains and scores on one` });
  if (preference === 2 && backend === 'wasm' && !request.modelFrom && !trainsOnTwoThreads(experiment.model.architecture)) {
    emit({ type: 'log', level: 'info', message: `${experiment.model.architecture} trains on one thread (two measured slower for it, and one gives the same bytes on every machine); scoring uses two` });
  }
  if (trainingThreads === 2) emit({ type: 'log', level: 'info', message: 'training on two threads (data-parallel, half of every batch each)' });
  try {
    if (request.modelFrom) emit({ type: 'log', level: 'info', message: `not training: scoring with the model of ${request.modelFrom} (same training setting)` });
    else emit({ type: 'phase', phase: 'training', message: `training ${experiment.model.architecture} for ${experiment.training.epochs} epoch(s)` });
    const trainStart = Date.now();
    const trained = request.modelFrom ? borrowedTraining(request.modelFrom, runDir, status, writeStatus) : await trainAutoencoder(model, {
      train: data.train, trainCount: data.trainCount, validation: data.validation, validationCount: data.validationCount, width, height,
    }, experiment.training, {
      seed: experiment.seed,
      signal: options.signal,
      thread: trainingThreads === 2 ? thread : undefined,
      onThreadError: (message: string) => emit({ type: 'log', level: 'warn', message: `training thread failed to start, trained on one core: ${message}` }),
      onBatch: (e) => emit({ type: 'batch', ...e }),
      onEpoch: (m) => {
        const { epochs, ...metrics } = m;
        appendMetrics(runDir, metrics);
        status.epoch = m.epoch;
        status.lastLoss = m.valLoss;
        writeStatus();
        emit({ type: 'epoch', epochs, ...metrics });
      },
    });
    const trainSeconds = request.modelFrom ? 0 : (Date.now() - trainStart) / 1000;
    if (trained.cancelled) return 'cancelled';

    emit({ type: 'phase', phase: 'scoring', message: `scoring ${data.testCount} test images (${experiment.evaluation.score})` });
    const scoreKind = experiment.evaluation.score;
    // Two cores when worth it (wasm, a spare core, many images); same scores as one.
    // The decision above, not scoreImagesParallel's own 'auto' (which would start a thread of its
    // own under --threads 1).
    const parallel = {
      threads: scoringThread ? 2 as const : 1 as const, thread: scoringThread, signal: options.signal,
      onThreadError: (message: string) => emit({ type: 'log', level: 'warn', message: `scoring thread failed, scored on one core: ${message}` }),
    };
    const testScores = await scoreImagesParallel(model, data.testInput, data.testCount, width, height, scoreKind, parallel);
    if (!testScores || options.signal?.aborted) return 'cancelled';
    const validationScores = await scoreStored(data.validation, data.validationCount, (images, count) => scoreImagesParallel(model, images, count, width, height, scoreKind, parallel));
    if (!validationScores || options.signal?.aborted) return 'cancelled';

    emit({ type: 'phase', phase: 'saving', message: 'writing results' });
    const thresholds = computeThresholds(experiment.evaluation.threshold, validationScores, testScores, data.testLabels);
    const chosen = chooseThreshold(thresholds, experiment.evaluation.threshold.strategy);
    const point = operatingPoint(confusionAt(testScores, data.testLabels, chosen.value), chosen.value);
    const means = meanByLabel(testScores, data.testLabels);
    // Every test image with its reconstruction, as bytes: the panels can show any of them.
    // Saving checks for a cancel between its steps, as scoring does between batches.
    const cancelled = () => options.signal?.aborted === true;
    const reconstructions = await reconstructAllCancellable(model, data.testInput, data.testCount, width, height, options.signal);
    if (!reconstructions || cancelled()) return 'cancelled';
    // Stored for display: one plane per image (luminance for RGB runs), as the panels draw them.
    const testImages = encodeTestImages(data.testCount, width * height, displayPlanes(data.testOriginal, channels), displayPlanes(data.testInput, channels), displayPlanes(reconstructions, channels));
    const pixelAuroc = data.testMasks ? pixelLevelAuroc(data.testInput, reconstructions, data.testMasks, channels) : undefined;
    writeScores(runDir, {
      formatVersion: RUN_FORMAT_VERSION, count: data.testCount, score: scoreKind, validationCount: data.validationCount, hasClasses: true,
      images: { width, height, planes: ['original', 'input', 'reconstruction'] }, ...(data.testMasks ? { masks: true } : {}),
    }, testScores, validationScores, data.testLabels, data.testClasses, testImages, data.testMasks);
    if (await yieldThenCancelled(cancelled)) return 'cancelled';
    writeSampleGrid(runDir, model, data, testScores, experiment.evaluation.samples, experiment.seed);
    if (await yieldThenCancelled(cancelled)) return 'cancelled';
    // A run that scored with another run's model points at it (config.json modelFrom) instead of copying it.
    if (!request.modelFrom) await saveModel(model, path.join(runDir, RUN_FILES.model));
    if (await yieldThenCancelled(cancelled)) return 'cancelled';

    const best = trained.history.reduce((b, m) => (m.valLoss < b.valLoss ? m : b), trained.history[0]);
    const summary: RunSummary = {
      formatVersion: RUN_FORMAT_VERSION,
      runId: status.runId,
      experimentName: experiment.name,
      testCount: data.testCount,
      anomalyCount: point.tp + point.fn,
      auroc: rocAuc(testScores, data.testLabels),
      averagePrecision: averagePrecision(testScores, data.testLabels),
      ...(pixelAuroc === undefined ? {} : { pixelAuroc }),
      meanScoreNormal: means.normal,
      meanScoreAnomalous: means.anomalous,
      scoreRatio: means.ratio,
      thresholds,
      chosen: chosen.strategy,
      operatingPoint: point,
      epochsRun: trained.history.length,
      bestEpoch: trained.bestEpoch ?? best?.epoch ?? 0,
      stoppedEarly: trained.stoppedEarly,
      trainSeconds,
      totalSeconds: (Date.now() - startedAt) / 1000,
      backend,
      trainingThreads: trained.threads,
      peakMemoryMB: Math.round(process.resourceUsage().maxRSS / 1024),
      ...(data.warnings.length > 0 ? { warnings: data.warnings } : {}),
    };
    // summary.json is written last of the results: with status completed, it marks a whole run.
    writeJsonAtomic(path.join(runDir, RUN_FILES.summary), summary);
    return summary;
  } finally {
    model.dispose();
    if (tf.memory().numTensors > 1000) emit({ type: 'log', level: 'warn', message: `${tf.memory().numTensors} tensors still allocated` });
  }
}

/** Lets a pending signal or IPC message through, then says whether the run was cancelled. */
async function yieldThenCancelled(cancelled: () => boolean): Promise<boolean> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return cancelled();
}

/** The training record of the run whose model a scoring-only run uses: its epochs are copied (for the loss curves), not re-run. */
function borrowedTraining(modelFrom: string, runDir: string, status: RunStatusFile, writeStatus: () => void): Awaited<ReturnType<typeof trainAutoencoder>> {
  const source = readRun(modelFrom);
  const history = readMetrics(modelFrom);
  for (const m of history) appendMetrics(runDir, m);
  status.epoch = history.at(-1)?.epoch ?? 0;
  status.lastLoss = history.at(-1)?.valLoss;
  writeStatus();
  return {
    history, bestEpoch: source.summary?.bestEpoch, stoppedEarly: source.summary?.stoppedEarly ?? false,
    cancelled: false, threads: (source.summary?.trainingThreads ?? 1) === 2 ? 2 : 1, inHalves: false,
  };
}

/** Seeded random picks from each group, plus the highest-scoring normals and lowest-scoring anomalies (where a threshold errs). */
function writeSampleGrid(runDir: string, model: Parameters<typeof reconstruct>[0], data: PreparedData, scores: Float32Array, perGroup: number, seed: number): void {
  const pixels = data.width * data.height;
  const values = pixels * data.channels;
  const rng = rngFor(seed, 'samples');
  const samples: SampleEntry[] = [];
  for (const group of ['normal', 'anomalous'] as const) {
    const members: number[] = [];
    for (let i = 0; i < data.testCount; i++) if ((data.testLabels[i] === 1) === (group === 'anomalous')) members.push(i);
    const picked = rng.sample(members.length, perGroup);
    for (const p of picked) {
      const index = members[p];
      samples.push({ index, group, label: data.testClasses[index], score: scores[index] });
    }
  }
  const indices = samples.map((s) => s.index);
  const recon = reconstruct(model, data.testInput, indices, data.width, data.height);
  const out = new Float32Array(samples.length * 4 * pixels);
  samples.forEach((s, k) => {
    const base = k * 4 * pixels;
    const input = data.testInput.subarray(s.index * values, (s.index + 1) * values);
    const reconstruction = recon.subarray(k * values, (k + 1) * values);
    out.set(displayPlanes(data.testOriginal.subarray(s.index * values, (s.index + 1) * values), data.channels), base);
    out.set(displayPlanes(input, data.channels), base + pixels);
    out.set(displayPlanes(reconstruction, data.channels), base + 2 * pixels);
    out.set(anomalyMap(input, reconstruction, data.channels), base + 3 * pixels);
  });
  const header: SamplesHeader = {
    formatVersion: RUN_FORMAT_VERSION, width: data.width, height: data.height,
    planes: ['original', 'input', 'reconstruction', 'difference'], samples,
  };
  writeSamples(runDir, header, out);
}

/** One plane per pixel: the image itself, or its luminance (ITU-R 601) when it has 3 channels. */
export function displayPlanes(images: Float32Array, channels: number): Float32Array {
  if (channels === 1) return images;
  const out = new Float32Array(images.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = 0.299 * images[3 * i] + 0.587 * images[3 * i + 1] + 0.114 * images[3 * i + 2];
  return out;
}

/** The anomaly map: per pixel, |input - reconstruction| averaged over channels. */
export function anomalyMap(input: Float32Array, reconstruction: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(input.length / channels);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += Math.abs(input[i * channels + c] - reconstruction[i * channels + c]);
    out[i] = sum / channels;
  }
  return out;
}

/** Most pixels ranked at once for pixel-level AUROC (a sort of 32M floats takes seconds and 256 MB). */
const PIXEL_AUROC_MAX = 32 * 1024 * 1024;

/**
 * Pixel-level AUROC of the anomaly map against the masks, over every test image's pixels (normal
 * images count with empty masks, as in MVTec AD). Past PIXEL_AUROC_MAX pixels, a regular stride
 * of them; undefined when the masks mark no pixel or every pixel.
 */
function pixelLevelAuroc(input: Float32Array, reconstructions: Float32Array, masks: Uint8Array, channels: number): number | undefined {
  const map = anomalyMap(input, reconstructions, channels);
  const stride = Math.max(1, Math.ceil(map.length / PIXEL_AUROC_MAX));
  const count = Math.ceil(map.length / stride);
  const scores = new Float32Array(count);
  const labels = new Uint8Array(count);
  let positives = 0;
  for (let k = 0; k < count; k++) {
    scores[k] = map[k * stride];
    labels[k] = masks[k * stride];
    positives += labels[k];
  }
  if (positives === 0 || positives === count) return undefined;
  return rocAuc(scores, labels);
}

/** Images scored in chunks this size (in values) when stored as bytes: floats for all would cost 4x. */
const SCORE_CHUNK_VALUES = 16 * 1024 * 1024;

/** Scores floats as they are, bytes a chunk at a time as floats. */
async function scoreStored(
  images: Float32Array | ByteImages, count: number, score: (images: Float32Array, count: number) => Promise<Float32Array | undefined>,
): Promise<Float32Array | undefined> {
  if (images instanceof Float32Array) return score(images, count);
  const values = images.values;
  const chunk = Math.max(1, Math.floor(SCORE_CHUNK_VALUES / values));
  const out = new Float32Array(count);
  // One buffer for every chunk: large arrays left to the garbage collector raise the peak.
  const buffer = new Float32Array(Math.min(chunk, count) * values);
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const floats = buffer.subarray(0, n * values);
    images.copyRangeFloats(start, n, floats);
    const scores = await score(floats, n);
    if (!scores) return undefined;
    out.set(scores, start);
  }
  return out;
}
