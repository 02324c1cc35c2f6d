// The autoencoder architectures. Factories only: nothing is built when this module loads.
// Every model maps [batch, height, width, channels] images in [0, 1] to reconstructions of the same shape
// (dense models flatten and reshape inside), ending in a sigmoid. Every initializer is seeded from
// the experiment seed, one derived seed per layer, so the same seed gives the same initial weights.
//
//   fcn-simple  784-128-64-latent (ReLU, tanh code) -> 64-128-784 (ReLU, sigmoid out)
//   fcn-deep    784-512-256-128-latent -> 128-256-512-784, each hidden/code dense -> batch norm ->
//               ReLU (tanh for the code); the dense layers before batch norm have no bias (batch
//               norm's beta takes its place), the output dense has one and no batch norm
//   cnn         Conv 16 3x3/2 -> Conv 32 3x3/2 (7x7x32) -> ConvT 16 3x3/2 -> ConvT 1 3x3/2 sigmoid;
//               with `bottleneck` set: Flatten -> Dense(bottleneck, bottleneckActivation) ->
//               Dense(7*7*32, ReLU) -> Reshape between encoder and decoder. A ReLU code (the
//               default) scored higher one-class AUROC than a linear one (docs/STUDY.md).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ResolvedModelConfig } from '../core/experiment.generated';
import { assertNever } from '../core/protocol';
import { deriveSeed } from '../core/rng';
import { FastBatchNormalization, fastBatchNormalization } from './layers/batchNormalization';

export interface ImageSize {
  width: number;
  height: number;
  /** Interleaved channels per pixel; 1 when absent. */
  channels?: number;
}

const MNIST_SIZE: ImageSize = { width: 28, height: 28 };

/**
 * Batch-norm moving averages keep 1 - momentum of each new batch. 0.9 (PyTorch's default)
 * rather than Keras' 0.99: runs here are a few hundred steps, and with 0.99 the inference-time
 * statistics would still lean on their initial values after the first epoch.
 */
const BATCH_NORM_MOMENTUM = 0.9;

type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';

/** Seeded initializers per layer: He for ReLU layers, Glorot for the rest (tanh, sigmoid, linear). */
class Initializers {
  constructor(private readonly seed: number) {}

  kernel(layerName: string, activation: Activation): ReturnType<typeof tfl.initializers.heNormal> {
    const seed = deriveSeed(this.seed, `init:${layerName}`);
    return activation === 'relu' ? tfl.initializers.heNormal({ seed }) : tfl.initializers.glorotUniform({ seed });
  }
}

function dense(init: Initializers, name: string, units: number, activation: Activation, useBias = true): tfl.layers.Layer {
  return tfl.layers.dense({ name, units, activation, useBias, kernelInitializer: init.kernel(name, activation), biasInitializer: 'zeros' });
}

/** dense (no bias) -> batch norm -> activation. */
function denseBatchNorm(init: Initializers, name: string, units: number, activation: Activation): tfl.layers.Layer[] {
  return [
    dense(init, name, units, 'linear', false),
    // Same weights and results as tfl.layers.batchNormalization, two kernels a training step instead of ~60.
    fastBatchNormalization({ name: `${name}_bn`, momentum: BATCH_NORM_MOMENTUM }),
    tfl.layers.activation({ name: `${name}_${activation}`, activation }),
  ];
}

/** [height, width, channels] of the images a model takes and returns. */
function imageShape(size: ImageSize): [number, number, number] {
  return [size.height, size.width, size.channels ?? 1];
}

/** Channels of the images a model takes (the last axis of its input). */
export function inputChannels(model: tfl.LayersModel): number {
  const channels = model.inputs[0].shape[3];
  return typeof channels === 'number' ? channels : 1;
}

function fcnSimple(init: Initializers, latent: number, size: ImageSize): tfl.layers.Layer[] {
  const pixels = size.width * size.height * (size.channels ?? 1);
  return [
    tfl.layers.flatten({ name: 'flatten', inputShape: imageShape(size) }),
    dense(init, 'enc_dense1', 128, 'relu'),
    dense(init, 'enc_dense2', 64, 'relu'),
    dense(init, 'code', latent, 'tanh'),
    dense(init, 'dec_dense1', 64, 'relu'),
    dense(init, 'dec_dense2', 128, 'relu'),
    dense(init, 'dec_out', pixels, 'sigmoid'),
    tfl.layers.reshape({ name: 'image', targetShape: imageShape(size) }),
  ];
}

function fcnDeep(init: Initializers, latent: number, size: ImageSize): tfl.layers.Layer[] {
  const pixels = size.width * size.height * (size.channels ?? 1);
  return [
    tfl.layers.flatten({ name: 'flatten', inputShape: imageShape(size) }),
    ...denseBatchNorm(init, 'enc_dense1', 512, 'relu'),
    ...denseBatchNorm(init, 'enc_dense2', 256, 'relu'),
    ...denseBatchNorm(init, 'enc_dense3', 128, 'relu'),
    ...denseBatchNorm(init, 'code', latent, 'tanh'),
    ...denseBatchNorm(init, 'dec_dense1', 128, 'relu'),
    ...denseBatchNorm(init, 'dec_dense2', 256, 'relu'),
    ...denseBatchNorm(init, 'dec_dense3', 512, 'relu'),
    dense(init, 'dec_out', pixels, 'sigmoid'),
    tfl.layers.reshape({ name: 'image', targetShape: imageShape(size) }),
  ];
}

