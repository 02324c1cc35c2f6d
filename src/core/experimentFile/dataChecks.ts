// Rules that need the dataset's files: that they exist and are IDX files of the right kind
// (headers and sizes only), that their counts and image sizes agree with each other and with the
// model, and that the limits, normalClasses and corruption leave training images and both normal
// and anomalous test images; for image folders, the plan the engine loads by (imageFolderPlan.ts).
// The files are read through an injected reader, so this stays pure; the Node reader is
// core/datasetFiles.ts (the same readers the engine loads with).
import type { ResolvedDataConfig, ResolvedExperiment, ResolvedIdxFiles } from '../experiment.generated';
import { planImageFolders, type FolderReader } from '../imageFolderPlan';
import { MIXTURE_MIN_SCORES } from '../mixtureThreshold';
import { rngFor } from '../rng';
import { SSIM_WINDOW_SIZE } from '../ssim';
import { Issue, Seg } from './problems';

export type IdxRole = keyof ResolvedIdxFiles;

/** Reads what validation needs from the dataset files. Each method throws an Error with a plain message. */
export interface DatasetReader {
  /** The dataset's four files, absolute. */
  locate(data: ResolvedDataConfig, baseDir: string): ResolvedIdxFiles;
  /** The dimensions an IDX file's header declares, after checking its magic and its size. */
  header(file: string, kind: 'images' | 'labels'): number[];
  /** The first `limit` labels of a labels file. */
  labels(file: string, limit: number): Uint8Array;
  /** Image folders (mvtec, folder): listings, stats, the two ends of each file. */
  folders: FolderReader;
}

/** How to reach the dataset: the reader, and the folder relative `data.files` paths start from. */
export interface DatasetAccess {
  reader: DatasetReader;
  baseDir: string;
  /** Image folders must lie inside it (default: baseDir, as a run's default). */
  workspaceRoot?: string;
}

const ROLES: readonly IdxRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const KIND: Record<IdxRole, 'images' | 'labels'> = { trainImages: 'images', trainLabels: 'labels', testImages: 'images', testLabels: 'labels' };

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Split {
  /** Images the file holds. */
  inFile: number;
  /** Images a run loads (the limit applied). */
  used: number;
  height: number;
  width: number;
}

/** Problems with the dataset, located at the key to change; empty when a run would get going. */
export function datasetIssues(x: ResolvedExperiment, access: DatasetAccess): Issue[] {
  const issues: Issue[] = [];
  if (x.data.dataset === 'mvtec' || x.data.dataset === 'folder') return imageFolderIssues(x, access);
  const error = (segs: Seg[], message: string) => issues.push({ segs, anchor: 'value', message, severity: 'error' });
  const fileKey = (role: IdxRole): Seg[] => (x.data.dataset === 'idx' ? ['data', 'files', role] : ['data', 'dataset']);
  let files: ResolvedIdxFiles;
  try {
    files = access.reader.locate(x.data, access.baseDir);
  } catch (err) {
    error(x.data.dataset === 'idx' ? ['data', 'files'] : ['data', 'dataset'], messageOf(err));
    return issues;
  }
  const dims: Partial<Record<IdxRole, number[]>> = {};
  for (const role of ROLES) {
    try {
      dims[role] = access.reader.header(files[role], KIND[role]);
    } catch (err) {
      error(fileKey(role), messageOf(err));
    }
  }
  if (issues.length > 0) return issues;

  const split = (images: IdxRole, labels: IdxRole, limit: number | undefined): Split | undefined => {
    const [inFile, height, width] = dims[images] as number[];
    const labelCount = (dims[labels] as number[])[0];
    if (height === 0 || width === 0) error(fileKey(images), `${files[images]}: images are ${height}x${width} pixels: expected at least 1x1`);
    else if (inFile === 0) error(fileKey(images), `${files[images]} holds no images`);
    else if (labelCount !== inFile) error(fileKey(labels), `${files[images]} holds ${inFile} images but ${files[labels]} holds ${labelCount} labels: the counts must match`);
    else return { inFile, used: Math.min(inFile, limit ?? inFile), height, width };
    return undefined;
  };
  const train = split('trainImages', 'trainLabels', x.data.trainLimit);
  const test = split('testImages', 'testLabels', x.data.testLimit);
  if (!train || !test) return issues;
  if (train.width !== test.width || train.height !== test.height) {
    error(fileKey('testImages'), `training images are ${train.height}x${train.width} (${files.trainImages}) but test images are ${test.height}x${test.width} (${files.testImages}): they must be the same size`);
    return issues;
  }
  issues.push(...imageSizeIssues(x, train.width, train.height));
  issues.push(...trainingSetIssues(x, train, files, access.reader));
  issues.push(...testSetIssues(x, test, files, access.reader));
  issues.push(...mixtureIssues(x, test.used));
  return issues;
}

