// BatchMatMul / _FusedMatMul for wasm that use XNNPACK well.
//
// tfjs-backend-wasm 4.22 multiplies with XNNPACK's fully-connected operator only when neither
// operand is transposed and both have batch 1; everything else runs a naive C++ loop. Dense-layer
// gradients are exactly the transposed cases (dx = dy . W^T, dW = x^T . dy).
//
// XNNPACK also packs the right operand `b` into its own layout when it creates the operator, and
// tfjs caches that operator per `b` tensor. Packing is slow (measured ~5-20 ns per element of b,
// more for wider b; e.g. 5-10 ms for a 784x512 weight against 2.6 ms for the 64x784x512 product). In training
// every `b` is new (weights change every step, gradients are fresh), so which operand gets packed
// matters more than the multiply. So, per call, we pick the cheaper of
//   direct:  C   = op(a) . op(b)                packs op(b)   [k x n]
//   swapped: C^T = op(b)^T . op(a)^T, then C    packs op(a)^T [k x m]
// materialising transposes with the stock Transpose kernel (~1 ns per element). A `b` seen before
// untransposed counts as already packed (the weights at scoring time), so repeated use settles on
// the direct form and tfjs's operator cache. A batched `a` against a shared `b` is flattened into
// one [batch*m, k] matrix. Batched `b` is left to the stock kernel.
import {
  BatchMatMul, broadcast_util, util, _FusedMatMul,
  type _FusedMatMulAttrs, type BatchMatMulAttrs, type KernelConfig, type NamedTensorInfoMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { wasmOps, type RawOps } from './rawOps';

/** Relative costs per element (~ns), from measurements on wasm SIMD (1 thread, 2-core VM). */
const PACK_COST = 12;
const TRANSPOSE_COST = 1;

/** Data ids already used untransposed as `b`: XNNPACK has (or will keep) them packed. */
const usedAsB = new WeakSet<object>();

export interface MatMulPlan {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  outShape: number[];
}

export function plan(kernelName: string, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulPlan {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  util.assert(k === kb, () => `Error in ${kernelName}: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ` +
    `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return {
    batchA: util.sizeFromShape(a.shape.slice(0, -2)),
    batchB: util.sizeFromShape(b.shape.slice(0, -2)),
    m, k, n, outShape: [...outer, m, n],
  };
}

/** True when we handle the call: float32, rank >= 2, non-empty, and `b` not batched. */
function handled(a: TensorInfo, b: TensorInfo, p: MatMulPlan): boolean {
  return a.dtype === 'float32' && b.dtype === 'float32' && a.shape.length >= 2 && b.shape.length >= 2 &&
    p.batchB === 1 && p.batchA > 0 && p.m * p.k * p.n > 0;
}

/** Whether the swapped form is cheaper (see the header). Only for an unbatched `a`. */
export function preferSwapped(p: MatMulPlan, transposeA: boolean, transposeB: boolean, b: TensorInfo): boolean {
  if (p.batchA !== 1) return false;
  const { m, k, n } = p;
  const bPacked = !transposeB && usedAsB.has(b.dataId);
  const direct = (transposeA ? m * k * TRANSPOSE_COST : 0) + (transposeB ? k * n * TRANSPOSE_COST : 0) + (bPacked ? 0 : k * n * PACK_COST);
  const swapped = (transposeB ? 0 : k * n * TRANSPOSE_COST) + (transposeA ? 0 : m * k * TRANSPOSE_COST) + m * n * TRANSPOSE_COST + k * m * PACK_COST;
  return swapped < direct;
}

function transpose2d(ops: RawOps, x: TensorInfo, rows: number, cols: number): TensorInfo {
  const x2 = ops.reshape(x, [rows, cols]);
  const t = ops.transpose(x2, [1, 0]);
  ops.dispose(x2);
  return t;
}

/**
 * Direct form operands: `a` as [1, batchA*m, k] and `b` as [1, k, n], transposed explicitly where
 * asked. The caller disposes both (reshapes hold a reference; transposes own memory).
 */
function directOperands(ops: RawOps, a: TensorInfo, b: TensorInfo, p: MatMulPlan, transposeA: boolean, transposeB: boolean): [TensorInfo, TensorInfo] {
  let a2: TensorInfo;
  if (transposeA) {
    const a3 = ops.reshape(a, [p.batchA, p.k, p.m]);
    const t = ops.transpose(a3, [0, 2, 1]);
    a2 = ops.reshape(t, [1, p.batchA * p.m, p.k]);
    ops.dispose(a3, t);
  } else {
    a2 = ops.reshape(a, [1, p.batchA * p.m, p.k]);
  }
  let b2: TensorInfo;
  if (transposeB) {
    const t = transpose2d(ops, b, p.n, p.k);
    b2 = ops.reshape(t, [1, p.k, p.n]);
    ops.dispose(t);
  } else {
    b2 = ops.reshape(b, [1, p.k, p.n]);
    usedAsB.add(b.dataId);
  }
  return [a2, b2];
}

/** C = op(a) . op(b) as [m, n] by the swapped form (batchA must be 1). Plain product: no bias. */
function swappedProduct(ops: RawOps, a: TensorInfo, b: TensorInfo, p: MatMulPlan, transposeA: boolean, transposeB: boolean): TensorInfo {
  // op(b)^T is b itself when transposeB; op(a)^T is a itself when transposeA.
  const x = transposeB ? ops.reshape(b, [p.n, p.k]) : transpose2d(ops, b, p.k, p.n);
  const y = transposeA ? ops.reshape(a, [p.k, p.m]) : transpose2d(ops, a, p.m, p.k);
  if (!transposeB) usedAsB.add(b.dataId);
  const x3 = ops.reshape(x, [1, p.n, p.k]);
  const y3 = ops.reshape(y, [1, p.k, p.m]);
  const ct = ops.matMul(x3, y3);
  const c = transpose2d(ops, ct, p.n, p.m);
  ops.dispose(x, y, x3, y3, ct);
  return c;
}

function batchMatMul(args: KernelArgs): TensorInfo {
  const a = input(args.inputs, 'a', BatchMatMul);
  const b = input(args.inputs, 'b', BatchMatMul);
  // tfjs-core's matMul op passes exactly these attributes.
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  const stock = () => runStock(BatchMatMul, 'wasm', args.backend, args.inputs, args.attrs);
  if (a.shape.length < 2 || b.shape.length < 2) return stock();
  const p = plan('matMul', a, b, transposeA, transposeB);
  if (!handled(a, b, p)) return stock();
  const ops = wasmOps(args.backend);
  if (preferSwapped(p, transposeA, transposeB, b)) {
    const c = swappedProduct(ops, a, b, p, transposeA, transposeB);
    const shaped = ops.reshape(c, p.outShape);
    ops.dispose(c);
    return shaped;
  }
  if (!transposeA && !transposeB && p.batchA === 1) {
    usedAsB.add(b.dataId);
    return stock(); // already the XNNPACK path
  }
  const [a2, b2] = directOperands(ops, a, b, p, transposeA, transposeB);
  const out = ops.matMul(a2, b2);
  const shaped = ops.reshape(out, p.outShape);
  ops.dispose(a2, b2, out);
  return shaped;
}

/** The stock kernels that apply a fused activation (as tfjs-core's fused_util does). */
function applyActivation(ops: RawOps, x: TensorInfo, attrs: _FusedMatMulAttrs, inputs: NamedTensorInfoMap): TensorInfo | undefined {
  const backend = ops.backend;
  switch (attrs.activation) {
    case 'linear': return x;
    case 'relu': return runStock('Relu', 'wasm', backend, { x });
    case 'relu6': return runStock('Relu6', 'wasm', backend, { x });
    case 'elu': return runStock('Elu', 'wasm', backend, { x });
    case 'sigmoid': return runStock('Sigmoid', 'wasm', backend, { x });
    case 'leakyrelu': return runStock('LeakyRelu', 'wasm', backend, { x }, { alpha: attrs.leakyreluAlpha ?? 0.2 });
    case 'prelu': {
      const alpha = inputs.preluActivationWeights;
      return alpha ? runStock('Prelu', 'wasm', backend, { x, alpha }) : undefined;
    }
    default: return undefined;
  }
}

function fusedMatMul(args: KernelArgs): TensorInfo {
  const a = input(args.inputs, 'a', _FusedMatMul);
  const b = input(args.inputs, 'b', _FusedMatMul);
  // tfjs-core's fused.matMul op passes exactly these attributes.
  const attrs = args.attrs as unknown as _FusedMatMulAttrs;
  const { transposeA, transposeB } = attrs;
  const stock = () => runStock(_FusedMatMul, 'wasm', args.backend, args.inputs, args.attrs);
  // The stock fused kernel reads shapes as rank 3 (the op always reshapes to rank 3 first).
  if (a.shape.length !== 3 || b.shape.length !== 3 || a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
  const p = plan('fused matMul', a, b, transposeA, transposeB);
  const ops = wasmOps(args.backend);
  const { bias } = args.inputs;

  // XNNPACK fuses a bias of one value per output column (and the activation) correctly.
  const biasFits = bias === undefined || (bias.shape.length === 1 && bias.shape[0] === p.n);
  if (handled(a, b, p) && biasFits && !preferSwapped(p, transposeA, transposeB, b)) {
    if (!transposeA && !transposeB && p.batchA === 1) {
      usedAsB.add(b.dataId);
      return stock(); // already the XNNPACK path
    }
    const [a2, b2] = directOperands(ops, a, b, p, transposeA, transposeB);
    const out = runStock(_FusedMatMul, 'wasm', args.backend, { ...args.inputs, a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false });
    const shaped = ops.reshape(out, p.outShape);
    ops.dispose(a2, b2, out);
    return shaped;
  }

  // Otherwise product, bias and activation as separate kernels. Never the stock fused kernel's
  // non-XNNPACK loop: in tfjs-backend-wasm 4.22 it adds a [n] bias at the wrong index (and once
  // per 48-wide block of k) and clamps relu on partial sums when k > 48.
  const c = batchMatMul({ inputs: { a, b }, backend: args.backend, attrs: { transposeA, transposeB } });
  const biased = bias ? runStock('Add', 'wasm', args.backend, { a: c, b: bias }) : c;
  const activated = applyActivation(ops, biased, attrs, args.inputs);
  if (!activated) {
    ops.dispose(...new Set([c, biased]));
    throw new Error(`_FusedMatMul (aelab): unsupported activation '${attrs.activation}'${attrs.activation === 'prelu' ? ' without weights' : ''}`);
  }
  const intermediates = new Set([c, biased]);
  intermediates.delete(activated);
  ops.dispose(...intermediates);
  return activated;
}

export function batchMatMulConfig(): KernelConfig {
  return { kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: asKernelFunc(batchMatMul) };
}

export function fusedMatMulConfig(): KernelConfig {
  return { kernelName: _FusedMatMul, backendName: 'wasm', kernelFunc: asKernelFunc(fusedMatMul) };
}
