// The optimizers a training config names, built the same way in every thread (data-parallel
// training applies identical updates in both, so the model copies stay identical).
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedTrainingConfig } from '../core/experiment.generated';
import { assertNever } from '../core/protocol';
import { createAdam } from './kernels';

export function makeOptimizer(cfg: ResolvedTrainingConfig): { optimizer: tf.Optimizer; disposeOptimizer: () => void } {
  const plain = (optimizer: tf.Optimizer) => ({ optimizer, disposeOptimizer: () => optimizer.dispose() });
  switch (cfg.optimizer) {
    // One fused kernel call per step on wasm/cpu; the stock ops elsewhere (bit-identical weights).
    case 'adam': return plain(createAdam(cfg.learningRate));
    case 'sgd': {
      if (cfg.momentum === 0) return plain(tf.train.sgd(cfg.learningRate));
      const optimizer = tf.train.momentum(cfg.learningRate, cfg.momentum);
      return {
        optimizer,
        disposeOptimizer: () => {
          optimizer.dispose();
          // MomentumOptimizer.dispose (tfjs 4.22) skips its SGD base's, leaking the learning-rate scalar.
          tf.SGDOptimizer.prototype.dispose.call(optimizer);
        },
      };
    }
    default: return assertNever(cfg.optimizer, 'optimizer');
  }
}
