// BatchMatMul / _FusedMatMul for wasm, fast for training's fresh operands.
//
// tfjs-backend-wasm 4.22 multiplies with XNNPACK's fully-connected operator only when neither
// operand is transposed and both have batch 1; everything else runs a naive C++ loop. Dense-layer
// gradients are exactly the transposed cases (dx = dy . W^T, dW = x^T . dy). And XNNPACK packs
// the right operand `b` into its own layout first (tfjs caches that per `b` tensor), which in
// training, where every `b` is new each step, costs about as much as the multiply.
//
// First choice (unpackedProduct): our own wasm SIMD GEMM (simd.ts), which reads `b` row-major as
// it is, so nothing is packed; it matches XNNPACK's speed with an already packed `b` and gives the
// same float32 results. It needs a multiple of 4 columns on the right; transposes are materialised
// by our wasm transpose, choosing between
//   direct:  C   = op(a) . op(b)
//   swapped: C^T = op(b)^T . op(a)^T, then C
// the form that transposes fewer elements.
//
// Otherwise (odd widths) XNNPACK, picking the cheaper of the direct form (packs op(b) [k x n]) and
// the swapped one (packs op(a)^T [k x m]); a `b` seen before untransposed counts as already packed.
// A batched `a` against a shared `b` is flattened into one [batch*m, k] matrix. Batched `b` is
// left to the stock kernel.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  BatchMatMul, broadcast_util, util, _FusedMatMul,
  type _FusedMatMulAttrs, type BatchMatMulAttrs, type KernelConfig, type NamedTensorInfoMap, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { wasmOps, type RawOps } from './rawOps';
import { gemmUnpacked, heapOffset, simdKernels, transposeWasm } from './simd';

/** ns per element, measured here: XNNPACK packing b, the stock Transpose, our wasm transpose. */
const PACK_NS = 3.5;
const STOCK_TRANSPOSE_NS = 1.7;
const WASM_TRANSPOSE_NS = 0.3;

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

/** x as a [rows, cols] matrix, transposed: by our wasm loop (~5x the stock Transpose's speed), or the stock kernel. */
function transpose2d(ops: RawOps, x: TensorInfo, rows: number, cols: number, wasmLoops: boolean): TensorInfo {
  // wasmOps always hold the BackendWasm instance.
  if (wasmLoops) return transposeWasm(ops.backend as BackendWasm, x, rows, cols);
  const x2 = ops.reshape(x, [rows, cols]);
  const t = ops.transpose(x2, [1, 0]);
  ops.dispose(x2);
  return t;
}

/**
 * Direct form operands: `a` as [1, batchA*m, k] and `b` as [1, k, n], transposed explicitly where
 * asked. The caller disposes both (reshapes hold a reference; transposes own memory).
 */
function directOperands(ops: RawOps, a: TensorInfo, b: TensorInfo, p: MatMulPlan, transposeA: boolean, transposeB: boolean, wasmLoops: boolean): [TensorInfo, TensorInfo] {
  let a2: TensorInfo;
  if (transposeA && wasmLoops) {
    // Each [k, m] matrix of the batch transposed into place.
    const backend = ops.backend as BackendWasm;
    a2 = ops.alloc([1, p.batchA * p.m, p.k]);
    const [from, to] = [heapOffset(backend, a), heapOffset(backend, a2)];
    for (let i = 0; i < p.batchA; i++) simdKernels(backend).transpose(from + 4 * i * p.k * p.m, to + 4 * i * p.m * p.k, p.k, p.m);
  } else if (transposeA) {
    const a3 = ops.reshape(a, [p.batchA, p.k, p.m]);
    const t = ops.transpose(a3, [0, 2, 1]);
    a2 = ops.reshape(t, [1, p.batchA * p.m, p.k]);
    ops.dispose(a3, t);
  } else {
    a2 = ops.reshape(a, [1, p.batchA * p.m, p.k]);
  }
  let b2: TensorInfo;
  if (transposeB) {
    const t = transpose2d(ops, b, p.n, p.k, wasmLoops);
    b2 = ops.reshape(t, [1, p.k, p.n]);
    ops.dispose(t);
  } else {
    b2 = ops.reshape(b, [1, p.k, p.n]);
    usedAsB.add(b.dataId);
  }
  return [a2, b2];
}

