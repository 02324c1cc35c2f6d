// Training-mode batch normalisation in two kernels, for wasm and cpu. The stock layer spends ~60
// small kernels per layer and step (moments, FusedBatchNorm, its gradient through Tile / Sum /
// Multiply, the moving-average updates, Reshape / Identity): ~4 ms of fcn-deep's step on wasm,
// mostly per-call overhead. Here the forward pass (batch moments, normalise, scale, shift and the
// new moving averages) is one kernel and the backward pass (dx, dgamma, dbeta) another. On wasm
// the passes over [n, c] are SIMD loops on the heap (batchNormSimd.ts) when c is a multiple of 4,
// with the per-channel arithmetic in JS over heap views; elsewhere (cpu, odd c) JS loops.
// Synchronised mode (setBatchNormSync, for data-parallel training on several threads, each with
// some rows of every batch): the batch statistics and the sums dx needs are over all threads' rows.
// In parts (attrs.parts, for one thread replaying a two-thread step): one call holds every
// thread's rows, sums each part as its thread would and adds the parts' sums as the collective does.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, input, type KernelArgs, type PatchedBackendName } from './registry';
import { opsFor, type RawOps } from './rawOps';
import { batchNormSimd, type BatchNormSimd } from './batchNormSimd';
import { heapOffset } from './simd';

export const BATCH_NORM_TRAIN_KERNEL = 'AelabBatchNormTrain';
export const BATCH_NORM_GRAD_KERNEL = 'AelabBatchNormGrad';

/** The cross-thread sum the synchronised mode needs (thread/collective.ts's Collective is one). */
export interface BatchNormSync {
  /** In place: values becomes the sum over all threads, bit-identical in every thread. */
  allreduceSum(values: Float64Array): void;
}

let batchNormSync: BatchNormSync | undefined;

/**
 * Switches this thread's batch-norm kernels to synchronised mode (or back, with undefined). While
 * set, every AelabBatchNormTrain / AelabBatchNormGrad call is collective: all threads must run
 * them in the same order, each on its own rows n_local of the batch (n_local may differ, even be
 * 0). Forward: batch mean and biased variance over all N rows (two passes about the global mean,
 * summed in Float64), so y's normalisation and the new moving averages are the same everywhere.
 * Backward: each thread's dy must be the gradient of the whole-batch loss for its rows (scale the
 * local loss by n_local / N); dx uses the global sums and N, while the dgamma and dbeta outputs
 * stay this thread's sums (sum them over threads, as the other gradients, for the batch's).
 */
export function setBatchNormSync(sync: BatchNormSync | undefined): void {
  batchNormSync = sync;
}

/**
 * One allreduce of [count, ...parts]: each part (Float64, this thread's sums) becomes the sum over
 * all threads in place; returns the total count.
 */
function allreduceCounted(sync: BatchNormSync, count: number, ...parts: Float64Array[]): number {
  const buffer = new Float64Array(parts.reduce((total, p) => total + p.length, 1));
  buffer[0] = count;
  let at = 1;
  for (const p of parts) {
    buffer.set(p, at);
    at += p.length;
  }
  sync.allreduceSum(buffer);
  at = 1;
  for (const p of parts) {
    p.set(buffer.subarray(at, at + p.length));
    at += p.length;
  }
  return buffer[0];
}

/**
 * Rows per thread of a data-parallel step, in rank order, when one call holds them all (their sum
 * is x's rows): each part's sums are computed as that thread's kernel computes them and added as
 * the collective adds them, and the dgamma / dbeta outputs are the parts' outputs added as the
 * gradient exchange adds them (float32). So one thread gets two threads' bytes. Not with sync.
 */
export interface BatchNormPartsAttrs {
  parts?: number[];
}

export interface BatchNormTrainAttrs extends BatchNormPartsAttrs {
  epsilon: number;
  /** Moving averages keep `momentum` of their value (Keras semantics). */
  momentum: number;
}

