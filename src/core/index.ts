// The public core (package.json exports["./core"]): pure TypeScript, no vscode, no TensorFlow.js.
// Everything a tool needs to read experiments and run folders and recompute the numbers.
export type { ExperimentConfig, ResolvedExperiment } from './experiment.generated';
export { validateExperiment, applyOverrides, setManualThreshold, formatProblem, EXPERIMENT_FILE_GLOB } from './config';
export type { Problem, ValidationResult } from './config';
export { ssim, gaussianKernel1d } from './ssim';
export { confusionAt, operatingPoint, rocCurve, rocAuc, prCurve, averagePrecision, meanByLabel, SortedScores } from './metrics';
export { computeThresholds, chooseThreshold, percentile } from './thresholds';
export { histogram } from './histogram';
export { Rng, rngFor } from './rng';
export * from './runFormat';
export { listRuns, readRun, readScores, readSamples, readTestImages, readMetrics } from './runFolder';
export type { RunEvent, RunRequest } from './protocol';
