// Training-mode batch normalisation in two kernels, for wasm and cpu. The stock layer spends ~60
// small kernels per layer and step (moments, FusedBatchNorm, its gradient through Tile / Sum /
// Multiply, the moving-average updates, Reshape / Identity): ~4 ms of fcn-deep's step on wasm,
// mostly per-call overhead. Here the forward pass (batch moments, normalise, scale, shift and the
// new moving averages) is one kernel and the backward pass (dx, dgamma, dbeta) another. On wasm
// the passes over [n, c] are SIMD loops on the heap (batchNormSimd.ts) when c is a multiple of 4,
// with the per-channel arithmetic in JS over heap views; elsewhere (cpu, odd c) JS loops.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, input, type KernelArgs, type PatchedBackendName } from './registry';
import { opsFor, type RawOps } from './rawOps';
import { batchNormSimd } from './batchNormSimd';
import { heapOffset } from './simd';

export const BATCH_NORM_TRAIN_KERNEL = 'AelabBatchNormTrain';
export const BATCH_NORM_GRAD_KERNEL = 'AelabBatchNormGrad';

export interface BatchNormTrainAttrs {
  epsilon: number;
  /** Moving averages keep `momentum` of their value (Keras semantics). */
  momentum: number;
}

function channelsOf(x: TensorInfo, kernelName: string): [number, number] {
  if (x.shape.length !== 2) throw new Error(`${kernelName}: expects x of rank 2 [n, channels], got [${x.shape}]`);
  if (x.dtype !== 'float32') throw new Error(`${kernelName}: float32 only, got ${x.dtype}`);
  return [x.shape[0], x.shape[1]];
}

/**
 * Inputs x [n, c], gamma, beta, movingMean, movingVariance [c]. Outputs y [n, c], then [c]: batch
 * mean, 1 / sqrt(biased batch variance + epsilon) (kept for the gradient), new moving mean and new
 * moving variance (moving - (moving - batch) * (1 - momentum), as tfjs-layers computes it).
 */
function batchNormTrain(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const name = BATCH_NORM_TRAIN_KERNEL;
  const ops = opsFor(backendName, args.backend);
  const attrs = args.attrs as unknown as BatchNormTrainAttrs;
  const xi = input(args.inputs, 'x', name);
  const [n, c] = channelsOf(xi, name);
  const ins = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => input(args.inputs, k, name));
  const y = ops.alloc([n, c]);
  const outs = [0, 1, 2, 3].map(() => ops.alloc([c]));
  if (backendName === 'wasm' && c % 4 === 0) {
    trainSimd(ops, args.backend as BackendWasm, attrs, xi, ins, y, outs, n, c);
    return [y, ...outs];
  }
  // Views after the last allocation (a growing wasm heap detaches older ones).
  const x = ops.f32(xi);
  const [gamma, beta, movingMean, movingVariance] = ins.map((t) => ops.f32(t));
  const yv = ops.f32(y);
  const [meanOut, invStdOut, newMean, newVariance] = outs.map((t) => ops.f32(t));
  const f = Math.fround;
  const sum = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) sum[j] += x[row + j];
  }
  for (let j = 0; j < c; j++) meanOut[j] = f(sum[j] / n);
  sum.fill(0);
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) {
      const d = x[row + j] - meanOut[j];
      sum[j] += d * d;
    }
  }
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  const decay = f(1 - attrs.momentum);
  for (let j = 0; j < c; j++) {
    const variance = f(sum[j] / n);
    const invStd = f(1 / Math.sqrt(variance + attrs.epsilon));
    invStdOut[j] = invStd;
    scale[j] = invStd * gamma[j];
    shift[j] = beta[j] - meanOut[j] * scale[j];
    newMean[j] = f(movingMean[j] - f(f(movingMean[j] - meanOut[j]) * decay));
    newVariance[j] = f(movingVariance[j] - f(f(movingVariance[j] - variance) * decay));
  }
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) yv[row + j] = x[row + j] * scale[j] + shift[j];
  }
  return [y, ...outs];
}

/**
 * Inputs dy, x [n, c], mean, invStd (the forward kernel's), gamma [c]. Outputs dx [n, c], dgamma,
 * dbeta [c]; dx includes the paths through the batch mean and variance:
 * dx = gamma invStd / n (n dy - dbeta - xhat dgamma), xhat = (x - mean) invStd.
 */
