// Experiment files (*.aelab.yaml): parse with positions, validate against the schema
// (schemas/experiment.schema.json, which also supplies every default), report problems at the
// YAML node they are about, apply `--set path=value` overrides, and write a manual threshold back
// without disturbing the rest of the file. The pieces live in experimentFile/, one concern each.
export { EXPERIMENT_FILE_GLOB, OVERRIDE_SOURCE, formatProblem, displayPath } from './experimentFile/problems';
export type { Problem, ProblemFix, Severity, ValidationResult, Seg } from './experimentFile/problems';
export { didYouMean } from './experimentFile/messages';
export { applyOverrides, locateKeyProblem, validateExperiment } from './experimentFile/overrides';
export { setManualThreshold } from './experimentFile/thresholdWriteBack';
export type { DatasetAccess, DatasetReader } from './experimentFile/dataChecks';