/** The rows of each part of a call's n rows: [n] unless attrs.parts says otherwise. */
function partsOf(attrs: BatchNormPartsAttrs, n: number, kernelName: string): number[] {
  const parts = attrs.parts;
  if (parts === undefined) return [n];
  if (batchNormSync) throw new Error(`${kernelName}: parts and synchronised mode exclude each other`);
  if (parts.length < 1 || parts.some((rows) => !Number.isInteger(rows) || rows < 0) || parts.reduce((a, b) => a + b, 0) !== n) {
    throw new Error(`${kernelName}: parts [${parts}] must be non-negative row counts adding up to x's ${n} rows`);
  }
  return parts;
}

/**
 * The whole batch's sums from each part's (partials[part][k], Float64): synchronised (one part),
 * allreduced over the threads; in parts, added in part order into part 0's arrays, as the
 * collective adds ranks. Returns the whole batch's row count.
 */
function combineCounted(sync: BatchNormSync | undefined, parts: number[], partials: Float64Array[][]): number {
  if (sync) return allreduceCounted(sync, parts[0], ...partials[0]);
  addParts(partials);
  return parts.reduce((a, b) => a + b, 0);
}

/** combineCounted without the count. */
function combineSums(sync: BatchNormSync | undefined, partials: Float64Array[][]): void {
  if (sync) for (const values of partials[0]) sync.allreduceSum(values);
  else addParts(partials);
}

function addParts(partials: Float64Array[][]): void {
  const [first, ...rest] = partials;
  for (const part of rest) {
    first.forEach((sums, k) => {
      const add = part[k];
      for (let j = 0; j < sums.length; j++) sums[j] += add[j];
    });
  }
}

/** Float32 outputs of each part, added in part order in float32 (as the gradient exchange's tf.add). */
function addOutputs(out: Float32Array, perPart: Float32Array[]): void {
  out.set(perPart[0]);
  for (let p = 1; p < perPart.length; p++) {
    const add = perPart[p];
    for (let j = 0; j < out.length; j++) out[j] += add[j];
  }
}

function channelsOf(x: TensorInfo, kernelName: string): [number, number] {
  if (x.shape.length !== 2) throw new Error(`${kernelName}: expects x of rank 2 [n, channels], got [${x.shape}]`);
  if (x.dtype !== 'float32') throw new Error(`${kernelName}: float32 only, got ${x.dtype}`);
  return [x.shape[0], x.shape[1]];
}

/** The first row of each part. */
function partStarts(parts: number[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const rows of parts) {
    starts.push(at);
    at += rows;
  }
  return starts;
}

/**
 * Inputs x [n, c], gamma, beta, movingMean, movingVariance [c]. Outputs y [n, c], then [c]: batch
 * mean, 1 / sqrt(biased batch variance + epsilon) (kept for the gradient), new moving mean and new
 * moving variance (moving - (moving - batch) * (1 - momentum), as tfjs-layers computes it).
 * Synchronised, the batch is all threads' rows (see setBatchNormSync); in parts, see BatchNormPartsAttrs.
 */
function batchNormTrain(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const name = BATCH_NORM_TRAIN_KERNEL;
  const ops = opsFor(backendName, args.backend);
  const attrs = args.attrs as unknown as BatchNormTrainAttrs;
  const xi = input(args.inputs, 'x', name);
  const [n, c] = channelsOf(xi, name);
  const parts = partsOf(attrs, n, name);
  const ins = ['gamma', 'beta', 'movingMean', 'movingVariance'].map((k) => input(args.inputs, k, name));
  const y = ops.alloc([n, c]);
  const outs = [0, 1, 2, 3].map(() => ops.alloc([c]));
  try {
    if (backendName === 'wasm' && c % 4 === 0) trainSimd(ops, args.backend as BackendWasm, attrs, xi, ins, y, outs, parts, c, batchNormSync);
    else trainJs(ops, attrs, xi, ins, y, outs, parts, c, batchNormSync);
  } catch (err) {
    // E.g. the collective was aborted: free the outputs the engine will never see.
    ops.dispose(y, ...outs);
    throw err;
  }
  return [y, ...outs];
}