/** C = op(a) . op(b) as [m, n] by the swapped form (batchA must be 1). Plain product: no bias. */
function swappedProduct(ops: RawOps, a: TensorInfo, b: TensorInfo, p: MatMulPlan, transposeA: boolean, transposeB: boolean, wasmLoops: boolean): TensorInfo {
  // op(b)^T is b itself when transposeB; op(a)^T is a itself when transposeA.
  const x = transposeB ? ops.reshape(b, [p.n, p.k]) : transpose2d(ops, b, p.k, p.n, wasmLoops);
  const y = transposeA ? ops.reshape(a, [p.k, p.m]) : transpose2d(ops, a, p.m, p.k, wasmLoops);
  if (!transposeB) usedAsB.add(b.dataId);
  const x3 = ops.reshape(x, [1, p.n, p.k]);
  const y3 = ops.reshape(y, [1, p.k, p.m]);
  const ct = ops.matMul(x3, y3);
  const c = transpose2d(ops, ct, p.n, p.m, wasmLoops);
  ops.dispose(x, y, x3, y3, ct);
  return c;
}

/**
 * C = op(a) . op(b) as [batchA*m, n] by our unpacked wasm GEMM (simd.ts), which needs the right
 * operand row-major with a multiple of 4 columns, or undefined when no form fits. Of
 *   direct:  C   = op(a) . op(b)          (n % 4 == 0; transposes a and/or b when asked)
 *   swapped: C^T = op(b)^T . op(a)^T     (m % 4 == 0, unbatched; then transposes C)
 * the one that transposes fewer elements. No packing, so fresh weights cost nothing extra:
 * measured 0.25 ms for 64x784x128 against 0.59 ms through XNNPACK (which packs b every step).
 */
