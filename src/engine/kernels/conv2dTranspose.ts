// Conv2DBackpropInput for wasm: the input gradient of Conv2D, and the forward pass of
// Conv2DTranspose (so also the decoder's cost at scoring time). The stock wasm kernel is a naive
// C++ loop. We use XNNPACK's fast stride-1 convolution instead ("sub-pixel" decomposition):
//
// With stride s, output row i = s*q + r only receives filter taps fh = f0, f0 + s, ...
// (f0 = (r + padTop) mod s), from dy rows q + d - t. So each of the sh*sw phases (r, c) is a
// stride-1 cross-correlation of dy with a small sub-filter (those taps reversed, channels
// swapped). Exactly the multiply-adds needed (convolving a zero-upsampled dy would do s*s times
// more), and no [positions x taps*channels] intermediate.
//   phases:   one stock Conv2D per phase, interleaved into dx by a wasm loop (dx with many channels)
//   combined: one stock Conv2D whose output channels are all phases side by side, zero where a
//             phase lacks a tap, then depth-to-space (dx with few channels, e.g. the decoder's last)
//   gemm:     cols = dy . W^T by one product, then col2im (the earlier method; kept for bench/)
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  backend_util, Conv2DBackpropInput,
  type Conv2DAttrs, type Conv2DBackpropInputAttrs, type KernelConfig, type TensorInfo,
} from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';
import { wasmOps, type RawOps } from './rawOps';
import { checkConvSupported, outputColumnRange, shape4 } from './conv2d';
import { conv2dByGemm } from './conv2dForward';
import { heapOffset, simdKernels } from './simd';

/** tfjs's explicit padding: [[0, 0], [top, bottom], [left, right], [0, 0]] for NHWC. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

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

/** scatterPhase on the wasm heap, by our wasm loop (the JavaScript one costs ~1 ns per element). */
function scatterPhaseWasm(
  backend: BackendWasm, phaseOut: TensorInfo, info: backend_util.Conv2DInfo, rh: number, rw: number, ph: AxisPhase, pw: AxisPhase, dx: TensorInfo,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, strideHeight: sh, strideWidth: sw } = info;
  const [, QH, QW] = phaseOut.shape;
  const copy = simdKernels(backend).stridedCopy;
  const src = heapOffset(backend, phaseOut);
  const dst = heapOffset(backend, dx);
  for (let n = 0; n < N; n++) {
    const from = src + 4 * ((n * QH + ph.skip) * QW + pw.skip) * C;
    const to = dst + 4 * ((n * H + rh) * W + rw) * C;
    // ph.count rows of pw.count pixels of C floats; dx pixels sw apart, rows sh apart.
    copy(from, to, ph.count, pw.count, C, C, (QW - pw.count) * C, sw * C, (sh * W - pw.count * sw) * C);
  }
}