type Planned = ReturnType<typeof planImageFolders>;
/**
 * Plans per access (one `aelab validate` of a file, one check in the editor): a sweep's points
 * that share the data section and seed are listed and read once, not once per point.
 */
const plansByAccess = new WeakMap<DatasetAccess, Map<string, Planned>>();

/** The problems the engine's loader would raise first (the same plan), then the image size against the model. */
function imageFolderIssues(x: ResolvedExperiment, access: DatasetAccess): Issue[] {
  const plans = plansByAccess.get(access) ?? new Map<string, Planned>();
  plansByAccess.set(access, plans);
  const cacheKey = JSON.stringify([x.data, x.seed]);
  let planned = plans.get(cacheKey);
  if (!planned) {
    try {
      planned = planImageFolders(x.data, access.baseDir, { workspaceRoot: access.workspaceRoot ?? access.baseDir, seed: x.seed }, access.reader.folders);
    } catch (err) {
      return [{ segs: ['data'], anchor: 'mapping', severity: 'error', message: `image folders: ${messageOf(err)}` }];
    }
    plans.set(cacheKey, planned);
  }
  const issues: Issue[] = planned.problems.map((p) => ({ segs: [...p.key], anchor: p.key.length > 1 ? 'value' : 'mapping', severity: 'error', message: p.message }));
  const size = planned.plan?.size;
  if (issues.length === 0 && size) issues.push(...imageSizeIssues(x, size[1], size[0]));
  if (issues.length === 0 && planned.plan) issues.push(...mixtureIssues(x, planned.plan.test.length));
  return issues;
}

/** The chosen mixture threshold is fitted to the test scores: too few and the run could not choose it. */
function mixtureIssues(x: ResolvedExperiment, testCount: number): Issue[] {
  if (x.evaluation.threshold.strategy !== 'mixture' || testCount >= MIXTURE_MIN_SCORES) return [];
  return [{
    segs: ['evaluation', 'threshold', 'strategy'], anchor: 'value', severity: 'error',
    message: `evaluation.threshold.strategy mixture (the default when unset) is fitted to the test scores and needs at least ${MIXTURE_MIN_SCORES}, but the test set has ${testCount} image(s): test more images, or set another strategy`,
  }];
}

function imageSizeIssues(x: ResolvedExperiment, width: number, height: number): Issue[] {
  const issues: Issue[] = [];
  const size = `${width}x${height}`;
  if (x.model.architecture === 'cnn' && (width % 4 !== 0 || height % 4 !== 0)) {
    issues.push({ segs: ['model', 'architecture'], anchor: 'value', severity: 'error', message: `the cnn architecture needs image sides divisible by 4 (two stride-2 convolutions), but the images are ${size}: use fcn-simple or fcn-deep` });
  }
  const small = width < SSIM_WINDOW_SIZE || height < SSIM_WINDOW_SIZE;
  const needs = `SSIM needs images of at least ${SSIM_WINDOW_SIZE}x${SSIM_WINDOW_SIZE} pixels (its window), but the images are ${size}`;
  if (small && x.training.loss !== 'mse') issues.push({ segs: ['training', 'loss'], anchor: 'value', severity: 'error', message: `training.loss ${x.training.loss}: ${needs}: use mse` });
  if (small && x.evaluation.score === 'ssim') issues.push({ segs: ['evaluation', 'score'], anchor: 'value', severity: 'error', message: `evaluation.score ssim: ${needs}: use mse` });
  return issues;
}

