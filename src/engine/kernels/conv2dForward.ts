// A convolution as im2col + our unpacked GEMM (simd.ts), for the stride-1 convolutions inside
// the transposed-convolution phases (conv2dTranspose.ts), whose small filters are new tensors on
// every call:
//   cols[(n, oh, ow), (fh, fw, ci)] = x[n, oh*sh - top + fh, ow*sw - left + fw, ci]   (0 outside)
//   y[(n, oh, ow), co] = cols . W[(fh, fw, ci), co]                                     (NHWC as is)
// XNNPACK's convolution packs each new filter first; ours reads it as it is, with the same
// float32 results (same summation order; measured max difference 0). dy [64,7,7,32] -> dx
// [64,14,14,16] by phases: 0.81 ms with this, 0.87 with XNNPACK for the four phase convolutions.
// Not registered as the Conv2D kernel itself: in the models' training steps it measured no faster
// than XNNPACK (8.0-8.7 vs 8.0-8.4 ms a cnn step), and scoring, where weights stay packed, 10%
// slower. Takes NHWC, dilation 1, float32, at least 16 out channels in multiples of 4 (the GEMM's
// column blocks); for anything else, and very large im2col buffers, it returns undefined.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { backend_util, type Conv2DAttrs, type TensorInfo } from '@tensorflow/tfjs-core';
import { wasmOps } from './rawOps';
import { gemmUnpacked, im2colRowsWasm } from './simd';

/** Largest im2col buffer we build (floats): 64 MB; beyond that the stock kernel's memory use wins. */
const MAX_COLS = 16 * 1024 * 1024;

/**
 * Fewer out channels than this stay on XNNPACK: our GEMM keeps 2 rows x (out channels) in
 * registers, and with 4-8 columns it does too little work per load (measured on the combined
 * phases of a 1-channel dx, 4 out channels: 0.55 ms against XNNPACK's 0.44).
 */
const MIN_OUT_CHANNELS = 16;

const isOne = (v: number | [number, number] | undefined) => v === undefined || v === 1 || (Array.isArray(v) && v[0] === 1 && v[1] === 1);

/** Conv2D of x by filter with these attributes, by im2col + GEMM; undefined where the stock kernel should do it. */
export function conv2dByGemm(backend: BackendWasm, x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): TensorInfo | undefined {
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || attrs.dataFormat !== 'NHWC' || !isOne(attrs.dilations)) return undefined;
  if (x.shape.length !== 4 || filter.shape.length !== 4) return undefined;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  if (info.outChannels % 4 !== 0 || info.outChannels < MIN_OUT_CHANNELS || rows === 0 || positions === 0 || positions * rows > MAX_COLS) return undefined;
  const ops = wasmOps(backend);
  const cols = ops.alloc([positions, rows]);
  im2colRowsWasm(backend, x, info, cols);
  const out = ops.alloc([...info.outShape]);
  gemmUnpacked(backend, cols, filter, out, positions, rows, info.outChannels);
  ops.dispose(cols);
  return out;
}
