// Adam in one pass per variable. tfjs-core's AdamOptimizer spends 13 kernels per variable per
// step (each allocating and walking a full-size tensor): about 20% of a dense-model training step
// on wasm. The `AelabAdam` kernel reads value, m, v and the gradient once and writes the three new
// tensors, with the same float32 results; `FusedAdamOptimizer` is tfjs's AdamOptimizer (same
// state, names and serialisation) using that kernel where it is registered (wasm, cpu) and the
// stock ops elsewhere.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedTensorMap, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, findKernel, input, type KernelArgs, type PatchedBackendName } from './registry';
import { opsFor } from './rawOps';
import { heapOffset, simdKernels } from './simd';

export const ADAM_KERNEL = 'AelabAdam';

/** tfjs-core does not export its NamedTensor ({ name, tensor }); it is what getWeights returns. */
type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

export interface AdamKernelAttrs {
  /** Number of variables in the call. */
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 - beta1^t and 1 - beta2^t for this step t (1-based). */
  biasCorrection1: number;
  biasCorrection2: number;
}

/** Each constant as the float32 scalar tensor tfjs's AdamOptimizer would make of it. */
function float32Constants(a: AdamKernelAttrs) {
  const f = Math.fround;
  return {
    b1: f(a.beta1), ob1: f(1 - a.beta1), b2: f(a.beta2), ob2: f(1 - a.beta2),
    c1: f(a.biasCorrection1), c2: f(a.biasCorrection2), eps: f(a.epsilon), negLr: f(-a.learningRate),
  };
}

/**
 * m' = m b1 + g (1 - b1);  v' = v b2 + g^2 (1 - b2);  w' = ((m' / c1) / (sqrt(v' / c2) + eps)) (-lr) + w,
 * each operation rounded to float32 in tfjs's order, so the results equal the stock optimizer's.
 * (The cpu backend's path; wasm runs the same in wasm SIMD, see simd.ts.)
 */
export function adamUpdateInto(
  w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, a: AdamKernelAttrs,
  wOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const f = Math.fround;
  const { b1, ob1, b2, ob2, c1, c2, eps, negLr } = float32Constants(a);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * b1) + f(gi * ob1));
    const vi = f(f(v[i] * b2) + f(f(gi * gi) * ob2));
    mOut[i] = mi;
    vOut[i] = vi;
    const denominator = f(f(Math.sqrt(f(vi / c2))) + eps);
    wOut[i] = f(f(f(f(mi / c1) / denominator) * negLr) + w[i]);
  }
}

/**
 * Inputs value<i>, m<i>, v<i>, gradient<i> for i < attrs.count (every variable of a step in ONE
 * kernel call: the engine's per-call cost, ~25 us, was more than the update of a small variable);
 * outputs new value, m, v per variable, in that order.
 */
function adamKernel(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const ops = opsFor(backendName, args.backend);
  // Our own attribute bag (set by FusedAdamOptimizer below).
  const attrs = args.attrs as unknown as AdamKernelAttrs;
  const k = float32Constants(attrs);
  const outputs: TensorInfo[] = [];
  for (let i = 0; i < attrs.count; i++) {
    const value = input(args.inputs, `value${i}`, ADAM_KERNEL);
    const m = input(args.inputs, `m${i}`, ADAM_KERNEL);
    const v = input(args.inputs, `v${i}`, ADAM_KERNEL);
    const gradient = input(args.inputs, `gradient${i}`, ADAM_KERNEL);
    const size = tf.util.sizeFromShape(value.shape);
    for (const [name, t] of [['m', m], ['v', v], ['gradient', gradient]] as const) {
      if (tf.util.sizeFromShape(t.shape) !== size) throw new Error(`${ADAM_KERNEL}: ${name}${i} has shape [${t.shape}], the variable [${value.shape}]`);
    }
    for (const t of [value, m, v, gradient]) if (t.dtype !== 'float32') throw new Error(`${ADAM_KERNEL}: float32 only, got ${t.dtype}`);
    const wOut = ops.alloc([...value.shape]);
    const mOut = ops.alloc([...value.shape]);
    const vOut = ops.alloc([...value.shape]);
    if (backendName === 'wasm') {
      // Kernels registered for 'wasm' are only ever called with the BackendWasm instance. Heap
      // offsets stay valid when the heap grows (views would not).
      const backend = args.backend as BackendWasm;
      const at = (t: TensorInfo) => heapOffset(backend, t);
      simdKernels(backend).adam(at(value), at(m), at(v), at(gradient), at(wOut), at(mOut), at(vOut), size,
        k.b1, k.ob1, k.b2, k.ob2, k.c1, k.c2, k.eps, k.negLr);
    } else {
      adamUpdateInto(ops.f32(value), ops.f32(m), ops.f32(v), ops.f32(gradient), attrs, ops.f32(wOut), ops.f32(mOut), ops.f32(vOut));
    }
    outputs.push(wOut, mOut, vOut);
  }
  return outputs;
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
 * weights (`<name>/m`, `<name>/v`, iterations), config and class name ('Adam').
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
      count: 0, learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon,
      biasCorrection1: Math.fround(1 - this.accBeta1), biasCorrection2: Math.fround(1 - this.accBeta2),
    };
    tf.tidy(() => {
      // Variables for the one kernel call, and their kernel inputs.
      const updated: Array<[tf.Variable, tf.Variable, tf.Variable]> = [];
      const inputs: NamedTensorMap = {};
      entries.forEach(([name, gradient], i) => {
        const value = tf.engine().registeredVariables[name];
        if (!value) throw new Error(`FusedAdamOptimizer: no variable named '${name}'`);
        this.firstMoments[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)) };
        this.secondMoments[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)) };
        if (gradient == null) return;
        const m = this.firstMoments[i].variable;
        const v = this.secondMoments[i].variable;
        if (fused && gradient.dtype === 'float32' && value.dtype === 'float32') {
          const j = updated.length;
          Object.assign(inputs, { [`value${j}`]: value, [`m${j}`]: m, [`v${j}`]: v, [`gradient${j}`]: gradient });
          updated.push([value, m, v]);
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
      if (updated.length === 0) return;
      const outputs = tf.engine().runKernel(ADAM_KERNEL, inputs, { ...attrs, count: updated.length }) as tf.Tensor[];
      updated.forEach(([value, m, v], j) => {
        value.assign(outputs[3 * j]);
        m.assign(outputs[3 * j + 1]);
        v.assign(outputs[3 * j + 2]);
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