function unpackedProduct(ops: RawOps, a: TensorInfo, b: TensorInfo, p: MatMulPlan, transposeA: boolean, transposeB: boolean): TensorInfo | undefined {
  const { batchA, m, k, n } = p;
  const direct = n % 4 === 0 ? (transposeA ? batchA * m * k : 0) + (transposeB ? k * n : 0) : Infinity;
  const swapped = batchA === 1 && m % 4 === 0 ? (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n : Infinity;
  // Our transposes against XNNPACK's direct form (pack op(b), stock transposes where asked): the
  // swapped form can cost more, e.g. a tall a times a small b with an odd width.
  const xnnpack = k * n * PACK_NS + ((transposeA ? batchA * m * k : 0) + (transposeB ? k * n : 0)) * STOCK_TRANSPOSE_NS;
  if (Math.min(direct, swapped) * WASM_TRANSPOSE_NS > xnnpack) return undefined;
  // wasmOps always hold the BackendWasm instance.
  const backend = ops.backend as BackendWasm;
  const wasmLoops = true;
  if (direct <= swapped) {
    const [a2, b2] = directOperands(ops, a, b, p, transposeA, transposeB, wasmLoops);
    const c = ops.alloc([batchA * m, n]);
    gemmUnpacked(backend, a2, b2, c, batchA * m, k, n);
    ops.dispose(a2, b2);
    return c;
  }
  const x = transposeB ? ops.reshape(b, [n, k]) : transpose2d(ops, b, k, n, wasmLoops);
  const y = transposeA ? ops.reshape(a, [k, m]) : transpose2d(ops, a, m, k, wasmLoops);
  const ct = ops.alloc([n, m]);
  gemmUnpacked(backend, x, y, ct, n, k, m);
  const c = transpose2d(ops, ct, n, m, wasmLoops);
  ops.dispose(x, y, ct);
  return c;
}

function batchMatMul(args: KernelArgs, wasmLoops = true): TensorInfo {
  const a = input(args.inputs, 'a', BatchMatMul);
  const b = input(args.inputs, 'b', BatchMatMul);
  // tfjs-core's matMul op passes exactly these attributes.
  const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
  const stock = () => runStock(BatchMatMul, 'wasm', args.backend, args.inputs, args.attrs);
  if (a.shape.length < 2 || b.shape.length < 2) return stock();
  const p = plan('matMul', a, b, transposeA, transposeB);
  if (!handled(a, b, p)) return stock();
  const ops = wasmOps(args.backend);
  const product = wasmLoops ? unpackedProduct(ops, a, b, p, transposeA, transposeB) : undefined;
  if (product) {
    const shaped = ops.reshape(product, p.outShape);
    ops.dispose(product);
    return shaped;
  }
  if (preferSwapped(p, transposeA, transposeB, b)) {
    const c = swappedProduct(ops, a, b, p, transposeA, transposeB, wasmLoops);
    const shaped = ops.reshape(c, p.outShape);
    ops.dispose(c);
    return shaped;
  }
  if (!transposeA && !transposeB && p.batchA === 1) {
    usedAsB.add(b.dataId);
    return stock(); // already the XNNPACK path
  }
  const [a2, b2] = directOperands(ops, a, b, p, transposeA, transposeB, wasmLoops);
  const out = ops.matMul(a2, b2);
  const shaped = ops.reshape(out, p.outShape);
  ops.dispose(a2, b2, out);
  return shaped;
}

/** The fused-activation attributes shared by _FusedMatMul and FusedConv2D. */
type FusedActivationAttrs = Pick<_FusedMatMulAttrs, 'activation' | 'leakyreluAlpha'>;

/** The stock kernels that apply a fused activation (as tfjs-core's fused_util does). */
function applyActivation(ops: RawOps, x: TensorInfo, attrs: FusedActivationAttrs, inputs: NamedTensorInfoMap): TensorInfo | undefined {
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

function fusedMatMul(args: KernelArgs, wasmLoops = true): TensorInfo {
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

  const product = wasmLoops && handled(a, b, p) ? unpackedProduct(ops, a, b, p, transposeA, transposeB) : undefined;
  if (product) {
    const shaped = ops.reshape(product, p.outShape);
    ops.dispose(product);
    return biasAndActivation(ops, shaped, attrs, args.inputs);
  }

  // XNNPACK fuses a bias of one value per output column (and the activation) correctly.
  const biasFits = bias === undefined || (bias.shape.length === 1 && bias.shape[0] === p.n);
  if (handled(a, b, p) && biasFits && !preferSwapped(p, transposeA, transposeB, b)) {
    if (!transposeA && !transposeB && p.batchA === 1) {
      usedAsB.add(b.dataId);
      return stock(); // already the XNNPACK path
    }
    const [a2, b2] = directOperands(ops, a, b, p, transposeA, transposeB, wasmLoops);
    const out = runStock(_FusedMatMul, 'wasm', args.backend, { ...args.inputs, a: a2, b: b2 }, { ...args.attrs, transposeA: false, transposeB: false });
    const shaped = ops.reshape(out, p.outShape);
    ops.dispose(a2, b2, out);
    return shaped;
  }

  // Otherwise product, bias and activation as separate kernels. Never the stock fused kernel's
  // non-XNNPACK loop: in tfjs-backend-wasm 4.22 it adds a [n] bias at the wrong index (and once
  // per 48-wide block of k) and clamps relu on partial sums when k > 48.
  const c = batchMatMul({ inputs: { a, b }, backend: args.backend, attrs: { transposeA, transposeB } }, wasmLoops);
  return biasAndActivation(ops, c, attrs, args.inputs);
}

/**
 * c + bias, then the activation; takes ownership of c. A bias of one value per last-axis entry
 * goes through our wasm row add. Throws on an activation tfjs's fused ops do not know.
 */
function biasAndActivation(ops: RawOps, c: TensorInfo, attrs: FusedActivationAttrs, inputs: NamedTensorInfoMap): TensorInfo {
  const { bias } = inputs;
  let biased = c;
  if (bias) {
    const n = c.shape[c.shape.length - 1];
    if (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === n) {
      biased = ops.alloc([...c.shape]);
      // wasmOps always hold the BackendWasm instance.
      const backend = ops.backend as BackendWasm;
      simdKernels(backend).addRows(heapOffset(backend, c), heapOffset(backend, bias), heapOffset(backend, biased), util.sizeFromShape(c.shape) / n, n);
    } else {
      biased = runStock('Add', 'wasm', ops.backend, { a: c, b: bias });
    }
  }
  const activated = applyActivation(ops, biased, attrs, inputs);
  if (!activated) {
    ops.dispose(...new Set([c, biased]));
    throw new Error(`aelab fused kernel: unsupported activation '${attrs.activation}'${attrs.activation === 'prelu' ? ' without weights' : ''}`);
  }
  const intermediates = new Set([c, biased]);
  intermediates.delete(activated);
  ops.dispose(...intermediates);
  return activated;
}

/** `wasmLoops` false: XNNPACK and stock transposes only, as before our wasm loops (bench/ compares). */
export function batchMatMulConfig(wasmLoops = true): KernelConfig {
  return { kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: asKernelFunc((args) => batchMatMul(args, wasmLoops)) };
}

export function fusedMatMulConfig(wasmLoops = true): KernelConfig {
  return { kernelName: _FusedMatMul, backendName: 'wasm', kernelFunc: asKernelFunc((args) => fusedMatMul(args, wasmLoops)) };
}
