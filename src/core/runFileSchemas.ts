// The shape of each run file a reader relies on (docs/RUN-FORMAT.md), checked once when it is
// read so the CLI, the tree and the panels never meet `{}` where a summary should be. Pure: the
// webview-safe parts of core do not import this; the readers in runFolder.ts do.
import Ajv, { type ValidateFunction } from 'ajv';

// Metrics can be NaN (AUROC without anomalies), which JSON.stringify writes as null.
const metric = { type: ['number', 'null'] };
const count = { type: 'integer', minimum: 0 };
const text = { type: 'string' };
const object = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({ type: 'object', properties, required });

const statusSchema = object({
  runId: text, state: { enum: ['running', 'completed', 'cancelled', 'failed'] }, startedAt: text,
  endedAt: text, pid: count, pidStartTime: text, host: text, epoch: count, epochs: count, lastLoss: metric, error: text,
}, ['state']);

const operatingPointSchema = object({
  threshold: metric, tp: count, tn: count, fp: count, fn: count, precision: metric, recall: metric, f1: metric, accuracy: metric, fpr: metric,
});

const summarySchema = object({
  runId: text, experimentName: text, testCount: count, anomalyCount: count, auroc: metric, averagePrecision: metric,
  meanScoreNormal: metric, meanScoreAnomalous: metric, scoreRatio: metric,
  thresholds: { type: 'array', items: object({ strategy: text, value: metric, usesLabels: { type: 'boolean' }, description: text }) },
  chosen: text, operatingPoint: operatingPointSchema, epochsRun: count, bestEpoch: count, stoppedEarly: { type: 'boolean' },
  trainSeconds: metric, totalSeconds: metric, backend: text, trainingThreads: count, peakMemoryMB: metric,
}, ['auroc', 'averagePrecision', 'meanScoreNormal', 'meanScoreAnomalous', 'scoreRatio', 'thresholds', 'chosen', 'operatingPoint',
  'testCount', 'anomalyCount', 'epochsRun', 'bestEpoch', 'stoppedEarly', 'trainSeconds', 'totalSeconds', 'backend']);

// Only the parts of the resolved experiment that readers show; the rest is the schema's business.
const configSchema = object({
  runId: text, experimentName: text, experimentPath: text,
  experiment: object({
    name: text, data: { type: 'object' }, evaluation: { type: 'object' },
    model: object({ architecture: text }, ['architecture']),
    training: object({ loss: text, optimizer: text, learningRate: { type: 'number' }, epochs: count }, ['loss', 'optimizer', 'learningRate']),
    corruption: object({ type: text, level: { type: 'number' }, fraction: { type: 'number' } }, ['type', 'level', 'fraction']),
  }, ['name', 'data', 'evaluation', 'model', 'training', 'corruption']),
}, ['experiment']);

const metricsLineSchema = object({ epoch: { type: 'integer', minimum: 1 }, trainLoss: metric, valLoss: metric, seconds: metric });

const manualThresholdSchema = object({ value: { type: 'number' }, savedAt: text, experimentPath: text, operatingPoint: operatingPointSchema }, ['value', 'savedAt', 'operatingPoint']);

const SCHEMAS = {
  status: statusSchema, summary: summarySchema, config: configSchema, metricsLine: metricsLineSchema, manualThreshold: manualThresholdSchema,
} as const;
export type RunFileKind = keyof typeof SCHEMAS;

let compiled: Record<RunFileKind, ValidateFunction> | undefined;

/** Why `value` is not a valid `kind` run file ("operatingPoint must be object"), or undefined when it is. */
export function runFileProblem(kind: RunFileKind, value: unknown): string | undefined {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    compiled = Object.fromEntries(Object.entries(SCHEMAS).map(([k, schema]) => [k, ajv.compile(schema)])) as Record<RunFileKind, ValidateFunction>;
  }
  const validate = compiled[kind];
  if (validate(value)) return undefined;
  const e = validate.errors?.[0];
  if (!e) return 'wrong shape';
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'the file';
  return `${where} ${e.message ?? 'has the wrong shape'}`;
}
