// Writes a recorded run folder from deterministic synthetic data with the core run-folder
// writers: what the browser tests load. Scores are the real MSE between each stored input and
// reconstruction, so the grids, histograms and metrics agree with each other.
//   npx tsx test/browser/makeFixture.ts            -> test/fixtures/run-fixture (500 images)
//   npx tsx test/browser/makeFixture.ts DIR 10000  -> a larger run for timing
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyOverrides } from '../../src/core/config';
import { averagePrecision, confusionAt, meanByLabel, operatingPoint, rocAuc } from '../../src/core/metrics';
import { rngFor } from '../../src/core/rng';
import { appendMetrics, encodeTestImages, writeJsonAtomic, writeSamples, writeScores } from '../../src/core/runFolder';
import {
  RUN_FILES, RUN_FORMAT_VERSION, RunConfigFile, RunStatusFile, RunSummary, SampleEntry, SamplesHeader,
} from '../../src/core/runFormat';
import { chooseThreshold, computeThresholds } from '../../src/core/thresholds';

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'run-fixture');
const SIDE = 28;
const PIXELS = SIDE * SIDE;

export const FIXTURE_EXPERIMENT = `# Synthetic run for the panel tests.
name: fixture
seed: 7
data:
  dataset: mnist
  testLimit: 500
corruption:
  fraction: 0.1
  type: gaussian
  level: 0.2
model:
  architecture: cnn
training:
  loss: mse
  epochs: 12
  earlyStopping:
    patience: 3
evaluation:
  score: mse
  threshold:
    strategy: percentile
    percentile: 99
`;

export interface FixtureOptions {
  count: number;
  anomalyFraction?: number;
  seed?: number;
  runId?: string;
  experimentPath?: string;
  /** `--set` style overrides of the fixture experiment (a study fixture varies settings). */
  overrides?: string[];
}

/** A digit-like stroke image for class d: a ring, a bar or a cross, placed with some jitter. */
function drawDigit(out: Float32Array, d: number, rng: ReturnType<typeof rngFor>): void {
  const cx = 14 + (rng.next() - 0.5) * 4;
  const cy = 14 + (rng.next() - 0.5) * 4;
  const r = 6 + rng.next() * 3;
  const thick = 1.2 + rng.next() * 1.3;
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const dx = x - cx, dy = y - cy;
      let dist: number;
      if (d % 3 === 0) dist = Math.abs(Math.hypot(dx, dy) - r);
      else if (d % 3 === 1) dist = Math.abs(dx - (dy * (d - 4)) / 10) + Math.max(0, Math.abs(dy) - r);
      else dist = Math.min(Math.abs(dx) + Math.max(0, Math.abs(dy) - r), Math.abs(dy) + Math.max(0, Math.abs(dx) - r));
      out[y * SIDE + x] = Math.max(0, Math.min(1, 1.2 - dist / thick));
    }
  }
}

function blur(src: Float32Array, dst: Float32Array): void {
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let sum = 0, n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= SIDE || xx < 0 || xx >= SIDE) continue;
          sum += src[yy * SIDE + xx];
          n++;
        }
      }
      dst[y * SIDE + x] = sum / n;
    }
  }
}

const q = (v: number) => (v <= 0 ? 0 : v >= 1 ? 1 : Math.round(v * 255) / 255);

interface Synthetic {
  original: Float32Array;
  input: Float32Array;
  reconstruction: Float32Array;
  scores: Float32Array;
  labels: Uint8Array;
  classes: Uint8Array;
}

function synthesize(count: number, anomalyFraction: number, seed: number, stream: string): Synthetic {
  const rng = rngFor(seed, stream);
  const original = new Float32Array(count * PIXELS);
  const input = new Float32Array(count * PIXELS);
  const reconstruction = new Float32Array(count * PIXELS);
  const scores = new Float32Array(count);
  const labels = new Uint8Array(count);
  const classes = new Uint8Array(count);
  const anomalies = new Set(rng.sample(count, Math.round(count * anomalyFraction)));
  const o = new Float32Array(PIXELS), inp = new Float32Array(PIXELS), mix = new Float32Array(PIXELS), rec = new Float32Array(PIXELS);
  for (let i = 0; i < count; i++) {
    const digit = rng.int(10);
    classes[i] = digit;
    drawDigit(o, digit, rng);
    const anomalous = anomalies.has(i);
    labels[i] = anomalous ? 1 : 0;
    // Noise strength varies, so weak anomalies overlap the normals (false negatives exist).
    const sigma = anomalous ? 0.04 + rng.next() * 0.3 : 0;
    for (let k = 0; k < PIXELS; k++) inp[k] = q(o[k] + (sigma ? sigma * rng.normal() : 0));
    for (let k = 0; k < PIXELS; k++) mix[k] = 0.75 * o[k] + 0.25 * inp[k];
    blur(mix, rec);
    let se = 0;
    for (let k = 0; k < PIXELS; k++) {
      const oq = q(o[k]), rq = q(rec[k]);
      original[i * PIXELS + k] = oq;
      input[i * PIXELS + k] = inp[k];
      reconstruction[i * PIXELS + k] = rq;
      se += (inp[k] - rq) ** 2;
    }
    scores[i] = se / PIXELS;
  }
  return { original, input, reconstruction, scores, labels, classes };
}

