// `npm run bench`: seconds per epoch and images per second for each model on N real MNIST
// training images, plus scoring throughput on the test set, with backend and versions.
// Prints one JSON line per measurement, then a table. Options (env or flags):
//   --train N (default 10000)  --score N (default 10000)  --models fcn-simple,fcn-deep,cnn
//   --backend auto|wasm|cpu    --batch 64
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, tfjsVersion } from '../src/engine/backend';
import { loadDataset } from '../src/engine/datasets';
import { buildModel } from '../src/engine/models';
import { trainAutoencoder } from '../src/engine/train';
import { scoreImages } from '../src/engine/score';
import type { BackendPreference } from '../src/core/protocol';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../src/core/experiment.generated';

interface BenchRow {
  kind: 'train' | 'score';
  model: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  finalLoss?: number;
  peakRssMB: number;
  backend: string;
  tfjs: string;
  node: string;
  cpu: string;
  cores: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: '10000' },
      score: { type: 'string', default: '10000' },
      models: { type: 'string', default: 'fcn-simple,fcn-deep,cnn' },
      backend: { type: 'string', default: 'auto' },
      batch: { type: 'string', default: '64' },
    },
  });
  const trainN = Number(values.train);
  const scoreN = Number(values.score);
  const batchSize = Number(values.batch);
  const backend = await initBackend(values.backend as BackendPreference, { log: () => undefined });
  const dataset = await loadDataset({ dataset: 'mnist', validationSplit: 0.1, trainLimit: trainN, testLimit: scoreN }, process.cwd());
  const { width, height } = dataset;
  const env = { backend: backend.name, tfjs: tfjsVersion(), node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length };
  const rows: BenchRow[] = [];
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 100);
  const emit = (row: BenchRow) => { rows.push(row); console.log(JSON.stringify(row)); };

  for (const architecture of values.models.split(',') as ResolvedModelConfig['architecture'][]) {
    const model = buildModel({ architecture, latentSize: 16 }, 1);
    const training: ResolvedTrainingConfig = {
      loss: 'mse', ssimWeight: 0.5, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize, epochs: 1,
    };
    // A tiny validation slice: the benchmark measures training, not validation.
    const validationCount = 64;
    const t0 = performance.now();
    const result = await trainAutoencoder(model, {
      train: dataset.train.images, trainCount: dataset.train.count,
      validation: dataset.train.images.subarray(0, validationCount * width * height), validationCount, width, height,
    }, training, { seed: 1 });
    const trainSeconds = (performance.now() - t0) / 1000;
    emit({ kind: 'train', model: architecture, images: dataset.train.count, seconds: trainSeconds, imagesPerSecond: dataset.train.count / trainSeconds,
      finalLoss: result.history.at(-1)?.trainLoss, peakRssMB: Math.round(peakRss / 2 ** 20), ...env });
    const t1 = performance.now();
    scoreImages(model, dataset.test.images, dataset.test.count, width, height, 'mse');
    const scoreSeconds = (performance.now() - t1) / 1000;
    emit({ kind: 'score', model: architecture, images: dataset.test.count, seconds: scoreSeconds, imagesPerSecond: dataset.test.count / scoreSeconds,
      peakRssMB: Math.round(peakRss / 2 ** 20), ...env });
    model.dispose();
  }
  clearInterval(sampler);
  console.log(`\n${env.cpu} x${env.cores}, node ${env.node}, tfjs ${env.tfjs}, backend ${env.backend}, batch ${batchSize}`);
  console.log(['what', 'model', 'images', 'seconds', 'images/s', 'final loss', 'peak RSS MB'].join('\t'));
  for (const r of rows) console.log([r.kind, r.model, r.images, r.seconds.toFixed(2), r.imagesPerSecond.toFixed(0), r.finalLoss?.toFixed(5) ?? '', r.peakRssMB].join('\t'));
  tf.disposeVariables();
}

main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