/** A stride-1 convolution with explicit padding: by our im2col + GEMM on wasm where it applies, else the stock Conv2D. */
function stride1Conv(ops: RawOps, x: TensorInfo, filter: TensorInfo, pad: ExplicitPadding): TensorInfo {
  const attrs: Conv2DAttrs = { strides: 1, pad, dataFormat: 'NHWC', dilations: 1 };
  // RawOps named 'wasm' always hold the BackendWasm instance.
  const ours = ops.name === 'wasm' ? conv2dByGemm(ops.backend as BackendWasm, x, filter, attrs) : undefined;
  return ours ?? runStock('Conv2D', ops.name, ops.backend, { x, filter }, { ...attrs });
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
    const pad: ExplicitPadding = [[0, 0], [ph.padBefore, ph.padAfter], [pw.padBefore, pw.padAfter], [0, 0]];
    const out = stride1Conv(ops, dy, sub, pad);
    ops.dispose(sub);
    return out;
  };

  const scatter = (out: TensorInfo, rh: number, rw: number, ph: AxisPhase, pw: AxisPhase, dx: TensorInfo): void => {
    if (ops.name === 'wasm') {
      // RawOps named 'wasm' always hold the BackendWasm instance.
      scatterPhaseWasm(ops.backend as BackendWasm, out, info, rh, rw, ph, pw, dx);
    } else {
      // Views after the allocations: growing the wasm heap detaches older ones.
      scatterPhase(ops.f32(out), out.shape, info, rh, rw, ph, pw, ops.f32(dx));
    }
  };

  // Stride 1 with nothing to crop (e.g. 'valid'): the one phase is dx itself.
  if (computed.length === 1 && live.length === 1 && sh === 1 && sw === 1) {
    const { ph, pw } = computed[0];
    const out = convolve(ph, pw);
    if (ph.skip === 0 && pw.skip === 0 && out.shape[1] === H && out.shape[2] === W) return out;
    const dx = ops.alloc([N, H, W, CI]);
    scatter(out, 0, 0, ph, pw, dx);
    ops.dispose(out);
    return dx;
  }

  const dx = ops.alloc([N, H, W, CI]);
  // A phase no tap reaches stays zero (only when the filter is smaller than the stride).
  if (computed.length < live.length) ops.f32(dx).fill(0);
  for (const { rh, rw, ph, pw } of computed) {
    const out = convolve(ph, pw);
    scatter(out, rh, rw, ph, pw, dx);
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

/** One axis of the combined convolution: the union of every phase's taps, as offsets into dy. */
interface CombinedAxis {
  phases: AxisPhase[];
  /** dy offset (relative to the phase output q) of each phase's first tap. */
  offsets: number[];
  window: number;
  padBefore: number;
  padAfter: number;
  skip: number;
}

function combinedAxis(stride: number, filterSize: number, pad: number, inSize: number, outSize: number): CombinedAxis {
  const phases = Array.from({ length: stride }, (_, r) => axisPhase(r, stride, filterSize, pad, inSize, outSize));
  // Phase r's conv reads dy[q + skip + u - padBefore] for its taps u = 0 .. taps-1.
  const offsets = phases.map((p) => p.skip - p.padBefore);
  const used = phases.map((p, r) => ({ lo: offsets[r], hi: offsets[r] + p.taps - 1 })).filter((_, r) => phases[r].taps > 0);
  const lo = Math.min(...used.map((u) => u.lo));
  const hi = Math.max(...used.map((u) => u.hi));
  const window = hi - lo + 1;
  const padBefore = Math.max(0, -lo);
  const skip = Math.max(0, lo);
  const count = Math.max(...phases.map((p) => p.count));
  const padAfter = Math.max(0, count + skip - outSize - padBefore + window - 1);
  return { phases, offsets: offsets.map((o) => o - lo), window, padBefore, padAfter, skip };
}

/**
 * dx by ONE stride-1 convolution whose output channels are all the phases side by side (s*s*CI
 * of them; taps a phase does not use are zero), then a depth-to-space interleave. For few dx
 * channels: XNNPACK computes output channels in groups of 8 whatever the count, so one call with
 * 4 channels costs about what each of the four 1-channel phase calls does.
 */
export function conv2dTransposeByCombinedPhases(ops: RawOps, dy: TensorInfo, filter: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, filterWidth: FW } = info;
  const ah = combinedAxis(sh, info.filterHeight, info.padInfo.top, H, OH);
  const aw = combinedAxis(sw, FW, info.padInfo.left, W, OW);
  const channels = sh * sw * CI;
  const combined = ops.alloc([ah.window, aw.window, CO, channels]);
  const g = ops.f32(combined);
  g.fill(0);
  const w = ops.f32(filter);
  for (let rh = 0; rh < sh; rh++) {
    const ph = ah.phases[rh];
    for (let rw = 0; rw < sw; rw++) {
      const pw = aw.phases[rw];
      const phaseChannel = (rh * sw + rw) * CI;
      for (let uh = 0; uh < ph.taps; uh++) {
        const fh = ph.firstTap + (ph.taps - 1 - uh) * sh;
        const kh = ah.offsets[rh] + uh;
        for (let uw = 0; uw < pw.taps; uw++) {
          const fw = pw.firstTap + (pw.taps - 1 - uw) * sw;
          const kw = aw.offsets[rw] + uw;
          for (let co = 0; co < CO; co++) {
            const to = ((kh * aw.window + kw) * CO + co) * channels + phaseChannel;
            for (let ci = 0; ci < CI; ci++) g[to + ci] = w[((fh * FW + fw) * CI + ci) * CO + co];
          }
        }
      }
    }
  }
  const pad: ExplicitPadding = [[0, 0], [ah.padBefore, ah.padAfter], [aw.padBefore, aw.padAfter], [0, 0]];
  const out = stride1Conv(ops, dy, combined, pad);
  ops.dispose(combined);
  const dx = ops.alloc([N, H, W, CI]);
  const [, QH, QW] = out.shape;
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      depthToSpace(ops, out, [QH, QW, channels], (rh * sw + rw) * CI, info, rh, rw, ah.phases[rh].count, aw.phases[rw].count, ah.skip, aw.skip, dx);
    }
  }
  ops.dispose(out);
  return dx;
}

