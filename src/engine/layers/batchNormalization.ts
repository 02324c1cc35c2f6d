// Batch normalisation over the last axis with the stock tfjs-layers BatchNormalization's weights
// (gamma, beta, moving_mean, moving_variance, in that order), semantics and defaults, but a
// training step of two kernels per layer (see kernels/batchNorm.ts) instead of ~60. Where those
// kernels are not registered (e.g. tfjs-node) it computes with the stock ops. Registered with
// tfjs serialization, so a saved model loads once this module has been imported.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL, type BatchNormTrainAttrs } from '../kernels/batchNorm';
import { findKernel } from '../kernels/registry';

/** tfjs-layers does not export LayerArgs from its index; the fields models.ts uses. */
interface LayerArgs {
  name?: string;
  trainable?: boolean;
  inputShape?: tfl.Shape;
}
type LayerVariable = tfl.LayerVariable;

export interface FastBatchNormalizationArgs extends LayerArgs {
  /** Moving averages keep `momentum` of their value each step (Keras semantics). Default 0.99. */
  momentum?: number;
  /** Default 1e-3, as tfjs-layers. */
  epsilon?: number;
}

function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`AelabBatchNormalization expects one input, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

export class FastBatchNormalization extends tfl.layers.Layer {
  static readonly className = 'AelabBatchNormalization';

  readonly momentum: number;
  readonly epsilon: number;
  private gamma?: LayerVariable;
  private beta?: LayerVariable;
  private movingMean?: LayerVariable;
  private movingVariance?: LayerVariable;

  constructor(args: FastBatchNormalizationArgs = {}) {
    super(args);
    this.supportsMasking = true;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`AelabBatchNormalization: the last axis must have a known size, got ${JSON.stringify(shape)}`);
    const one = (name: string, init: 'ones' | 'zeros', trainable: boolean) =>
      this.addWeight(name, [channels], 'float32', tfl.initializers[init](), undefined, trainable);
    this.gamma = one('gamma', 'ones', true);
    this.beta = one('beta', 'zeros', true);
    this.movingMean = one('moving_mean', 'zeros', false);
    this.movingVariance = one('moving_variance', 'ones', false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const { gamma, beta, movingMean, movingVariance } = this;
      if (!gamma || !beta || !movingMean || !movingVariance) throw new Error('AelabBatchNormalization: call before build');
      const x = oneTensor(inputs);
      if (kwargs.training !== true) {
        return tf.batchNorm(x, movingMean.read(), movingVariance.read(), beta.read(), gamma.read(), this.epsilon);
      }
      const channels = x.shape[x.rank - 1];
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, channels]);
      const fused = findKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend()) !== undefined
        && findKernel(BATCH_NORM_GRAD_KERNEL, tf.getBackend()) !== undefined && x.dtype === 'float32';
      const [y, newMean, newVariance] = fused
        ? this.trainFused(x2, gamma.read(), beta.read(), movingMean.read(), movingVariance.read())
        : this.trainStock(x2, gamma.read(), beta.read(), movingMean.read(), movingVariance.read());
      movingMean.write(newMean);
      movingVariance.write(newVariance);
      if (fused) tf.dispose([newMean, newVariance]);
      return x.rank === 2 ? y : tf.reshape(y, x.shape);
    });
  }

  /**
   * Training mode on the rows each thread of a two-thread data-parallel step holds (parts[0] the
   * main thread's, parts[1] the engine thread's), all on this thread: the batch statistics, the
   * moving averages, y, dx, dgamma and dbeta come out bit for bit as the two threads compute them
   * (kernels/batchNorm.ts, BatchNormPartsAttrs). Needs the fused kernels (wasm, cpu).
   */
  applyInParts(parts: tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const { gamma, beta, movingMean, movingVariance } = this;
      if (!gamma || !beta || !movingMean || !movingVariance) throw new Error('AelabBatchNormalization: call before build');
      if (findKernel(BATCH_NORM_TRAIN_KERNEL, tf.getBackend()) === undefined || findKernel(BATCH_NORM_GRAD_KERNEL, tf.getBackend()) === undefined) {
        throw new Error(`AelabBatchNormalization: training in parts needs its kernels, not registered on ${tf.getBackend()}`);
      }
      const channels = parts[0].shape[parts[0].rank - 1];
      const rows = parts.map((p) => p.size / channels);
      // Concat and split copy values; their gradients (split, concat) copy them back.
      const x = tf.concat(parts.map((p) => tf.reshape(p, [-1, channels])), 0);
      const [y, newMean, newVariance] = this.trainFused(x, gamma.read(), beta.read(), movingMean.read(), movingVariance.read(), rows);
      movingMean.write(newMean);
      movingVariance.write(newVariance);
      tf.dispose([newMean, newVariance]);
      return tf.split(y, rows, 0).map((part, i) => tf.reshape(part, parts[i].shape));
    });
  }

  /**
   * One kernel forward, one backward; the moving averages come out of the forward kernel. With
   * `parts`, x holds the rows of each thread of a data-parallel step (see applyInParts).
   */
  private trainFused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, movingMean: tf.Tensor, movingVariance: tf.Tensor, parts?: number[]): tf.Tensor[] {
    const attrs: BatchNormTrainAttrs = { epsilon: this.epsilon, momentum: this.momentum, ...(parts ? { parts } : {}) };
    const gradAttrs: tf.NamedAttrMap = parts ? { parts } : {};
    let moving: tf.Tensor[] = [];
    const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [xx, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
      const [y, mean, invStd, newMean, newVariance] = tf.engine().runKernel(
        BATCH_NORM_TRAIN_KERNEL, { x: xx, gamma: g, beta: b, movingMean, movingVariance }, { ...attrs },
      ) as tf.Tensor[];
      // customGrad runs this in a tidy that would dispose all but y; the caller disposes these.
      moving = [tf.keep(newMean), tf.keep(newVariance)];
      save([xx, mean, invStd, g]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sx, sMean, sInvStd, sGamma] = saved;
          return tf.engine().runKernel(BATCH_NORM_GRAD_KERNEL, { dy, x: sx, mean: sMean, invStd: sInvStd, gamma: sGamma }, gradAttrs) as tf.Tensor[];
        },
      };
    });
    const y = op(x, gamma, beta);
    return [y, ...moving];
  }

  /** The stock layer's ops (tfjs-layers' normalizeBatchInTraining and doMovingAverage). */
  private trainStock(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, movingMean: tf.Tensor, movingVariance: tf.Tensor): tf.Tensor[] {
    const { mean, variance } = tf.moments(x, [0]);
    const y = tf.batchNorm(x, mean, variance, beta, gamma, this.epsilon);
    const decay = 1 - this.momentum;
    const average = (moving: tf.Tensor, value: tf.Tensor) => tf.sub(moving, tf.mul(tf.sub(moving, value), decay));
    return [y, average(movingMean, mean), average(movingVariance, variance)];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(FastBatchNormalization);

export function fastBatchNormalization(args: FastBatchNormalizationArgs): FastBatchNormalization {
  return new FastBatchNormalization(args);
}