function batchNormGrad(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const name = BATCH_NORM_GRAD_KERNEL;
  const ops = opsFor(backendName, args.backend);
  const xi = input(args.inputs, 'x', name);
  const [n, c] = channelsOf(xi, name);
  const ins = ['dy', 'mean', 'invStd', 'gamma'].map((k) => input(args.inputs, k, name));
  const dxi = ops.alloc([n, c]);
  const dgi = ops.alloc([c]);
  const dbi = ops.alloc([c]);
  if (backendName === 'wasm' && c % 4 === 0) {
    gradSimd(ops, args.backend as BackendWasm, xi, ins, dxi, dgi, dbi, n, c);
    return [dxi, dgi, dbi];
  }
  const x = ops.f32(xi);
  const [dy, mean, invStd, gamma] = ins.map((t) => ops.f32(t));
  const dx = ops.f32(dxi);
  const dgamma = ops.f32(dgi);
  const dbeta = ops.f32(dbi);
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) {
      const g = dy[row + j];
      sumDy[j] += g;
      sumDyXc[j] += g * (x[row + j] - mean[j]);
    }
  }
  // dx = a dy + b (x - mean) + d per channel.
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const d = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const s = invStd[j];
    const dg = sumDyXc[j] * s;
    dgamma[j] = dg;
    dbeta[j] = sumDy[j];
    a[j] = gamma[j] * s;
    b[j] = -a[j] * s * dg / n;
    d[j] = -a[j] * sumDy[j] / n;
  }
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) dx[row + j] = a[j] * dy[row + j] + b[j] * (x[row + j] - mean[j]) + d[j];
  }
  return [dxi, dgi, dbi];
}

/** The forward kernel's wasm path: two SIMD passes (moments, normalise) and c-sized JS in between. */
function trainSimd(
  ops: RawOps, backend: BackendWasm, attrs: BatchNormTrainAttrs, xi: TensorInfo, ins: TensorInfo[], y: TensorInfo, outs: TensorInfo[], n: number, c: number,
): void {
  const [gammaI, betaI, movingMeanI, movingVarianceI] = ins;
  const [meanI, invStdI, newMeanI, newVarianceI] = outs;
  const scaleI = ops.alloc([c]);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const simd = batchNormSimd(backend);
  // The batch variance goes into newVariance's slot first and is replaced by the moving average.
  simd.bnStats(at(xi), at(meanI), at(newVarianceI), n, c, n);
  const [gamma, movingMean, movingVariance, mean, invStdOut, newMean, newVariance, scale] =
    [gammaI, movingMeanI, movingVarianceI, meanI, invStdI, newMeanI, newVarianceI, scaleI].map((t) => ops.f32(t));
  const f = Math.fround;
  const decay = f(1 - attrs.momentum);
  for (let j = 0; j < c; j++) {
    const variance = newVariance[j];
    const invStd = f(1 / Math.sqrt(variance + attrs.epsilon));
    invStdOut[j] = invStd;
    scale[j] = invStd * gamma[j];
    newMean[j] = f(movingMean[j] - f(f(movingMean[j] - mean[j]) * decay));
    newVariance[j] = f(movingVariance[j] - f(f(movingVariance[j] - variance) * decay));
  }
  simd.bnAffine(at(xi), at(meanI), at(scaleI), at(betaI), at(y), n, c);
  ops.dispose(scaleI);
}

/** The backward kernel's wasm path: two SIMD passes (column sums, dx) and c-sized JS in between. */
function gradSimd(
  ops: RawOps, backend: BackendWasm, xi: TensorInfo, ins: TensorInfo[], dxi: TensorInfo, dgi: TensorInfo, dbi: TensorInfo, n: number, c: number,
): void {
  const [dyI, meanI, invStdI, gammaI] = ins;
  const coefI = ops.alloc([3 * c]);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const simd = batchNormSimd(backend);
  simd.bnGradSums(at(dyI), at(xi), at(meanI), at(dbi), at(dgi), n, c);
  const [invStd, gamma, dgamma, dbeta, coef] = [invStdI, gammaI, dgi, dbi, coefI].map((t) => ops.f32(t));
  for (let j = 0; j < c; j++) {
    const s = invStd[j];
    const dg = Math.fround(dgamma[j] * s);
    dgamma[j] = dg;
    const a = gamma[j] * s;
    coef[j] = a;
    coef[c + j] = -a * s * dg / n;
    coef[2 * c + j] = -a * dbeta[j] / n;
  }
  const base = at(coefI);
  simd.bnGradDx(at(dyI), at(xi), at(meanI), base, base + 4 * c, base + 8 * c, at(dxi), n, c);
  ops.dispose(coefI);
}

export function batchNormTrainConfig(backendName: PatchedBackendName): KernelConfig {
  return { kernelName: BATCH_NORM_TRAIN_KERNEL, backendName, kernelFunc: asKernelFunc((args) => batchNormTrain(backendName, args)) };
}

export function batchNormGradConfig(backendName: PatchedBackendName): KernelConfig {
  return { kernelName: BATCH_NORM_GRAD_KERNEL, backendName, kernelFunc: asKernelFunc((args) => batchNormGrad(backendName, args)) };
}

