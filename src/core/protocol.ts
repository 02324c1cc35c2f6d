// The one message protocol: discriminated unions per direction. Every `switch` over a union
// ends in assertNever so adding a message type is a compile error until every side handles it.
import type { ResolvedCorruptionConfig, ResolvedExperiment } from './experiment.generated';
import type { EpochMetrics, RunState, RunSummary, ThresholdStrategy } from './runFormat';
import type { StudyRun } from './study/studyTable';

export function assertNever(value: never, what = 'message'): never {
  throw new Error(`Unhandled ${what}: ${JSON.stringify(value)}`);
}

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
/** Cores to train and score on: 'auto' uses two on wasm when a core is spare and it pays. */
export type ThreadsPreference = 'auto' | 1 | 2;
export type RunPhase = 'loading' | 'training' | 'scoring' | 'saving';

/** Progress of one run, as the engine reports it (CLI, worker, tests all consume this). */
export type RunEvent =
  | { type: 'started'; runId: string; runDir: string; backend: string; epochs: number; batchesPerEpoch: number }
  | { type: 'phase'; phase: RunPhase; message: string }
  | { type: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number }
  | ({ type: 'epoch'; epochs: number } & EpochMetrics)
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'completed'; summary: RunSummary }
  | { type: 'cancelled'; message: string }
  | { type: 'failed'; error: string };

/** A request to run one experiment. */
export interface RunRequest {
  experiment: ResolvedExperiment;
  /** Absolute path of the experiment file (IDX paths resolve relative to it). */
  experimentPath?: string;
  /** Folder that holds <experiment-name>/<run-id>/. */
  runsDir: string;
  /** Image folders named by the experiment must lie inside it (default: the experiment file's folder). */
  workspaceRoot?: string;
  backend: BackendPreference;
  /** Default 'auto'. */
  threads?: ThreadsPreference;
  /** Score with the model of this completed run folder instead of training (sweep points that share a training setting). */
  modelFrom?: string;
  /** The sweep point this run is (recorded in config.json). */
  sweep?: SweepPointRef;
}

/**
 * A finished run's test set corrupted another way and scored with its model, not saved. Typed
 * arrays: the worker is forked with advanced (structured-clone) IPC serialization.
 */
export interface WhatIfResult {
  corruption: ResolvedCorruptionConfig;
  scores: Float32Array;
  labels: Uint8Array;
  classes: Uint8Array;
  auroc: number;
  averagePrecision: number;
  thresholds: RunSummary['thresholds'];
  chosen: RunSummary['chosen'];
  operatingPoint: RunSummary['operatingPoint'];
  warnings: string[];
  /** Load, corrupt and score, in seconds. */
  seconds: number;
}

/** *Score Images with Model*: the images under `paths` scored with a completed run's model (nothing written). */
export interface ScoreImagesRequest {
  runDir: string;
  /** Image files and folders (absolute). */
  paths: string[];
  /** The run's chosen threshold unless one of these is given (as `aelab score`). */
  threshold?: number;
  strategy?: ThresholdStrategy;
  backend: BackendPreference;
  /** Thumbnails for this many of the highest scores come back with the scores (the panel's first page). */
  thumbnails: number;
}

/** One scored image's thumbnails: bytes 0..255, width*height each (luminance for RGB). */
export interface ScoredImageThumbnails {
  file: string;
  original: Uint8Array;
  reconstruction: Uint8Array;
  /** |input - reconstruction| averaged over channels. */
  difference: Uint8Array;
}

/** What `aelab score` computes, as typed arrays (advanced IPC serialization, postMessage). */
export interface ScoreImagesResult {
  runDir: string;
  threshold: number;
  /** `--threshold`, or the run's strategy that gave the threshold. */
  thresholdSource: string;
  scoreKind: 'mse' | 'ssim';
  width: number;
  height: number;
  /** Absolute paths of the scored images, in the order they were read; scores[i] is files[i]'s. */
  files: string[];
  scores: Float32Array;
  /** 1 when scores[i] >= threshold. */
  flagged: Uint8Array;
  /** One line per file that could not be read or decoded. */
  warnings: string[];
  /** Thumbnails of the highest-scored images (ScoreImagesRequest.thumbnails of them), highest first. */
  thumbnails: ScoredImageThumbnails[];
  seconds: number;
}

/** A run's place in a sweep: `<runsDir>/.sweeps/<name>/`, point `index`. */
export interface SweepPointRef { name: string; index: number }

/** A line in a panel's notice bar (a saved export, an error); every panel's webview shows it. */
export interface PanelNotice {
  type: 'notice';
  level: 'info' | 'error';
  message: string;
}