/** The forward kernel's JS path (cpu, or c not a multiple of 4). */
function trainJs(
  ops: RawOps, attrs: BatchNormTrainAttrs, xi: TensorInfo, ins: TensorInfo[], y: TensorInfo, outs: TensorInfo[], parts: number[], c: number,
  sync: BatchNormSync | undefined,
): void {
  // Views after the last allocation (a growing wasm heap detaches older ones).
  const x = ops.f32(xi);
  const [gamma, beta, movingMean, movingVariance] = ins.map((t) => ops.f32(t));
  const yv = ops.f32(y);
  const [meanOut, invStdOut, newMean, newVariance] = outs.map((t) => ops.f32(t));
  const f = Math.fround;
  const starts = partStarts(parts);
  const n = xi.shape[0];
  // Per part (its thread's rows), column sums in Float64, row after row.
  const sums = parts.map((rows, p) => {
    const sum = new Float64Array(c);
    for (let r = starts[p]; r < starts[p] + rows; r++) {
      const row = r * c;
      for (let j = 0; j < c; j++) sum[j] += x[row + j];
    }
    return [sum];
  });
  const count = combineCounted(sync, parts, sums);
  const sum = sums[0][0];
  for (let j = 0; j < c; j++) meanOut[j] = f(sum[j] / count);
  const squares = parts.map((rows, p) => {
    const square = new Float64Array(c);
    for (let r = starts[p]; r < starts[p] + rows; r++) {
      const row = r * c;
      for (let j = 0; j < c; j++) {
        const d = x[row + j] - meanOut[j];
        square[j] += d * d;
      }
    }
    return [square];
  });
  combineSums(sync, squares);
  const square = squares[0][0];
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  const decay = f(1 - attrs.momentum);
  for (let j = 0; j < c; j++) {
    const variance = f(square[j] / count);
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
}

/**
 * Inputs dy, x [n, c], mean, invStd (the forward kernel's), gamma [c]. Outputs dx [n, c], dgamma,
 * dbeta [c]; dx includes the paths through the batch mean and variance:
 * dx = gamma invStd / n (n dy - dbeta - xhat dgamma), xhat = (x - mean) invStd.
 * Synchronised, n, dbeta and dgamma in dx are all threads' (N and the global sums), while the
 * dgamma and dbeta outputs are this thread's rows' (see setBatchNormSync); in parts, see
 * BatchNormPartsAttrs.
 */
function batchNormGrad(backendName: PatchedBackendName, args: KernelArgs): TensorInfo[] {
  const name = BATCH_NORM_GRAD_KERNEL;
  const ops = opsFor(backendName, args.backend);
  const xi = input(args.inputs, 'x', name);
  const [n, c] = channelsOf(xi, name);
  const parts = partsOf(args.attrs as unknown as BatchNormPartsAttrs, n, name);
  const ins = ['dy', 'mean', 'invStd', 'gamma'].map((k) => input(args.inputs, k, name));
  const dxi = ops.alloc([n, c]);
  const dgi = ops.alloc([c]);
  const dbi = ops.alloc([c]);
  try {
    if (backendName === 'wasm' && c % 4 === 0) gradSimd(ops, args.backend as BackendWasm, xi, ins, dxi, dgi, dbi, parts, c, batchNormSync);
    else gradJs(ops, xi, ins, dxi, dgi, dbi, parts, c, batchNormSync);
  } catch (err) {
    ops.dispose(dxi, dgi, dbi);
    throw err;
  }
  return [dxi, dgi, dbi];
}

/** The backward kernel's JS path (cpu, or c not a multiple of 4). */
function gradJs(
  ops: RawOps, xi: TensorInfo, ins: TensorInfo[], dxi: TensorInfo, dgi: TensorInfo, dbi: TensorInfo, parts: number[], c: number,
  sync: BatchNormSync | undefined,
): void {
  const x = ops.f32(xi);
  const [dy, mean, invStd, gamma] = ins.map((t) => ops.f32(t));
  const dx = ops.f32(dxi);
  const starts = partStarts(parts);
  const n = xi.shape[0];
  // Each part's sums, and its dgamma / dbeta as its thread outputs them.
  const dgammas: Float32Array[] = [];
  const dbetas: Float32Array[] = [];
  const partials = parts.map((rows, p) => {
    const sumDy = new Float64Array(c);
    const sumDyXc = new Float64Array(c);
    for (let r = starts[p]; r < starts[p] + rows; r++) {
      const row = r * c;
      for (let j = 0; j < c; j++) {
        const g = dy[row + j];
        sumDy[j] += g;
        sumDyXc[j] += g * (x[row + j] - mean[j]);
      }
    }
    dgammas.push(Float32Array.from(sumDyXc, (s, j) => s * invStd[j]));
    dbetas.push(Float32Array.from(sumDy));
    return [sumDy, sumDyXc];
  });
  addOutputs(ops.f32(dgi), dgammas);
  addOutputs(ops.f32(dbi), dbetas);
  // From here on the sums and count are the whole batch's.
  const count = combineCounted(sync, parts, partials);
  const [sumDy, sumDyXc] = partials[0];
  // dx = a dy + b (x - mean) + d per channel.
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const d = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const s = invStd[j];
    const dg = sumDyXc[j] * s;
    a[j] = gamma[j] * s;
    b[j] = -a[j] * s * dg / count;
    d[j] = -a[j] * sumDy[j] / count;
  }
  for (let r = 0; r < n; r++) {
    const row = r * c;
    for (let j = 0; j < c; j++) dx[row + j] = a[j] * dy[row + j] + b[j] * (x[row + j] - mean[j]) + d[j];
  }
}