/** dx[n, sh*q + rh, sw*p + rw, :] = out[n, q + skipH, p + skipW, channel .. channel + CI). */
function depthToSpace(
  ops: RawOps, out: TensorInfo, [QH, QW, C]: number[], channel: number, info: backend_util.Conv2DInfo,
  rh: number, rw: number, rows: number, cols: number, skipH: number, skipW: number, dx: TensorInfo,
): void {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: CI, strideHeight: sh, strideWidth: sw } = info;
  if (rows === 0 || cols === 0) return;
  if (ops.name === 'wasm') {
    // RawOps named 'wasm' always hold the BackendWasm instance.
    const backend = ops.backend as BackendWasm;
    const src = heapOffset(backend, out);
    const dst = heapOffset(backend, dx);
    for (let n = 0; n < N; n++) {
      const from = src + 4 * (((n * QH + skipH) * QW + skipW) * C + channel);
      const to = dst + 4 * ((n * H + rh) * W + rw) * CI;
      simdKernels(backend).stridedCopy(from, to, rows, cols, CI, C, (QW - cols) * C, sw * CI, (sh * W - cols * sw) * CI);
    }
    return;
  }
  // Views after the allocations: growing the wasm heap detaches older ones.
  const o = ops.f32(out);
  const d = ops.f32(dx);
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < rows; q++) {
      for (let p = 0; p < cols; p++) {
        const from = ((n * QH + q + skipH) * QW + p + skipW) * C + channel;
        const to = ((n * H + sh * q + rh) * W + sw * p + rw) * CI;
        for (let ci = 0; ci < CI; ci++) d[to + ci] = o[from + ci];
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

/**
 * XNNPACK computes output channels in groups of 8 however many there are. Separate phase calls
 * win once each has plenty (measured, dy [64,7,7,16] -> dx with CI channels, 3x3 stride 2:
 * CI 8: 0.28 ms phases, 0.39 combined; CI 4: 0.27 / 0.20; CI 1 (dy 14x14): 1.08 / 0.44, with
 * GEMM + col2im at 0.43). So: combined while the phases together have at most 16 channels.
 */
const COMBINED_MAX_CHANNELS = 16;

export type TransposeMethod = 'phases' | 'combined' | 'gemm';

export function transposeMethod(info: backend_util.Conv2DInfo): TransposeMethod {
  const phases = info.strideHeight * info.strideWidth;
  // Stride 1 has a single phase, which needs no interleaving.
  return phases === 1 || phases * info.inChannels > COMBINED_MAX_CHANNELS ? 'phases' : 'combined';
}

function conv2dBackpropInput(args: KernelArgs, method: TransposeMethod | undefined): TensorInfo {
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
  const chosen = method ?? transposeMethod(info);
  if (chosen === 'phases') return conv2dTransposeByPhases(ops, dy, filter, info);
  if (chosen === 'combined') return conv2dTransposeByCombinedPhases(ops, dy, filter, info);
  return conv2dTransposeByGemm(ops, dy, filter, info);
}

/** `method` fixes one way for every call (bench/ compares them); by default chosen per call. */
export function conv2dBackpropInputConfig(method?: TransposeMethod): KernelConfig {
  return { kernelName: Conv2DBackpropInput, backendName: 'wasm', kernelFunc: asKernelFunc((args) => conv2dBackpropInput(args, method)) };
}