/** host -> worker (Node IPC channel). */
export type HostToWorker =
  | { type: 'run'; request: RunRequest }
  /**
   * Re-corrupt and re-score the test set of request.modelFrom with request.experiment's corruption;
   * nothing is written. keepAlive: after the answer the worker waits for the next what-if instead
   * of exiting (the Results panel keeps one warm worker).
   */
  | { type: 'whatIf'; request: RunRequest & { modelFrom: string }; keepAlive?: boolean }
  /** Score image files with a run's model (`aelab score` in the worker); nothing is written. */
  | { type: 'scoreImages'; request: ScoreImagesRequest }
  /** Original / reconstruction / difference of these files, for a page of the Score panel. */
  | { type: 'thumbnails'; request: { runDir: string; files: string[]; backend: BackendPreference } }
  | { type: 'cancel' };

/** worker -> host (Node IPC channel). */
export type WorkerToHost =
  | { type: 'ready' }
  | { type: 'event'; event: RunEvent }
  | { type: 'whatIf'; result: WhatIfResult }
  | { type: 'scoreProgress'; done: number; total: number }
  | { type: 'scoreImages'; result: ScoreImagesResult }
  | { type: 'thumbnails'; width: number; height: number; images: ScoredImageThumbnails[]; warnings: string[] }
  | { type: 'exit'; code: number };

// ─── Webview panels: Results (one run) and Compare (several runs) ──────────────────────────────
// Handshake (as in iterative/vscode-dvc): a webview posts `ready` once its script has loaded;
// only then does the host send `init`. A webview that is hidden and shown again is a fresh page
// and says `ready` again, so the host never posts into a page that is not listening yet.

/** The settings of a run that the panels show and compare (from config.json). */
export interface RunSetupFacts {
  dataset: string;
  architecture: string;
  loss: string;
  /** e.g. "gaussian 0.2 on 10%" */
  corruption: string;
  /** e.g. "10% gaussian 0.2"; absent for clean training data. */
  trainContamination?: string;
  normalClasses?: number[];
  epochsPlanned: number;
  score: 'mse' | 'ssim';
  seed: number;
}

/**
 * Test scores as typed arrays (index i is test image i): postMessage carries them as binary
 * buffers, not as JSON lists of numbers (as vscode-hexeditor sends its bytes).
 */
export interface PanelScores {
  kind: 'mse' | 'ssim';
  values: Float32Array;
  /** 1 = anomaly, 0 = normal. */
  labels: Uint8Array;
  /** Dataset label (digit) of each test image, when known. */
  classes?: Uint8Array;
}

/** One run as a panel sees it: what is known so far (a training run has no scores yet). */
export interface PanelRunData {
  runDir: string;
  runId: string;
  experimentName: string;
  experimentPath?: string;
  state: RunState;
  /** `running` in status.json but its process is gone: show it as failed. */
  stale: boolean;
  error?: string;
  setup?: RunSetupFacts;
  metrics: EpochMetrics[];
  summary?: RunSummary;
  scores?: PanelScores;
  /** A threshold saved earlier with "Use this threshold" (manual-threshold.json). */
  manualThreshold?: number;
  /** This run uses a manual threshold chosen on a run with other data or corruption: what differs. */
  manualThresholdWarning?: string;
}

/** Which test images the host can send: every one (images.bin), only the stored samples, or none. */
export interface PanelImageSource {
  kind: 'all' | 'samples' | 'none';
  width: number;
  height: number;
  /** Test indices the host can send when kind is `samples`. */
  sampleIndices: number[];
}

/** One test image, planes as bytes 0..255 (row-major, width*height each), sent as binary. */
export interface PanelTestImage {
  index: number;
  original: Uint8Array;
  input: Uint8Array;
  reconstruction: Uint8Array;
  /** 0/1 per pixel (1 = defect) when the run has masks. */
  mask?: Uint8Array;
}

/** A file the webview wants saved through the host's save dialog. */
export type PanelExportFile =
  | { kind: 'png'; suggestedName: string; base64: string }
  | { kind: 'svg'; suggestedName: string; text: string }
  | { kind: 'csv'; suggestedName: string; text: string }
  | { kind: 'markdown'; suggestedName: string; text: string }
  | { kind: 'latex'; suggestedName: string; text: string };

/** What the Results webview keeps in its persisted state; the serializer reads `runDir`. */
export interface ResultsPanelState {
  runDir: string;
}

/** What the Compare webview keeps in its persisted state; the serializer reads `runDirs`. */
export interface ComparePanelState {
  runDirs: string[];
}

/** One training batch's loss while a run trains in this window (live only: not in the run folder). */
export interface BatchLossPoint {
  /** Fractional epoch: epoch - 1 + batch / batches. */
  epoch: number;
  /** Seconds since the first batch. */
  seconds: number;
  loss: number;
}

