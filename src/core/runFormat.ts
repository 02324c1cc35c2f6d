// The run folder: the contract between engine, extension, CLI and tests (docs/RUN-FORMAT.md).
// Types only live here; reading and writing are in runFolder.ts.
import type { ResolvedExperiment } from './experiment.generated';

export const RUN_FORMAT_VERSION = 1;

export type RunState = 'running' | 'completed' | 'cancelled' | 'failed';
/** Every threshold strategy a run can record (summary.json `thresholds[].strategy`). */
export const THRESHOLD_STRATEGIES = ['manual', 'percentile', 'mean-std', 'max-f1', 'fpr', 'mixture'] as const;
export type ThresholdStrategy = typeof THRESHOLD_STRATEGIES[number];

/** config.json */
export interface RunConfigFile {
  formatVersion: number;
  runId: string;
  experimentName: string;
  /** Absolute path of the *.aelab.yaml the run came from, if any. */
  experimentPath?: string;
  experiment: ResolvedExperiment;
  versions: { aelab: string; tfjs: string; node: string };
  backend: string;
  /** Set when the run is a point of a sweep (`<runsDir>/.sweeps/<name>/`). */
  sweep?: { name: string; index: number };
  /** Set when the run did not train: it scored with the model of this run folder (then it has no model/ of its own). */
  modelFrom?: string;
}

/** status.json: rewritten atomically on every state change. */
export interface RunStatusFile {
  formatVersion: number;
  runId: string;
  state: RunState;
  startedAt: string;
  endedAt?: string;
  /** Process that writes this run; a `running` run whose pid is gone is stale (crashed). */
  pid?: number;
  /** When `pid` started (Linux: /proc/<pid>/stat field 22), so a reused pid is not taken for the writer. */
  pidStartTime?: string;
  /** Host the writer runs on (a Slurm task may run on another node): its pid is checked only there. */
  host?: string;
  /** Last progress seen, for trees and lists. */
  epoch?: number;
  epochs?: number;
  lastLoss?: number;
  error?: string;
}

/** One line of metrics.jsonl. */
export interface EpochMetrics {
  epoch: number; // 1-based
  trainLoss: number;
  valLoss: number;
  seconds: number;
}

/** scores.json: header of scores.bin (Float32 little-endian) and labels.bin (Uint8 0/1). */
export interface ScoresHeader {
  formatVersion: number;
  count: number;
  score: 'mse' | 'ssim';
  /** scores.bin holds `count` float32 test scores, then `validationCount` float32 validation (normal) scores. */
  validationCount: number;
  /** labels.bin holds `count` bytes: 1 = anomaly (corrupted or outside normalClasses), 0 = normal. */
  /** classes.bin holds `count` bytes: the dataset label (digit) of each test image. */
  hasClasses: boolean;
  /** images.bin holds, for each test image in order, 3 planes of width*height bytes (round(x*255)):
   *  original, input (corrupted where the image was corrupted), reconstruction. Lets the panels
   *  show any test image (highest scores, false positives, a clicked histogram bin...). */
  images?: { width: number; height: number; planes: ['original', 'input', 'reconstruction'] };
  /** Image folders with masks: masks.bin holds `count` masks of width*height bytes (1 = defect). */
  masks?: boolean;
}

export interface ThresholdResult {
  strategy: ThresholdStrategy;
  value: number;
  /** max-f1 looks at test labels; the others do not. */
  usesLabels: boolean;
  description: string;
}

export interface ConfusionCounts { tp: number; tn: number; fp: number; fn: number }

export interface OperatingPoint extends ConfusionCounts {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  fpr: number;
}

/** summary.json */
export interface RunSummary {
  formatVersion: number;
  runId: string;
  experimentName: string;
  testCount: number;
  anomalyCount: number;
  auroc: number;
  averagePrecision: number;
  /** Image folders with masks: AUROC of the per-pixel anomaly map (|input - reconstruction|) against the masks. */
  pixelAuroc?: number;
  meanScoreNormal: number;
  meanScoreAnomalous: number;
  /** meanScoreAnomalous / meanScoreNormal */
  scoreRatio: number;
  thresholds: ThresholdResult[];
  chosen: ThresholdStrategy;
  /** The operating point at the chosen threshold. */
  operatingPoint: OperatingPoint;
  epochsRun: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  trainSeconds: number;
  totalSeconds: number;
  backend: string;
  /** Threads that trained the model (data-parallel on two); absent in runs from before it was recorded. */
  trainingThreads?: number;
  /** Peak resident memory of the process that ran it (engine + data), in MiB. */
  peakMemoryMB?: number;
  /** Problems the run found in its own setup (e.g. corrupted test images identical to their originals); absent when none. */
  warnings?: string[];
}

/** manual-threshold.json: a threshold the user chose in the Results panel ("Use this threshold"),
 *  with its operating point on this run's test scores. Written by the extension, after the run. */
export interface ManualThresholdFile {
  formatVersion: number;
  value: number;
  savedAt: string;
  /** The experiment file the threshold was written into (strategy manual). */
  experimentPath?: string;
  operatingPoint: OperatingPoint;
}

/** samples.json: header of samples.bin (Float32: for each sample, 4 images of width*height: original, input, reconstruction, |difference|). */
export type SampleGroup = 'normal' | 'anomalous';
export interface SampleEntry {
  /** Index into the test set (and into scores.bin). */
  index: number;
  group: SampleGroup;
  label: number;
  score: number;
}
export interface SamplesHeader {
  formatVersion: number;
  width: number;
  height: number;
  /** Images per sample, in this order. */
  planes: ['original', 'input', 'reconstruction', 'difference'];
  samples: SampleEntry[];
}

export const RUN_FILES = {
  config: 'config.json',
  status: 'status.json',
  metrics: 'metrics.jsonl',
  model: 'model',
  scoresHeader: 'scores.json',
  scores: 'scores.bin',
  labels: 'labels.bin',
  classes: 'classes.bin',
  samplesHeader: 'samples.json',
  samples: 'samples.bin',
  summary: 'summary.json',
  log: 'run.log',
  images: 'images.bin',
  masks: 'masks.bin',
  manualThreshold: 'manual-threshold.json',
} as const;
