// Conv2DBackpropFilter (wasm has none; cpu's does a 4-D TensorBuffer.get() per multiply-add) as
// im2col and one matrix product:
//   colsT[(fh, fw, ci), (n, oh, ow)] = x[n, oh*sh - top + fh, ow*sw - left + fw, ci]  (0 outside)
//   dW[(fh, fw, ci), co] = colsT . dy[(n, oh, ow), co]
// On wasm both run as our wasm loops (simd.ts): the product has few rows and columns and a long
// inner axis, where XNNPACK would spend more time packing dy than multiplying. Also the shared
// shape checks of the convolution kernels. NHWC, dilation 1, any strides and padding.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util, Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs, type KernelConfig, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, type KernelArgs, type PatchedBackendName } from './registry';
import { opsFor } from './rawOps';
import { gemmUnpacked, im2colTransposedWasm } from './simd';

type Shape4 = [number, number, number, number];

export function shape4(info: TensorInfo, what: string, kernelName: string): Shape4 {
  if (info.shape.length !== 4) throw new Error(`${kernelName}: ${what} must be rank 4 (NHWC), got shape [${info.shape}]`);
  return info.shape as Shape4;
}

export function checkConvSupported(kernelName: string, args: KernelArgs, dataFormat: string, tensors: TensorInfo[]): void {
  if (dataFormat !== 'NHWC') throw new Error(`${kernelName} (aelab): only NHWC is supported, got dataFormat '${dataFormat}'`);
  const { dilations } = args.attrs;
  const ones = dilations === undefined || dilations === 1 || (Array.isArray(dilations) && dilations.every((d) => d === 1));
  if (!ones) throw new Error(`${kernelName} (aelab): only dilation 1 is supported, got dilations ${JSON.stringify(dilations)}`);
  for (const t of tensors) if (t.dtype !== 'float32') throw new Error(`${kernelName} (aelab): float32 tensors only, got ${t.dtype}`);
}

export function outputColumnRange(filterOffset: number, pad: number, stride: number, inSize: number, outSize: number): [number, number] {
  // Output positions o whose input position o*stride - pad + filterOffset lies in [0, inSize).
  const lo = Math.min(outSize, Math.max(0, Math.ceil((pad - filterOffset) / stride)));
  const hi = Math.max(lo, Math.min(outSize, Math.floor((inSize - 1 + pad - filterOffset) / stride) + 1));
  return [lo, hi];
}

/** colsT[(fh, fw, ci), (n, oh, ow)]: every element written (zeros where the window hangs over the edge). */
export function im2colTransposed(x: Float32Array, info: backend_util.Conv2DInfo, colsT: Float32Array): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: FH, filterWidth: FW } = info;
  const { top, left } = info.padInfo;
  const P = N * OH * OW;
  const xStep = sw * C;
  for (let fh = 0; fh < FH; fh++) {
    for (let fw = 0; fw < FW; fw++) {
      const [owLo, owHi] = outputColumnRange(fw, left, sw, W, OW);
      for (let c = 0; c < C; c++) {
        let o = ((fh * FW + fw) * C + c) * P;
        for (let n = 0; n < N; n++) {
          for (let oh = 0; oh < OH; oh++, o += OW) {
            const ih = oh * sh - top + fh;
            if (ih < 0 || ih >= H) {
              colsT.fill(0, o, o + OW);
              continue;
            }
            if (owLo > 0) colsT.fill(0, o, o + owLo);
            let xi = ((n * H + ih) * W + owLo * sw - left + fw) * C + c;
            for (let ow = owLo; ow < owHi; ow++, xi += xStep) colsT[o + ow] = x[xi];
            if (owHi < OW) colsT.fill(0, o + owHi, o + OW);
          }
        }
      }
    }
  }
}

function conv2dBackpropFilter(backendName: PatchedBackendName, args: KernelArgs, way: FilterGradientWay): TensorInfo {
  const ops = opsFor(backendName, args.backend);
  const x = input(args.inputs, 'x', Conv2DBackpropFilter);
  const dy = input(args.inputs, 'dy', Conv2DBackpropFilter);
  // tfjs-core's conv2DBackpropFilter op passes exactly these attributes.
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  checkConvSupported(Conv2DBackpropFilter, args, attrs.dataFormat, [x, dy]);
  const info = backend_util.computeConv2DInfo(
    shape4(x, 'x', Conv2DBackpropFilter), attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const [N, OH, OW, CO] = shape4(dy, 'dy', Conv2DBackpropFilter);
  if (N !== info.batchSize || OH !== info.outHeight || OW !== info.outWidth || CO !== info.outChannels) {
    throw new Error(`${Conv2DBackpropFilter}: dy shape [${dy.shape}] does not match the convolution output [${info.outShape}]`);
  }
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const P = N * OH * OW;
  if (P === 0) {
    const zeros = ops.alloc([...attrs.filterShape]);
    ops.f32(zeros).fill(0);
    return zeros;
  }
  const colsT = ops.alloc([rows, P]);
  const wasmLoops = backendName === 'wasm' && way === 'wasm-loops';
  if (wasmLoops) {
    // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
    im2colTransposedWasm(args.backend as BackendWasm, x, info, colsT);
  } else {
    im2colTransposed(ops.f32(x), info, ops.f32(colsT));
  }
  if (wasmLoops && CO % 4 === 0) {
    const dw = ops.alloc([...attrs.filterShape]);
    gemmUnpacked(args.backend as BackendWasm, colsT, dy, dw, rows, P, CO);
    ops.dispose(colsT);
    return dw;
  }
  const dy2 = ops.reshape(dy, [P, CO]);
  const dw2 = ops.matMul(colsT, dy2);
  ops.dispose(colsT);
  const dw = ops.reshape(dw2, [...attrs.filterShape]);
  ops.dispose(dy2, dw2);
  return dw;
}

/**
 * How the wasm backend computes it: with our wasm loops (im2col, and the product by gemmUnpacked
 * when out channels are a multiple of 4), or as before them (im2col in JavaScript, XNNPACK's
 * product); bench/ compares the two. The cpu backend always takes the JavaScript im2col and its
 * stock product.
 */
export type FilterGradientWay = 'wasm-loops' | 'js-im2col-xnnpack';

export function conv2dBackpropFilterConfig(backendName: PatchedBackendName, way: FilterGradientWay = 'wasm-loops'): KernelConfig {
  return { kernelName: Conv2DBackpropFilter, backendName, kernelFunc: asKernelFunc((args) => conv2dBackpropFilter(backendName, args, way)) };
}
