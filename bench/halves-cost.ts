// What computing each one-thread step in two halves costs (train.ts halvesStep, which makes one
// thread give the bytes two threads give): steps per second of one whole-batch step against
// the two-halves step, interleaved in rounds so a busy machine slows both alike.
//
//   npx tsx bench/halves-cost.ts [--model cnn|fcn-simple] [--steps 40] [--rounds 5] [--batch 64]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedModelConfig, ResolvedTrainingConfig } from '../src/core/experiment.generated';
import { initBackend } from '../src/engine/backend';
import { splitBatch } from '../src/engine/dataParallel';
import { lossFunction } from '../src/engine/losses';
import { applyModel, buildModel } from '../src/engine/models';
import { makeOptimizer } from '../src/engine/optimizers';

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
  const batch = tf.randomUniform([n, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
  const whole = () => tf.tidy(() => { optimizer.minimize(() => loss(batch, applyModel(model, batch, true)), false, variables); });
  const halves = () => tf.tidy(() => {
    const s = splitBatch(n);
    const parts = [[0, s.main], [s.main, s.thread]].map(([from, rows]) => {
      const x = tf.slice(batch, [from, 0, 0, 0], [rows, 28, 28, 1]);
      return optimizer.computeGradients(() => tf.mul(loss(x, applyModel(model, x, true)), rows / n) as tf.Scalar, variables);
    });
    const summed: tf.NamedTensorMap = {};
    for (const v of variables) summed[v.name] = tf.add(parts[0].grads[v.name], parts[1].grads[v.name]);
    optimizer.applyGradients(summed);
    parts.forEach((p) => p.value.dataSync());
  });
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