/** Writes a completed run folder; returns its path. */
export function writeRunFixture(dir: string, options: FixtureOptions): string {
  const { count, anomalyFraction = 0.1, seed = 7, runId = '20260101-120000-f1x7' } = options;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const validation = applyOverrides(FIXTURE_EXPERIMENT.replace('testLimit: 500', `testLimit: ${count}`), 'fixture.aelab.yaml', options.overrides ?? []);
  if (!validation.ok || !validation.experiment) throw new Error(`fixture experiment invalid: ${JSON.stringify(validation.problems)}`);
  const experiment = validation.experiment;

  const startedAt = '2026-01-01T12:00:00.000Z';
  const status: RunStatusFile = { formatVersion: RUN_FORMAT_VERSION, runId, state: 'completed', startedAt, endedAt: '2026-01-01T12:01:30.000Z', epoch: 9, epochs: 12, lastLoss: 0.0118 };
  const config: RunConfigFile = {
    formatVersion: RUN_FORMAT_VERSION, runId, experimentName: experiment.name, experiment,
    versions: { aelab: '0.1.0', tfjs: '4.22.0', node: 'v20' }, backend: 'cpu',
  };
  if (options.experimentPath) config.experimentPath = options.experimentPath;
  writeJsonAtomic(path.join(dir, RUN_FILES.config), config);

  // Early stopping after epoch 9: validation loss bottoms out at epoch 6.
  const val = [0.060, 0.031, 0.021, 0.016, 0.0132, 0.0117, 0.0119, 0.0121, 0.0124];
  const scale = 1 + (seed - 7) * 0.04; // other seeds: other curves, so compared runs do not overlap
  val.forEach((v, i) => appendMetrics(dir, { epoch: i + 1, trainLoss: Number((v * scale * (1.15 - i * 0.03)).toFixed(5)), valLoss: Number((v * scale).toFixed(5)), seconds: 9.5 + (i % 3) * 0.4 }));

  const test = synthesize(count, anomalyFraction, seed, 'fixture-test');
  const validationSet = synthesize(Math.max(60, Math.round(count * 0.3)), 0, seed, 'fixture-validation');
  const images = encodeTestImages(count, PIXELS, test.original, test.input, test.reconstruction);
  writeScores(dir, {
    formatVersion: RUN_FORMAT_VERSION, count, score: 'mse', validationCount: validationSet.scores.length, hasClasses: true,
    images: { width: SIDE, height: SIDE, planes: ['original', 'input', 'reconstruction'] },
  }, test.scores, validationSet.scores, test.labels, test.classes, images);

  // samples.bin: 4 seeded picks per group, as the engine stores them.
  const rng = rngFor(seed, 'samples');
  const samples: SampleEntry[] = [];
  for (const group of ['normal', 'anomalous'] as const) {
    const members: number[] = [];
    for (let i = 0; i < count; i++) if ((test.labels[i] === 1) === (group === 'anomalous')) members.push(i);
    for (const p of rng.sample(members.length, 4)) samples.push({ index: members[p], group, label: test.classes[members[p]], score: test.scores[members[p]] });
  }
  const pixels = new Float32Array(samples.length * 4 * PIXELS);
  samples.forEach((s, k) => {
    const base = k * 4 * PIXELS;
    const at = (plane: Float32Array) => plane.subarray(s.index * PIXELS, (s.index + 1) * PIXELS);
    pixels.set(at(test.original), base);
    pixels.set(at(test.input), base + PIXELS);
    pixels.set(at(test.reconstruction), base + 2 * PIXELS);
    for (let k2 = 0; k2 < PIXELS; k2++) pixels[base + 3 * PIXELS + k2] = Math.abs(at(test.input)[k2] - at(test.reconstruction)[k2]);
  });
  const samplesHeader: SamplesHeader = { formatVersion: RUN_FORMAT_VERSION, width: SIDE, height: SIDE, planes: ['original', 'input', 'reconstruction', 'difference'], samples };
  writeSamples(dir, samplesHeader, pixels);

  const thresholds = computeThresholds(experiment.evaluation.threshold, validationSet.scores, test.scores, test.labels);
  const chosen = chooseThreshold(thresholds, experiment.evaluation.threshold.strategy);
  const point = operatingPoint(confusionAt(test.scores, test.labels, chosen.value), chosen.value);
  const means = meanByLabel(test.scores, test.labels);
  const summary: RunSummary = {
    formatVersion: RUN_FORMAT_VERSION, runId, experimentName: experiment.name, testCount: count, anomalyCount: point.tp + point.fn,
    auroc: rocAuc(test.scores, test.labels), averagePrecision: averagePrecision(test.scores, test.labels),
    meanScoreNormal: means.normal, meanScoreAnomalous: means.anomalous, scoreRatio: means.ratio,
    thresholds, chosen: chosen.strategy, operatingPoint: point,
    epochsRun: val.length, bestEpoch: 6, stoppedEarly: true, trainSeconds: 88.2, totalSeconds: 90.0, backend: 'cpu',
  };
  writeJsonAtomic(path.join(dir, RUN_FILES.summary), summary);
  writeJsonAtomic(path.join(dir, RUN_FILES.status), status);
  return dir;
}

if (require.main === module) {
  const dir = process.argv[2] ? path.resolve(process.argv[2]) : FIXTURE_DIR;
  const count = Number(process.argv[3] ?? 500);
  writeRunFixture(dir, { count });
  console.log(`wrote ${count} scored images to ${dir}`);
}