export type HostToResultsWebview =
  | { type: 'init'; run: PanelRunData; images: PanelImageSource }
  /** Live training: the epochs so far and the state; scores follow in a new `init` when the run completes. */
  | { type: 'progress'; state: RunState; stale: boolean; error?: string; metrics: EpochMetrics[] }
  | { type: 'images'; requestId: number; width: number; height: number; images: PanelTestImage[]; error?: string }
  | { type: 'thresholdSaved'; value: number; experimentPath: string }
  /** The run folder is gone (deleted): the panel keeps what it shows but says so, and exports stop. */
  | { type: 'runRemoved'; runDir: string }
  /** Per-batch training loss: `points` continue the list at index `from` (0: replace it). */
  | { type: 'batchLoss'; from: number; points: BatchLossPoint[] }
  /** The what-if asked for: its scores (not saved), or why there are none; neither when a newer request replaced it. */
  | { type: 'whatIf'; corruption: WhatIfCorruptionChoice; result?: WhatIfResult; error?: string }
  /** *Save as run* queued the what-if as a run (scoring with this run's model). */
  | { type: 'whatIfSaved'; corruption: WhatIfCorruptionChoice }
  | PanelNotice;

/** A test corruption the Results panel's "What if…" control picks (core/whatIfExperiment.ts checks it). */
export interface WhatIfCorruptionChoice {
  type: ResolvedCorruptionConfig['type'];
  level: number;
}

export type ResultsWebviewToHost =
  | { type: 'ready' }
  | { type: 'requestImages'; requestId: number; indices: number[] }
  /** "Use this threshold": write strategy manual + value into the run's experiment file. */
  | { type: 'useThreshold'; value: number }
  | { type: 'saveFile'; file: PanelExportFile }
  /** Re-corrupt the test set this way and re-score it with the run's model (a preview). */
  | { type: 'whatIf'; corruption: WhatIfCorruptionChoice }
  /** Keep that what-if as an ordinary run (config.json modelFrom = this run's model). */
  | { type: 'saveWhatIf'; corruption: WhatIfCorruptionChoice };

export type HostToCompareWebview =
  /** `missing`: run folders of this comparison that no longer exist. */
  | { type: 'init'; runs: PanelRunData[]; missing?: string[] }
  /** One run changed (epochs arrived, or it completed and now has scores). */
  | { type: 'runUpdated'; run: PanelRunData }
  /** A run's folder is gone: the panel drops it and says so. */
  | { type: 'runRemoved'; runDir: string }
  | PanelNotice;

export type CompareWebviewToHost =
  | { type: 'ready' }
  | { type: 'openRun'; runDir: string }
  | { type: 'saveFile'; file: PanelExportFile };

// ─── Study panel: the experiments table and metric-vs-parameter charts of many runs ────────────

/** What the Study webview keeps in its persisted state; the serializer reads `runDirs`. */
export interface StudyPanelState {
  runDirs: string[];
}

/** A completed run as the Study panel gets it (config.json's experiment, summary.json). */
export interface StudyRunData extends StudyRun {
  runDir: string;
}

export type HostToStudyWebview =
  | { type: 'init'; runs: StudyRunData[]; skipped: { runDir: string; reason: string }[] }
  | PanelNotice;

export type StudyWebviewToHost =
  | { type: 'ready' }
  | { type: 'openRun'; runDir: string }
  | { type: 'saveFile'; file: PanelExportFile }
  /** Generate Report for the panel's runs (the host asks where). */
  | { type: 'generateReport' };

// ─── Score panel: images scored with a run's model (Score Images with Model...) ────────────────

/** Images per page of the Score panel: thumbnails travel a page at a time (the first with the scores). */
export const SCORE_PAGE_SIZE = 100;

/** One threshold the Score panel offers: the run's strategies (or the one given). */
export interface ScorePanelThreshold {
  strategy: string;
  value: number;
}

export type HostToScoreWebview =
  /**
   * `displayPaths[i]` names `result.files[i]` (relative to the workspace); `inputs`: the files and
   * folders the user chose, which the webview keeps in its state so a reload can score them again.
   */
  | { type: 'init'; runLabel: string; result: ScoreImagesResult; displayPaths: string[]; thresholds: ScorePanelThreshold[]; chosen: string; inputs: string[] }
  /** Thumbnails of the files asked for (a page), or why there are none. */
  | { type: 'thumbnails'; requestId: number; width: number; height: number; images: ScoredImageThumbnails[]; error?: string }
  | PanelNotice;

export type ScoreWebviewToHost =
  | { type: 'ready' }
  | { type: 'requestThumbnails'; requestId: number; files: string[] }
  | { type: 'saveFile'; file: PanelExportFile };
