// Add for wasm when one float32 operand is a bias: [C] or [1, ..., 1, C], against the other's last
// axis of C (Conv2DTranspose layers add their bias after the kernel, and dense layers do while
// training). The stock kernel broadcasts with a per-element index loop (~0.7 ns per element); our
// wasm loop adds the bias row to every row. Same float32 additions, so the same results. Every
// other Add goes to the stock kernel.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Add, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { heapOffset, simdKernels } from './simd';

/** True when `bias` is [C] or [1, ..., 1, C] with C the last axis of `x`, and not larger in rank or size. */
export function isBiasOf(bias: readonly number[], x: readonly number[]): boolean {
  if (bias.length === 0 || x.length === 0 || bias.length > x.length) return false;
  const channels = x[x.length - 1];
  if (bias[bias.length - 1] !== channels) return false;
  if (!bias.slice(0, -1).every((d) => d === 1)) return false;
  return util.sizeFromShape([...x]) > channels;
}

function add(args: KernelArgs): TensorInfo {
  const a = input(args.inputs, 'a', Add);
  const b = input(args.inputs, 'b', Add);
  const stock = () => runStock(Add, 'wasm', args.backend, args.inputs, args.attrs);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
  const [x, bias] = isBiasOf(b.shape, a.shape) ? [a, b] : isBiasOf(a.shape, b.shape) ? [b, a] : [undefined, undefined];
  if (!x || !bias) return stock();
  // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
  const backend = args.backend as BackendWasm;
  const cols = x.shape[x.shape.length - 1];
  const out = backend.makeOutput([...x.shape], 'float32');
  simdKernels(backend).addRows(heapOffset(backend, x), heapOffset(backend, bias), heapOffset(backend, out), util.sizeFromShape(x.shape) / cols, cols);
  return out;
}

export function addBiasConfig(): KernelConfig {
  return { kernelName: Add, backendName: 'wasm', kernelFunc: asKernelFunc(add) };
}
