// Conv2DBackpropInput for wasm: the input gradient of Conv2D, and the forward pass of
// Conv2DTranspose (so also the decoder's cost at scoring time). The stock wasm kernel is a naive
// C++ loop. Two ways, chosen per call:
//
// Phases ("sub-pixel" decomposition), for dx with several channels or stride 1: with stride s,
// output row i = s*q + r only receives filter taps fh = f0, f0 + s, ... (f0 = (r + padTop) mod s),
// from dy rows q + d - t. So each of the sh*sw phases (r, c) is a stride-1 cross-correlation of
// dy with a small sub-filter (those taps reversed, channels swapped), which XNNPACK's convolution
// does fast; we interleave the phases into dx. Exactly the multiply-adds needed (convolving a
// zero-upsampled dy would do s*s times more), and no [positions x taps*channels] intermediate.
//
// GEMM + col2im, for stride > 1 and dx with 1-3 channels (the decoder's last layer): XNNPACK's
// convolution is slow with so few output channels, while the product
//   cols[(n, oh, ow), (fh, fw, ci)] = dy[(n, oh, ow), co] . W^T[co, (fh, fw, ci)]
// is cheap and col2im then adds taps*channels values per position.
import {
  backend_util, Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs, type KernelConfig, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { wasmOps, type RawOps } from './rawOps';
import { checkConvSupported, outputColumnRange, shape4 } from './conv2d';

/** One axis of one output phase. */
export interface AxisPhase {
  /** Output positions of this phase (r, r + s, ...). */
  count: number;
  /** Filter taps that reach it: firstTap, firstTap + stride, ... (0: the phase is all zeros). */
  taps: number;
  firstTap: number;
  /** Padding of the stride-1 convolution over dy (never negative). */
  padBefore: number;
  padAfter: number;
  /** Leading outputs of that convolution to skip (where the exact padding would be negative). */
  skip: number;
}

/**
 * Phase r of a transposed convolution along one axis: dx has `inSize` positions, dy `outSize`,
 * the forward convolution pads `pad` before and has `filterSize` taps with `stride`.
 * dx[s*q + r] = sum_t dy[q + d - t] * w[firstTap + t*s], which as a cross-correlation with the
 * reversed taps needs padding taps - 1 - d before and count - outSize + d after (cropped if < 0).
 */
export function axisPhase(r: number, stride: number, filterSize: number, pad: number, inSize: number, outSize: number): AxisPhase {
  const count = r < inSize ? Math.ceil((inSize - r) / stride) : 0;
  const firstTap = (((r + pad) % stride) + stride) % stride;
  const taps = firstTap < filterSize ? Math.ceil((filterSize - firstTap) / stride) : 0;
  const d = (r + pad - firstTap) / stride;
  const before = taps - 1 - d;
  const after = count - outSize + d;
  return { count, taps, firstTap, padBefore: Math.max(0, before), padAfter: Math.max(0, after), skip: Math.max(0, before) - before };
}

/** sub[uh, uw, co, ci] = w[fh0 + (th-1-uh)*sh, fw0 + (tw-1-uw)*sw, ci, co]: reversed taps, in/out channels swapped. */
function fillSubFilter(w: Float32Array, info: backend_util.Conv2DInfo, ph: AxisPhase, pw: AxisPhase, sub: Float32Array): void {
  const { filterWidth: FW, inChannels: CI, outChannels: CO, strideHeight: sh, strideWidth: sw } = info;
  let o = 0;
  for (let uh = 0; uh < ph.taps; uh++) {
    const fh = ph.firstTap + (ph.taps - 1 - uh) * sh;
    for (let uw = 0; uw < pw.taps; uw++) {
      const fw = pw.firstTap + (pw.taps - 1 - uw) * sw;
      const base = (fh * FW + fw) * CI * CO;
      for (let co = 0; co < CO; co++) {
        for (let ci = 0; ci < CI; ci++) sub[o++] = w[base + ci * CO + co];
      }
    }
  }
}

/** dx[n, sh*q + rh, sw*p + rw, :] = phaseOut[n, q + skipH, p + skipW, :]. */
function scatterPhase(
  phaseOut: Float32Array, phaseShape: number[], info: backend_util.Conv2DInfo,
  rh: number, rw: number, ph: AxisPhase, pw: AxisPhase, dx: Float32Array,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, strideHeight: sh, strideWidth: sw } = info;
  const [, QH, QW] = phaseShape;
  const dxStep = sw * C;
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < ph.count; q++) {
      let src = ((n * QH + q + ph.skip) * QW + pw.skip) * C;
      let dst = ((n * H + sh * q + rh) * W + rw) * C;
      if (C === 1) {
        for (let p = 0; p < pw.count; p++, src++, dst += dxStep) dx[dst] = phaseOut[src];
      } else {
        for (let p = 0; p < pw.count; p++, dst += dxStep) {
          for (let c = 0; c < C; c++) dx[dst + c] = phaseOut[src++];
        }
      }
    }
  }
}

