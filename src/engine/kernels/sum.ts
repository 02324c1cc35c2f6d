// Sum over every axis but the last, for wasm: the bias gradient of every dense and convolution
// layer (sum of dy over batch and positions). The stock kernel first transposes the reduced axes
// innermost (a full copy at ~1.5 ns per element), then adds; our wasm loop adds rows into the
// output directly, in the same order (so the same float32 results). Other reductions: stock.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Sum, util, type KernelConfig, type SumAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { heapOffset, simdKernels } from './simd';

/** True when `axis` names exactly the axes 0 .. rank-2 (each once, any order, negatives allowed). */
export function reducesAllButLast(axis: number | number[], rank: number): boolean {
  if (rank < 2) return false;
  const axes = util.parseAxisParam(axis, Array.from({ length: rank }, () => 1));
  const unique = new Set(axes);
  return unique.size === rank - 1 && axes.length === rank - 1 && !unique.has(rank - 1);
}

function sum(args: KernelArgs): TensorInfo {
  const x = input(args.inputs, 'x', Sum);
  // tfjs-core's sum op passes exactly these attributes.
  const { axis, keepDims } = args.attrs as unknown as SumAttrs;
  const rank = x.shape.length;
  if (x.dtype !== 'float32' || !reducesAllButLast(axis, rank) || util.sizeFromShape(x.shape) === 0) {
    return runStock(Sum, 'wasm', args.backend, args.inputs, args.attrs);
  }
  // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
  const backend = args.backend as BackendWasm;
  const cols = x.shape[rank - 1];
  const rows = util.sizeFromShape(x.shape) / cols;
  const out = backend.makeOutput(keepDims ? [...x.shape.slice(0, -1).map(() => 1), cols] : [cols], 'float32');
  simdKernels(backend).colSum(heapOffset(backend, x), heapOffset(backend, out), rows, cols);
  return out;
}

export function sumConfig(): KernelConfig {
  return { kernelName: Sum, backendName: 'wasm', kernelFunc: asKernelFunc(sum) };
}