/**
 * Why `architecture` cannot take images of `size`, or undefined when it can. The cnn's two
 * stride-2 'same' convolutions halve each side twice and the transposed ones double it back, so
 * only sides divisible by 4 come back the same size.
 */
export function architectureMismatch(architecture: ResolvedModelConfig['architecture'], size: ImageSize): string | undefined {
  if (architecture === 'cnn' && (size.width % 4 !== 0 || size.height % 4 !== 0)) {
    return `the cnn architecture needs image sides divisible by 4, but the images are ${size.height}x${size.width} (height x width); use fcn-simple or fcn-deep, or images of another size`;
  }
  return undefined;
}

function cnn(init: Initializers, bottleneck: number | undefined, codeActivation: Activation, size: ImageSize): tfl.layers.Layer[] {
  const mismatch = architectureMismatch('cnn', size);
  if (mismatch) throw new Error(mismatch);
  const codeShape: [number, number, number] = [size.height / 4, size.width / 4, 32];
  const conv = (name: string, filters: number, activation: Activation, first: boolean) => tfl.layers.conv2d({
    name, filters, kernelSize: 3, strides: 2, padding: 'same', activation,
    kernelInitializer: init.kernel(name, activation), biasInitializer: 'zeros',
    ...(first ? { inputShape: imageShape(size) } : {}),
  });
  const deconv = (name: string, filters: number, activation: Activation) => tfl.layers.conv2dTranspose({
    name, filters, kernelSize: 3, strides: 2, padding: 'same', activation,
    kernelInitializer: init.kernel(name, activation), biasInitializer: 'zeros',
  });
  const middle = bottleneck === undefined ? [] : [
    tfl.layers.flatten({ name: 'flatten' }),
    dense(init, 'code', bottleneck, codeActivation),
    dense(init, 'dec_dense', codeShape[0] * codeShape[1] * codeShape[2], 'relu'),
    tfl.layers.reshape({ name: 'dec_reshape', targetShape: codeShape }),
  ];
  return [
    conv('enc_conv1', 16, 'relu', true),
    conv('enc_conv2', 32, 'relu', false),
    ...middle,
    deconv('dec_deconv1', 16, 'relu'),
    deconv('dec_deconv2', size.channels ?? 1, 'sigmoid'),
  ];
}

/**
 * Builds the configured autoencoder with seeded initial weights. `size` defaults to MNIST's 28x28;
 * the cnn needs sides divisible by 4.
 */
export function buildModel(cfg: ResolvedModelConfig, seed: number, size: ImageSize = MNIST_SIZE): tfl.LayersModel {
  const init = new Initializers(seed);
  let layers: tfl.layers.Layer[];
  switch (cfg.architecture) {
    case 'fcn-simple': layers = fcnSimple(init, cfg.latentSize, size); break;
    case 'fcn-deep': layers = fcnDeep(init, cfg.latentSize, size); break;
    case 'cnn': layers = cnn(init, cfg.bottleneck, cfg.bottleneckActivation, size); break;
    default: return assertNever(cfg.architecture, 'architecture');
  }
  return tfl.sequential({ name: `aelab_${cfg.architecture.replace('-', '_')}`, layers });
}

/** Runs the model eagerly; `training` switches batch norm between batch and moving statistics. */
export function applyModel(model: tfl.LayersModel, x: tf.Tensor4D, training: boolean): tf.Tensor4D {
  const y = model.apply(x, { training });
  if (!(y instanceof tf.Tensor) || y.rank !== 4) throw new Error(`model ${model.name} did not return one rank-4 tensor`);
  return y as tf.Tensor4D;
}

/**
 * Runs the model in training mode on the rows each thread of a two-thread data-parallel step holds
 * (parts[0] the main thread's, parts[1] the engine thread's), on this thread, layer by layer: each
 * layer on each part alone, as each thread runs it, except batch norm, which normalises over all
 * parts together as the threads' synchronised batch norm does. Returns each part's output.
 */
export function applyModelInParts(model: tfl.LayersModel, parts: tf.Tensor4D[]): tf.Tensor4D[] {
  // Layer by layer in model.layers order is the model's computation only for a chain.
  if (!(model instanceof tfl.Sequential)) throw new Error(`model ${model.name}: training in parts needs a sequential model`);
  let values: tf.Tensor[] = parts;
  for (const layer of model.layers) {
    if (layer instanceof FastBatchNormalization) values = layer.applyInParts(values);
    else values = values.map((x) => layer.apply(x, { training: true }) as tf.Tensor);
  }
  if (values.some((y) => y.rank !== 4)) throw new Error(`model ${model.name} did not return rank-4 tensors`);
  return values as tf.Tensor4D[];
}

export interface ModelDescription {
  /** All weights, including batch norm's non-trainable moving mean and variance. */
  parameters: number;
  /** One line per layer: name, class, output shape, parameters. */
  layers: string[];
}

export function describeModel(model: tfl.LayersModel): ModelDescription {
  const layers = model.layers.map((layer) => {
    const shape = JSON.stringify(layer.outputShape).replace(/null/g, 'batch');
    return `${layer.name} ${layer.getClassName()} ${shape} ${layer.countParams()}`;
  });
  return { parameters: model.countParams(), layers };
}
