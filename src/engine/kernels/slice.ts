// Slice and SplitV for wasm without the copy of the whole input. The stock kernels read the input
// with backend.readSync, which on wasm copies the tensor out of the heap into a new JS buffer,
// once per slice: tf.split of the SSIM loss's five stacked maps (and the gradient of its concat)
// copied the whole input five times, ~1-2.4 ms a call. For a contiguous slice (the common case:
// leading axes) we copy just the slice from one heap view to another. Other slices: stock.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util, Slice, slice_util, SplitV, util,
  type KernelConfig, type SliceAttrs, type SplitVAttrs, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';

/** The slice as a new tensor if it is one contiguous run of a numeric tensor, else undefined. */
function contiguousSlice(backend: BackendWasm, x: TensorInfo, begin: number[], size: number[]): TensorInfo | undefined {
  if (x.dtype === 'string' || x.dtype === 'complex64' || !slice_util.isSliceContinous(x.shape, begin, size)) return undefined;
  const out = backend.makeOutput(size, x.dtype);
  const length = util.sizeFromShape(size);
  if (length === 0) return out;
  const from = slice_util.computeFlatOffset(begin, util.computeStrides(x.shape));
  // Views after the allocation (growing the heap detaches older ones); same dtype on both sides.
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(from, from + length));
  return out;
}

function slice(args: KernelArgs): TensorInfo {
  const x = input(args.inputs, 'x', Slice);
  // tfjs-core's slice op passes exactly these attributes.
  const { begin, size } = args.attrs as unknown as SliceAttrs;
  const [begin_, size_] = slice_util.parseSliceParams(x, begin, size);
  // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
  return contiguousSlice(args.backend as BackendWasm, x, begin_, size_) ?? runStock(Slice, 'wasm', args.backend, args.inputs, args.attrs);
}

function splitV(args: KernelArgs): TensorInfo[] {
  const x = input(args.inputs, 'x', SplitV);
  // tfjs-core's split op passes exactly these attributes.
  const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
  const splitAxis = util.parseAxisParam(axis, x.shape)[0];
  const sizes = backend_util.prepareSplitSize(x, numOrSizeSplits, splitAxis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[splitAxis] = s;
    const piece = contiguousSlice(args.backend as BackendWasm, x, [...begin], size)
      ?? runStock(Slice, 'wasm', args.backend, { x }, { begin: [...begin], size });
    begin[splitAxis] += s;
    return piece;
  });
}

export function sliceConfig(): KernelConfig {
  return { kernelName: Slice, backendName: 'wasm', kernelFunc: asKernelFunc(slice) };
}

export function splitVConfig(): KernelConfig {
  return { kernelName: SplitV, backendName: 'wasm', kernelFunc: asKernelFunc(splitV) };
}
