// Rules the schema cannot express, checked on a schema-valid experiment (several keys at once).
import type { CorruptionType, ResolvedExperiment } from '../experiment.generated';
import { Anchor, Issue, Seg } from './problems';
import { corruptionLevel } from '../corruptionLevels';

export function has(raw: unknown, segs: readonly string[]): boolean {
  let cur: unknown = raw;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, s)) return false;
    cur = (cur as Record<string, unknown>)[s];
  }
  return true;
}

/** Checks the schema cannot express, on a schema-valid experiment. `raw` is the file as written. */
export function semanticIssues(x: ResolvedExperiment, raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const warn = (segs: Seg[], anchor: Anchor, message: string) => issues.push({ segs, anchor, message, severity: 'warning' });
  const classes = x.data.normalClasses;
  const allClasses = classes !== undefined && new Set(classes).size >= 10;
  if (allClasses) {
    warn(['data', 'normalClasses'], 'value', 'data.normalClasses lists all 10 digits, so no test image is anomalous by its class; only corrupted images count as anomalies');
  }
  // MVTec folders and folders with abnormalDir bring their own anomalies.
  const ownAnomalies = x.data.dataset === 'mvtec' || (x.data.dataset === 'folder' && x.data.abnormalDir !== undefined);
  if (x.corruption.fraction === 0 && !ownAnomalies && (classes === undefined || allClasses)) {
    issues.push({
      segs: ['corruption', 'fraction'], anchor: 'value', severity: 'error',
      message: 'the test set would contain no anomalies: corruption.fraction is 0 and data.normalClasses does not leave any digit out (set a fraction > 0, or normalClasses for the one-class setting)',
    });
  }
  if (has(raw, ['data', 'files']) && x.data.dataset !== 'idx') {
    warn(['data', 'files'], 'key', `data.files is only used when data.dataset is idx (dataset is ${x.data.dataset})`);
  }
  if (has(raw, ['model', 'latentSize']) && x.model.architecture === 'cnn') {
    warn(['model', 'latentSize'], 'key', 'model.latentSize is only used by the fcn architectures; for cnn set model.bottleneck');
  }
  if (has(raw, ['model', 'bottleneck']) && x.model.architecture !== 'cnn') {
    warn(['model', 'bottleneck'], 'key', `model.bottleneck is only used by architecture cnn (architecture is ${x.model.architecture}); fcn models use model.latentSize`);
  }
  if (has(raw, ['model', 'bottleneckActivation']) && (x.model.architecture !== 'cnn' || x.model.bottleneck === undefined)) {
    warn(['model', 'bottleneckActivation'], 'key', 'model.bottleneckActivation is only used by architecture cnn with model.bottleneck set');
  }
  if (has(raw, ['training', 'momentum']) && x.training.optimizer !== 'sgd') {
    warn(['training', 'momentum'], 'key', `training.momentum is only used by optimizer sgd (optimizer is ${x.training.optimizer})`);
  }
  if (has(raw, ['training', 'ssimWeight']) && x.training.loss !== 'mse+ssim') {
    warn(['training', 'ssimWeight'], 'key', `training.ssimWeight is only used by loss mse+ssim (loss is ${x.training.loss})`);
  }
  issues.push(...runRefusals(x, raw));
  if (x.data.validationSplit === 0) {
    const strategy = x.evaluation.threshold.strategy;
    if (strategy === 'percentile' || strategy === 'mean-std' || strategy === 'fpr') {
      const written = has(raw, ['evaluation', 'threshold', 'strategy']);
      issues.push({
        segs: written ? ['evaluation', 'threshold', 'strategy'] : ['data', 'validationSplit'], anchor: 'value', severity: 'error',
        message: `threshold strategy ${strategy}${written ? '' : ' (the default)'} needs validation images, but data.validationSplit is 0: use strategy mixture (label-free, from the test scores), or a validationSplit above 0`,
      });
    }
    if (x.training.earlyStopping) {
      warn(['training', 'earlyStopping'], 'key', 'with data.validationSplit 0 there is no validation loss: early stopping watches the training loss');
    }
  }
  const early = x.training.earlyStopping;
  if (early && early.patience >= x.training.epochs) {
    warn(['training', 'earlyStopping'], 'key', `training.earlyStopping can never stop early: patience (${early.patience}) is not less than training.epochs (${x.training.epochs})`);
  }
  return issues;
}

/** Corruption types whose level is a fraction (of pixels, of the image side): at most 1. */
const FRACTION_LEVEL: Readonly<Partial<Record<CorruptionType, string>>> = {
  'salt-and-pepper': 'the fraction of pixels flipped',
  occlusion: 'the block side as a fraction of the image side',
};

/** What the engine would refuse whatever the data holds: errors, located at the key to change. */
function runRefusals(x: ResolvedExperiment, raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const error = (segs: Seg[], message: string) => issues.push({ segs, anchor: 'value', message, severity: 'error' });
  const levelProblem = (type: CorruptionType, level: number) => {
    const what = FRACTION_LEVEL[type];
    return what && level > 1 ? `for ${type} is ${what}: it must be at most 1, got ${level}` : undefined;
  };
  const testLevel = levelProblem(x.corruption.type, corruptionLevel(x.corruption.type, x.corruption.level));
  if (testLevel) error(['corruption', 'level'], `corruption.level ${testLevel}`);
  const c = x.data.trainContamination;
  if (c && c.fraction > 0 && (c.type !== undefined || c.level !== undefined)) {
    const type = c.type ?? x.corruption.type;
    const contaminationLevel = levelProblem(type, c.level ?? (type === x.corruption.type ? corruptionLevel(type, x.corruption.level) : corruptionLevel(type, undefined)));
    if (contaminationLevel) {
      const at: Seg[] = has(raw, ['data', 'trainContamination', 'level']) ? ['data', 'trainContamination', 'level'] : ['data', 'trainContamination', 'type'];
      error(at, `data.trainContamination.level ${contaminationLevel}${c.level === undefined ? ' (the level comes from corruption.level)' : ''}`);
    }
  }
  if (x.corruption.fraction === 1) {
    error(['corruption', 'fraction'], 'corruption.fraction 1 corrupts every test image, so none is normal: AUROC, precision and the false-positive rate need normal test images (use a fraction below 1, e.g. 0.1)');
  }
  if (x.data.trainLimit === 1) {
    error(['data', 'trainLimit'], 'data.trainLimit 1 leaves one training image, which cannot be split into training and validation images: use at least 2');
  }
  if (x.data.testLimit === 1) {
    error(['data', 'testLimit'], 'data.testLimit 1 leaves one test image, which is either normal or anomalous; AUROC needs both: use at least 2');
  }
  return issues;
}
