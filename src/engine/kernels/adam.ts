// Adam in one pass per variable. tfjs-core's AdamOptimizer spends 13 kernels per variable per
// step (each allocating and walking a full-size tensor): about 20% of a dense-model training step
// on wasm. The `AelabAdam` kernel reads value, m, v and the gradient once and writes the three new
// tensors; `FusedAdamOptimizer` is tfjs's AdamOptimizer (same state, names and serialisation)
// using that kernel where it is registered (wasm, cpu) and the stock ops elsewhere.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, findKernel, input, type KernelArgs, type PatchedBackendName } from './registry';
import { opsFor } from './rawOps';

export const ADAM_KERNEL = 'AelabAdam';

/** tfjs-core does not export its NamedTensor ({ name, tensor }); it is what getWeights returns. */
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

export interface AdamKernelAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t for this step t (1-based). */
  biasCorrection1: number;
  biasCorrection2: number;
}

/**
 * m' = b1 m + (1 - b1) g;  v' = b2 v + (1 - b2) g^2;  w' = w - lr (m' / c1) / (sqrt(v' / c2) + eps).
 * Constants rounded to float32 as tfjs's scalar tensors are; arithmetic in float64, stored as float32.
 */
export function adamUpdateInto(
  w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, a: AdamKernelAttrs,
  wOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const f = Math.fround;
  const b1 = f(a.beta1);
  const b2 = f(a.beta2);
  const ob1 = f(1 - a.beta1);
  const ob2 = f(1 - a.beta2);
  const c1 = f(a.biasCorrection1);
  const c2 = f(a.biasCorrection2);
  const eps = f(a.epsilon);
  const lr = f(-a.learningRate);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = b1 * m[i] + ob1 * gi;
    const vi = b2 * v[i] + ob2 * (gi * gi);
    mOut[i] = mi;
    vOut[i] = vi;
    wOut[i] = w[i] + ((mi / c1) / (Math.sqrt(vi / c2) + eps)) * lr;
  }
}

function adamKernel(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const ops = opsFor(backendName, args.backend);
  const value = input(args.inputs, 'value', ADAM_KERNEL);
  const m = input(args.inputs, 'm', ADAM_KERNEL);
  const v = input(args.inputs, 'v', ADAM_KERNEL);
  const gradient = input(args.inputs, 'gradient', ADAM_KERNEL);
  const size = tf.util.sizeFromShape(value.shape);
  for (const [name, t] of [['m', m], ['v', v], ['gradient', gradient]] as const) {
    if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`${ADAM_KERNEL}: ${name} has shape [${t.shape}], the variable [${value.shape}]`);
  }
  for (const t of [value, m, v, gradient]) if (t.dtype !== 'float32') throw new Error(`${ADAM_KERNEL}: float32 only, got ${t.dtype}`);
  // Our own attribute bag (set by FusedAdamOptimizer below).
  const attrs = args.attrs as unknown as AdamKernelAttrs;
  const wOut = ops.alloc([...value.shape]);
  const mOut = ops.alloc([...value.shape]);
  const vOut = ops.alloc([...value.shape]);
  // Views after the last allocation: growing the wasm heap detaches older ones.
  adamUpdateInto(ops.f32(value), ops.f32(m), ops.f32(v), ops.f32(gradient), attrs, ops.f32(wOut), ops.f32(mOut), ops.f32(vOut));
  return [wOut, mOut, vOut];
}

export function adamKernelConfig(backendName: PatchedBackendName): KernelConfig {
  return { kernelName: ADAM_KERNEL, backendName, kernelFunc: asKernelFunc((args) => adamKernel(backendName, args)) };
}

interface MomentVariable {
  originalName: string;
  variable: tf.Variable;
}

/**
 * Drop-in for `tf.train.adam(learningRate, beta1, beta2, epsilon)`: same update, same optimizer
 * weights (`<name>/m`, `<name>/v`, iterations) and config, registered under the same class name.
 */
export class FusedAdamOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'Adam';
  }

  private readonly firstMoments: MomentVariable[] = [];
  private readonly secondMoments: MomentVariable[] = [];
  /** beta^t as float32, like the stock optimizer's scalar variables. */
  private accBeta1: number;
  private accBeta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    epsilon?: number,
  ) {
    super();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
    this.epsilon = epsilon ?? tf.backend().epsilon();
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const entries: Array<[string, tf.Tensor | undefined]> = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    const fused = findKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
    const attrs: AdamKernelAttrs = {
      learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      biasCorrection1: Math.fround(1 - this.accBeta1), biasCorrection2: Math.fround(1 - this.accBeta2),
    };
    tf.tidy(() => {
      entries.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name];
        if (!value) throw new Error(`FusedAdamOptimizer: no variable named '${name}'`);
        this.firstMoments[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)) };
        this.secondMoments[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)) };
        if (gradient == null) return;
        const m = this.firstMoments[i].variable;
        const v = this.secondMoments[i].variable;
        if (fused && gradient.dtype === 'float32' && value.dtype === 'float32') {
          const [w2, m2, v2] = tf.engine().runKernel(ADAM_KERNEL, { value, m, v, gradient }, { ...attrs }) as tf.Tensor[];
          m.assign(m2);
          v.assign(v2);
          value.assign(w2);
          return;
        }
        // The stock AdamOptimizer's ops, for backends without the kernel.
        const m2 = tf.add(tf.mul(m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const v2 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        const mHat = tf.div(m2, attrs.biasCorrection1);
        const vHat = tf.div(v2, attrs.biasCorrection2);
        m.assign(m2);
        v.assign(v2);
        value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), this.epsilon)), -this.learningRate), value));
      });
    });
    this.accBeta1 = Math.fround(this.accBeta1 * Math.fround(this.beta1));
    this.accBeta2 = Math.fround(this.accBeta2 * Math.fround(this.beta2));
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((mv) => mv.variable));
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.firstMoments, ...this.secondMoments];
    return [await this.saveIterations(), ...moments.map((mv) => ({ name: mv.originalName, tensor: mv.variable }))];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    this.accBeta1 = Math.fround(Math.pow(Math.fround(this.beta1), this.iterations_ + 1));
    this.accBeta2 = Math.fround(Math.pow(Math.fround(this.beta2), this.iterations_ + 1));
    const count = values.length / 2;
    tf.dispose([...this.firstMoments, ...this.secondMoments].map((mv) => mv.variable));
    this.firstMoments.length = 0;
    this.secondMoments.length = 0;
    for (const [i, w] of values.entries()) {
      (i < count ? this.firstMoments : this.secondMoments).push({ originalName: w.name, variable: tf.variable(w.tensor, false) });
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}

/** `tf.train.adam` with the one-pass update on wasm and cpu. */
export function createAdam(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.Optimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