/** The forward kernel's wasm path: two SIMD passes (moments, normalise) and c-sized JS in between. */
function trainSimd(
  ops: RawOps, backend: BackendWasm, attrs: BatchNormTrainAttrs, xi: TensorInfo, ins: TensorInfo[], y: TensorInfo, outs: TensorInfo[], parts: number[], c: number,
  sync: BatchNormSync | undefined,
): void {
  const [gammaI, betaI, movingMeanI, movingVarianceI] = ins;
  const [meanI, invStdI, newMeanI, newVarianceI] = outs;
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const simd = batchNormSimd(backend);
  const n = xi.shape[0];
  // The batch variance goes into newVariance's slot first and is replaced by the moving average.
  if (sync || parts.length > 1) pooledStatsSimd(ops, simd, sync, at, xi, meanI, newVarianceI, parts, c);
  else simd.bnStats(at(xi), at(meanI), at(newVarianceI), n, c, n);
  const scaleI = ops.alloc([c]);
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

/**
 * trainSimd's moments over all threads' rows (synchronised: one allreduce; in parts: each part's
 * added): each thread's mean and biased variance (SIMD, two-pass over its rows), sent as
 * n * mean and n * (variance + mean^2) in Float64 with the row count; the batch's mean is S / N
 * and its variance Q / N - mean^2. One meeting point instead of two (sums, then squares about the
 * global mean): fcn-deep has seven batch norms, and each meeting costs both threads the other's
 * lag. Float64 keeps Q / N - mean^2 exact to far below float32 unless mean^2 / variance exceeds ~1e8.
 */
function pooledStatsSimd(
  ops: RawOps, simd: BatchNormSimd, sync: BatchNormSync | undefined, at: (t: TensorInfo) => number,
  xi: TensorInfo, meanI: TensorInfo, varianceI: TensorInfo, parts: number[], c: number,
): void {
  const starts = partStarts(parts);
  const partials = parts.map((rows, p) => {
    const sums = new Float64Array(c);
    const squares = new Float64Array(c);
    if (rows > 0) {
      simd.bnStats(at(xi) + 4 * starts[p] * c, at(meanI), at(varianceI), rows, c, rows);
      const [mean, variance] = [meanI, varianceI].map((t) => ops.f32(t));
      for (let j = 0; j < c; j++) {
        sums[j] = rows * mean[j];
        squares[j] = rows * (variance[j] + mean[j] * mean[j]);
      }
    }
    return [sums, squares];
  });
  const count = combineCounted(sync, parts, partials);
  const [sums, squares] = partials[0];
  const [mean, variance] = [meanI, varianceI].map((t) => ops.f32(t));
  for (let j = 0; j < c; j++) {
    const m = sums[j] / count;
    mean[j] = Math.fround(m);
    variance[j] = Math.fround(Math.max(0, squares[j] / count - m * m));
  }
}

/** The backward kernel's wasm path: two SIMD passes (column sums, dx) and c-sized JS in between. */
function gradSimd(
  ops: RawOps, backend: BackendWasm, xi: TensorInfo, ins: TensorInfo[], dxi: TensorInfo, dgi: TensorInfo, dbi: TensorInfo, parts: number[], c: number,
  sync: BatchNormSync | undefined,
): void {
  const [dyI, meanI, invStdI, gammaI] = ins;
  const coefI = ops.alloc([3 * c]);
  const at = (t: TensorInfo) => heapOffset(backend, t);
  const simd = batchNormSimd(backend);
  const n = xi.shape[0];
  let count = n;
  let sumDy: ArrayLike<number>;
  let sumDyXc: ArrayLike<number>;
  if (sync || parts.length > 1) {
    // The whole batch's sums for dx; the outputs are each part's (its thread's), added.
    const starts = partStarts(parts);
    const dgammas: Float32Array[] = [];
    const dbetas: Float32Array[] = [];
    const partials = parts.map((rows, p) => {
      const offset = 4 * starts[p] * c;
      simd.bnGradSums(at(dyI) + offset, at(xi) + offset, at(meanI), at(dbi), at(dgi), rows, c);
      const [invStd, dgamma, dbeta] = [invStdI, dgi, dbi].map((t) => ops.f32(t));
      dgammas.push(Float32Array.from(dgamma, (s, j) => s * invStd[j]));
      dbetas.push(Float32Array.from(dbeta));
      return [Float64Array.from(dbeta), Float64Array.from(dgamma)];
    });
    try {
      count = combineCounted(sync, parts, partials);
    } catch (err) {
      ops.dispose(coefI);
      throw err;
    }
    [sumDy, sumDyXc] = partials[0];
    addOutputs(ops.f32(dgi), dgammas);
    addOutputs(ops.f32(dbi), dbetas);
  } else {
    // sumDyXc is dgamma itself: each dg below is read before dgamma[j] is scaled in place.
    simd.bnGradSums(at(dyI), at(xi), at(meanI), at(dbi), at(dgi), n, c);
    [sumDy, sumDyXc] = [ops.f32(dbi), ops.f32(dgi)];
  }
  const [invStd, gamma, dgamma, coef] = [invStdI, gammaI, dgi, coefI].map((t) => ops.f32(t));
  const scaleDgamma = !(sync || parts.length > 1);
  for (let j = 0; j < c; j++) {
    const s = invStd[j];
    const dg = Math.fround(sumDyXc[j] * s);
    if (scaleDgamma) dgamma[j] = Math.fround(dgamma[j] * s);
    const a = gamma[j] * s;
    coef[j] = a;
    coef[c + j] = -a * s * dg / count;
    coef[2 * c + j] = -a * sumDy[j] / count;
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

