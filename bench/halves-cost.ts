// What computing each one-thread step in two halves costs (train.ts halvesStep, which makes one
// thread give the bytes two threads give): time of one whole-batch step against the two-halves
// step, interleaved in rounds so a busy machine slows both alike.
//
//   npx tsx bench/halves-cost.ts [--model cnn|fcn-simple|fcn-deep] [--steps 40] [--rounds 5] [--batch 64]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../src/core/experiment.generated';
import { initBackend } from '../src/engine/backend';
import { lossFunction } from '../src/engine/losses';
import { applyModel, buildModel } from '../src/engine/models';
import { makeOptimizer } from '../src/engine/optimizers';
import { halvesStep } from '../src/engine/train';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string', default: 'cnn' }, steps: { type: 'string', default: '40' }, rounds: { type: 'string', default: '5' }, batch: { type: 'string', default: '64' } } });
  await initBackend('wasm');
  const architecture = values.model as ResolvedModelConfig['architecture'];
  const model = buildModel({ architecture, latentSize: 16, bottleneckActivation: 'relu' }, 1);
  const cfg = { loss: 'mse', ssimWeight: 0.5, optimizer: 'adam', learningRate: 1e-3, momentum: 0, batchSize: 64, epochs: 1 } as ResolvedTrainingConfig;
  const { optimizer } = makeOptimizer(cfg);
  const loss = lossFunction(cfg);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = Number(values.batch);
  const pixels = 28 * 28;
  const images = (tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D);
  const buffer = images.dataSync() as Float32Array;
  images.dispose();
  // Both as the trainer runs them: a batch tensor from the buffer each step.
  const whole = () => {
    const batch = tf.tensor4d(buffer.subarray(0, n * pixels), [n, 28, 28, 1]);
    tf.tidy(() => { optimizer.minimize(() => loss(batch, applyModel(model, batch, true)), false, variables); });
    batch.dispose();
  };
  const halves = () => { halvesStep(model, optimizer, loss, variables, buffer, n, 28, 28, 1); };
  const time = (step: () => void) => {
    const start = performance.now();
    for (let i = 0; i < Number(values.steps); i++) step();
    return (performance.now() - start) / Number(values.steps);
  };
  whole(); halves();
  const ms = { whole: [] as number[], halves: [] as number[] };
  for (let r = 0; r < Number(values.rounds); r++) {
    ms.whole.push(time(whole));
    ms.halves.push(time(halves));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`${architecture} batch ${n}: whole ${median(ms.whole).toFixed(2)} ms/step, halves ${median(ms.halves).toFixed(2)} ms/step (x${(median(ms.halves) / median(ms.whole)).toFixed(2)}); rounds ${JSON.stringify(ms)}`);
}

main().catch((err) => { console.error(err); process.exit(1); });