/** The engine trains on the normal-class images among the first `used`, minus a validation share of at least one. */
function trainingSetIssues(x: ResolvedExperiment, train: Split, files: ResolvedIdxFiles, reader: DatasetReader): Issue[] {
  const { normalClasses, validationSplit, trainLimit } = x.data;
  let candidates = train.used;
  if (normalClasses) {
    const normal = new Set<number>(normalClasses);
    let labels: Uint8Array;
    try {
      labels = reader.labels(files.trainLabels, train.used);
    } catch (err) {
      return [{ segs: x.data.dataset === 'idx' ? ['data', 'files', 'trainLabels'] : ['data', 'dataset'], anchor: 'value', severity: 'error', message: messageOf(err) }];
    }
    candidates = labels.reduce((n, label) => n + (normal.has(label) ? 1 : 0), 0);
    if (candidates === 0) {
      return [{ segs: ['data', 'normalClasses'], anchor: 'value', severity: 'error', message: `data.normalClasses [${normalClasses.join(', ')}] leaves no training images: none of the ${train.used} loaded has one of these labels` }];
    }
  }
  const validation = Math.max(1, Math.round(candidates * validationSplit));
  if (candidates - validation >= 1) return [];
  const segs: Seg[] = normalClasses ? ['data', 'normalClasses'] : trainLimit !== undefined ? ['data', 'trainLimit'] : ['data', 'validationSplit'];
  return [{ segs, anchor: 'value', severity: 'error', message: `only ${candidates} training image(s)${normalClasses ? ` of classes [${normalClasses.join(', ')}]` : ''}: not enough for a validation split of ${validationSplit} and at least one image to train on` }];
}

/** The test set needs both normal and anomalous images: the same seeded choice of corrupted images the engine makes. */
function testSetIssues(x: ResolvedExperiment, test: Split, files: ResolvedIdxFiles, reader: DatasetReader): Issue[] {
  const { normalClasses, testLimit } = x.data;
  const n = test.used;
  const corruptedCount = Math.round(n * x.corruption.fraction);
  let anomalies = corruptedCount;
  if (normalClasses) {
    let labels: Uint8Array;
    try {
      labels = reader.labels(files.testLabels, n);
    } catch (err) {
      return [{ segs: x.data.dataset === 'idx' ? ['data', 'files', 'testLabels'] : ['data', 'dataset'], anchor: 'value', severity: 'error', message: messageOf(err) }];
    }
    const corrupted = new Uint8Array(n);
    for (const i of rngFor(x.seed, 'test-corruption-choice').sample(n, corruptedCount)) corrupted[i] = 1;
    const normal = new Set<number>(normalClasses);
    anomalies = 0;
    for (let i = 0; i < n; i++) if (corrupted[i] || !normal.has(labels[i])) anomalies++;
  }
  if (anomalies > 0 && anomalies < n) return [];
  const at: Seg[] = testLimit !== undefined && testLimit < test.inFile ? ['data', 'testLimit'] : ['corruption', 'fraction'];
  const corrupts = `corruption.fraction ${x.corruption.fraction} of ${n} test image(s) corrupts ${corruptedCount}`;
  const message = anomalies === 0
    ? `the test set would have no anomalies: ${corrupts}${normalClasses ? ` and every test image has one of data.normalClasses` : ''} (raise the fraction${testLimit !== undefined ? ' or data.testLimit' : ''}${normalClasses ? ', or leave a class out of normalClasses' : ''})`
    : `every test image would be an anomaly: ${corrupts}${normalClasses ? ` and the rest are outside data.normalClasses` : ''}; AUROC needs normal test images too (lower the fraction${normalClasses ? ' or widen normalClasses' : ''})`;
  return [{ segs: at, anchor: 'value', severity: 'error', message }];
}