/** dx of a Conv2D with the given geometry, from dy [N, OH, OW, CO] and filter [FH, FW, CI, CO]. */
export function conv2dTransposeByPhases(ops: RawOps, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: FH, filterWidth: FW } = info;
  const { top, left } = info.padInfo;
  const phases: Array<{ rh: number; rw: number; ph: AxisPhase; pw: AxisPhase }> = [];
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      phases.push({ rh, rw, ph: axisPhase(rh, sh, FH, top, H, OH), pw: axisPhase(rw, sw, FW, left, W, OW) });
    }
  }
  const live = phases.filter(({ ph, pw }) => ph.count > 0 && pw.count > 0);
  const computed = live.filter(({ ph, pw }) => ph.taps > 0 && pw.taps > 0);
  const convolve = (ph: AxisPhase, pw: AxisPhase): TensorInfo => {
    const sub = ops.alloc([ph.taps, pw.taps, CO, CI]);
    fillSubFilter(ops.f32(filter), info, ph, pw, ops.f32(sub));
    const pad = [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]];
    const out = runStock('Conv2D', ops.name, ops.backend, { x: dy, filter: sub }, { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 });
    ops.dispose(sub);
    return out;
  };

  // Stride 1 with nothing to crop (e.g. 'valid'): the one phase is dx itself.
  if (computed.length === 1 && live.length === 1 && sh === 1 && sw === 1) {
    const { ph, pw } = computed[0];
    const out = convolve(ph, pw);
    if (ph.skip === 0 && pw.skip === 0 && out.shape[1] === H && out.shape[2] === W) return out;
    const dx = ops.alloc([N, H, W, CI]);
    scatterPhase(ops.f32(out), out.shape, info, 0, 0, ph, pw, ops.f32(dx));
    ops.dispose(out);
    return dx;
  }

  const dx = ops.alloc([N, H, W, CI]);
  // A phase no tap reaches stays zero (only when the filter is smaller than the stride).
  if (computed.length < live.length) ops.f32(dx).fill(0);
  for (const { rh, rw, ph, pw } of computed) {
    const out = convolve(ph, pw);
    // Views after the allocations: growing the wasm heap detaches older ones.
    scatterPhase(ops.f32(out), out.shape, info, rh, rw, ph, pw, ops.f32(dx));
    ops.dispose(out);
  }
  return dx;
}

/** dx (zeroed here first) += col2im(cols), cols[(n, oh, ow), (fh, fw, ci)]. */
export function col2imAdd(cols: Float32Array, info: backend_util.Conv2DInfo, dx: Float32Array): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: FH, filterWidth: FW } = info;
  const { top, left } = info.padInfo;
  const rowLen = FH * FW * C;
  const dxStep = sw * C;
  dx.fill(0);
  // One tap at a time: the valid output columns are then one range, with no test per element.
  for (let fh = 0; fh < FH; fh++) {
    for (let fw = 0; fw < FW; fw++) {
      const [owLo, owHi] = outputColumnRange(fw, left, sw, W, OW);
      const tap = (fh * FW + fw) * C;
      for (let n = 0; n < N; n++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh - top + fh;
          if (ih < 0 || ih >= H) continue;
          let d = ((n * H + ih) * W + owLo * sw - left + fw) * C;
          let s = ((n * OH + oh) * OW + owLo) * rowLen + tap;
          if (C === 1) {
            for (let ow = owLo; ow < owHi; ow++, d += dxStep, s += rowLen) dx[d] += cols[s];
          } else {
            for (let ow = owLo; ow < owHi; ow++, d += dxStep, s += rowLen) {
              for (let c = 0; c < C; c++) dx[d + c] += cols[s + c];
            }
          }
        }
      }
    }
  }
}

/** dx by one product and col2im (see the header). */
export function conv2dTransposeByGemm(ops: RawOps, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const P = N * OH * OW;
  const w2 = ops.reshape(filter, [rows, CO]);
  const wT = ops.transpose(w2, [1, 0]);
  const dy2 = ops.reshape(dy, [P, CO]);
  const cols = ops.matMul(dy2, wT);
  const dx = ops.alloc([N, info.inHeight, info.inWidth, info.inChannels]);
  // Views after the last allocation: growing the wasm heap detaches older ones.
  col2imAdd(ops.f32(cols), info, ops.f32(dx));
  ops.dispose(w2, wT, dy2, cols);
  return dx;
}

/** Phases pay off once XNNPACK has a few output channels to compute (measured: 1 loses 2x, 16 wins 1.5x). */
const PHASES_MIN_CHANNELS = 4;

export type TransposeMethod = 'phases' | 'gemm';

export function transposeMethod(info: backend_util.Conv2DInfo): TransposeMethod {
  return info.strideHeight * info.strideWidth === 1 || info.inChannels >= PHASES_MIN_CHANNELS ? 'phases' : 'gemm';
}

function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const ops = wasmOps(args.backend);
  const dy = input(args.inputs, 'dy', Conv2DBackpropInput);
  const filter = input(args.inputs, 'filter', Conv2DBackpropInput);
  // tfjs-core's conv2DBackpropInput op passes exactly these attributes.
  const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
  checkConvSupported(Conv2DBackpropInput, args, attrs.dataFormat, [dy, filter]);
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape, shape4(filter, 'filter', Conv2DBackpropInput), attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  const [N, OH, OW, CO] = shape4(dy, 'dy', Conv2DBackpropInput);
  if (N !== info.batchSize || OH !== info.outHeight || OW !== info.outWidth || CO !== info.outChannels) {
    throw new Error(`${Conv2DBackpropInput}: dy shape [${dy.shape}] does not match the convolution output [${info.outShape}]`);
  }
  if (N * OH * OW * CO === 0 || info.inChannels === 0 || N * info.inHeight * info.inWidth === 0) {
    const dx = ops.alloc([...attrs.inputShape]);
    ops.f32(dx).fill(0);
    return dx;
  }
  return transposeMethod(info) === 'phases' ? conv2dTransposeByPhases(ops, dy, filter, info) : conv2dTransposeByGemm(ops, dy, filter, info);
}

export function conv2dBackpropInputConfig(): KernelConfig {
  return { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: asKernelFunc(conv2dBackpropInput) };
}
