// Small wasm (SIMD) loops that work in place on the tfjs wasm backend's heap: its WebAssembly.Memory
// is imported by a second module of ours (written by wasmAsm.ts at load time), so tensors are
// addressed by their heap offsets and nothing is copied. Used where tfjs has no single kernel, or
// only a slow one, and a JavaScript loop would be the bottleneck (~1 ns per element even for a
// copy; these run at ~0.1-0.3): Adam's update, im2col, a GEMM that needs no packing, transposes,
// interleaving convolution phases, column sums (bias gradients) and adding a bias to every row.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import { encodeModule, F32, forLoop, I32, op, seq, V128, type Code, type WasmFunction } from './wasmAsm';

/**
 * adam(w, m, v, g, wOut, mOut, vOut: byte offsets; n; b1, 1-b1, b2, 1-b2, c1, c2, eps, -lr):
 *   m' = m*b1 + g*(1-b1); v' = v*b2 + (g*g)*(1-b2); w' = ((m'/c1) / (sqrt(v'/c2) + eps)) * -lr + w
 * in float32, operation by operation as tfjs's AdamOptimizer does (so the results are the same).
 */
function adamFunction(): WasmFunction {
  const [w, m, v, g, wOut, mOut, vOut, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [b1, ob1, b2, ob2, c1, c2, eps, negLr] = [8, 9, 10, 11, 12, 13, 14, 15];
  const [i, at, vecEnd] = [16, 17, 18];
  const vectorConst = [19, 20, 21, 22, 23, 24, 25, 26];
  const [gv, mv, vv] = [27, 28, 29];
  const [gs, ms, vs] = [30, 31, 32];
  const address = (base: number) => seq(op.get(base), op.get(at), op.i32Add);
  // One lane group (SIMD) or one element (scalar) at byte offset `at`.
  const step = (simd: boolean): Code => {
    const load = simd ? op.v128Load() : op.f32Load();
    const store = simd ? op.v128Store() : op.f32Store();
    const [add, mul, div, sqrt] = simd ? [op.f32x4Add, op.f32x4Mul, op.f32x4Div, op.f32x4Sqrt] : [op.f32Add, op.f32Mul, op.f32Div, op.f32Sqrt];
    // Constant parameter p (8..15) as a scalar, or its splatted vector local.
    const k = (p: number) => op.get(simd ? vectorConst[p - b1] : p);
    const [gi, mi, vi] = simd ? [gv, mv, vv] : [gs, ms, vs];
    return seq(
      address(g), load, op.set(gi),
      address(m), load, k(b1), mul, op.get(gi), k(ob1), mul, add, op.set(mi),
      address(v), load, k(b2), mul, op.get(gi), op.get(gi), mul, k(ob2), mul, add, op.set(vi),
      address(mOut), op.get(mi), store,
      address(vOut), op.get(vi), store,
      address(wOut),
      op.get(mi), k(c1), div,
      op.get(vi), k(c2), div, sqrt, k(eps), add,
      div, k(negLr), mul,
      address(w), load, add,
      store,
    );
  };
  const byteOffset = seq(op.get(i), op.i32(2), op.i32Shl, op.set(at));
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    locals: [I32, I32, I32, ...vectorConst.map(() => V128), V128, V128, V128, F32, F32, F32],
    body: seq(
      ...vectorConst.map((local, j) => seq(op.get(b1 + j), op.f32x4Splat, op.set(local))),
      op.get(n), op.i32(-4), op.i32And, op.set(vecEnd),
      forLoop(i, op.i32(0), op.get(vecEnd), 4, seq(byteOffset, step(true))),
      forLoop(i, op.get(vecEnd), op.get(n), 1, seq(byteOffset, step(false))),
    ),
  };
}

/**
 * im2colT(x, cols: byte offsets; N, H, W, C, OH, OW, sh, sw, FH, FW, top, left):
 *   cols[(fh, fw, c), (n, oh, ow)] = x[n, oh*sh - top + fh, ow*sw - left + fw, c], 0 outside.
 * Reads each input pixel's channels contiguously and writes C rows of cols in step; addresses
 * advance by constant steps along a row of outputs.
 */
function im2colFunction(): WasmFunction {
  const [x, cols, N, H, W, C, OH, OW, sh, sw, FH, FW, top, left] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [fh, fw, n, oh, ow, c, ih, iw, src, dst, rowStride, tapBase, s, d, srcStep] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28];
  const add = (local: number, amount: Code) => seq(op.get(local), amount, op.i32Add, op.set(local));
  // C floats from src (contiguous) to dst, dst, ... rowStride bytes apart; one float without a loop.
  const copyChannels = seq(
    op.get(C), op.i32(1), op.i32Sub, op.i32Eqz,
    op.ifElse(
      seq(op.get(dst), op.get(src), op.f32Load(), op.f32Store()),
      seq(op.get(src), op.set(s), op.get(dst), op.set(d),
        forLoop(c, op.i32(0), op.get(C), 1, seq(
          op.get(d), op.get(s), op.f32Load(), op.f32Store(),
          add(s, op.i32(4)), add(d, op.get(rowStride)),
        ))),
    ),
  );
  const zeroChannels = seq(
    op.get(dst), op.set(d),
    forLoop(c, op.i32(0), op.get(C), 1, seq(op.get(d), op.f32(0), op.f32Store(), add(d, op.get(rowStride)))),
  );
  const inRange = (index: number, size: number) => seq(op.get(index), op.get(size), op.i32LtU); // unsigned: also index >= 0
  // dst = cols + 4 * (tapBase + (n*OH + oh)*OW)
  const rowStart = seq(
    op.get(cols), op.get(tapBase), op.get(n), op.get(OH), op.i32Mul, op.get(oh), op.i32Add, op.get(OW), op.i32Mul, op.i32Add,
    op.i32(2), op.i32Shl, op.i32Add, op.set(dst),
  );
  const outputRow = seq(
    op.get(oh), op.get(sh), op.i32Mul, op.get(top), op.i32Sub, op.get(fh), op.i32Add, op.set(ih),
    rowStart,
    inRange(ih, H),
    op.ifElse(
      seq(
        op.get(fw), op.get(left), op.i32Sub, op.set(iw),
        // src = x + 4 * ((n*H + ih)*W + iw)*C
        op.get(x), op.get(n), op.get(H), op.i32Mul, op.get(ih), op.i32Add, op.get(W), op.i32Mul, op.get(iw), op.i32Add, op.get(C), op.i32Mul,
        op.i32(2), op.i32Shl, op.i32Add, op.set(src),
        forLoop(ow, op.i32(0), op.get(OW), 1, seq(
          inRange(iw, W), op.ifElse(copyChannels, zeroChannels),
          add(iw, op.get(sw)), add(src, op.get(srcStep)), add(dst, op.i32(4)),
        )),
      ),
      forLoop(ow, op.i32(0), op.get(OW), 1, seq(zeroChannels, add(dst, op.i32(4)))),
    ),
  );
  return {
    name: 'im2colT',
    params: Array.from({ length: 14 }, () => I32),
    locals: Array.from({ length: 15 }, () => I32),
    body: seq(
      // rowStride = 4 * P bytes between channel rows; srcStep = 4 * sw * C bytes between outputs
      op.get(N), op.get(OH), op.i32Mul, op.get(OW), op.i32Mul, op.i32(2), op.i32Shl, op.set(rowStride),
      op.get(sw), op.get(C), op.i32Mul, op.i32(2), op.i32Shl, op.set(srcStep),
      forLoop(fh, op.i32(0), op.get(FH), 1,
        forLoop(fw, op.i32(0), op.get(FW), 1, seq(
          op.get(fh), op.get(FW), op.i32Mul, op.get(fw), op.i32Add, op.get(C), op.i32Mul,
          op.get(N), op.i32Mul, op.get(OH), op.i32Mul, op.get(OW), op.i32Mul, op.set(tapBase),
          forLoop(n, op.i32(0), op.get(N), 1,
            forLoop(oh, op.i32(0), op.get(OH), 1, outputRow)),
        ))),
    ),
  };
}

/**
 * im2colRows(x, cols: byte offsets; N, H, W, C, OH, OW, sh, sw, FH, FW, top, left):
 *   cols[(n, oh, ow), (fh, fw, c)] = x[n, oh*sh - top + fh, ow*sw - left + fw, c], 0 outside.
 * Row layout, for a convolution as cols . W[(fh, fw, c), co]: each tap is a run of C contiguous
 * floats on both sides (copied 4 at a time when C is a multiple of 4).
 */
function im2colRowsFunction(): WasmFunction {
  const [x, cols, N, H, W, C, OH, OW, sh, sw, FH, FW, top, left] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [n, oh, ow, fh, fw, c, ih, iw, src, dst, runBytes, vecBytes] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25];
  const add = (local: number, amount: Code) => seq(op.get(local), amount, op.i32Add, op.set(local));
  const inRange = (index: number, size: number) => seq(op.get(index), op.get(size), op.i32LtU); // unsigned: also index >= 0
  // One tap: C floats src -> dst (4 at a time up to vecBytes, then singly), or zeros; dst advances.
  const copyRun = seq(
    forLoop(c, op.i32(0), op.get(vecBytes), 16, seq(
      op.get(dst), op.get(c), op.i32Add, op.get(src), op.get(c), op.i32Add, op.v128Load(), op.v128Store(),
    )),
    forLoop(c, op.get(vecBytes), op.get(runBytes), 4, seq(
      op.get(dst), op.get(c), op.i32Add, op.get(src), op.get(c), op.i32Add, op.f32Load(), op.f32Store(),
    )),
  );
  const zeroRun = forLoop(c, op.i32(0), op.get(runBytes), 4, seq(op.get(dst), op.get(c), op.i32Add, op.f32(0), op.f32Store()));
  const tap = seq(
    op.get(ow), op.get(sw), op.i32Mul, op.get(left), op.i32Sub, op.get(fw), op.i32Add, op.set(iw),
    inRange(ih, H), inRange(iw, W), op.i32And,
    op.ifElse(seq(
      // src = x + ((n*H + ih)*W + iw) * C * 4
      op.get(x), op.get(n), op.get(H), op.i32Mul, op.get(ih), op.i32Add, op.get(W), op.i32Mul, op.get(iw), op.i32Add,
      op.get(runBytes), op.i32Mul, op.i32Add, op.set(src),
      copyRun,
    ), zeroRun),
    add(dst, op.get(runBytes)),
  );
  return {
    name: 'im2colRows',
    params: Array.from({ length: 14 }, () => I32),
    locals: Array.from({ length: 12 }, () => I32),
    body: seq(
      op.get(C), op.i32(2), op.i32Shl, op.set(runBytes),
      op.get(runBytes), op.i32(-16), op.i32And, op.set(vecBytes),
      op.get(cols), op.set(dst),
      forLoop(n, op.i32(0), op.get(N), 1,
        forLoop(oh, op.i32(0), op.get(OH), 1,
          forLoop(ow, op.i32(0), op.get(OW), 1,
            forLoop(fh, op.i32(0), op.get(FH), 1, seq(
              op.get(oh), op.get(sh), op.i32Mul, op.get(top), op.i32Sub, op.get(fh), op.i32Add, op.set(ih),
              forLoop(fw, op.i32(0), op.get(FW), 1, tap),
            ))))),
    ),
  };
}

/** colSum(x, out: byte offsets; rows, cols): out[j] = x[0, j] + x[1, j] + ... in row order (as tfjs's Sum adds). */
function colSumFunction(): WasmFunction {
  const [x, out, rows, cols] = [0, 1, 2, 3];
  const [r, j, at, rowBase, vecEnd] = [4, 5, 6, 7, 8];
  const byteOffset = seq(op.get(j), op.i32(2), op.i32Shl, op.set(at));
  const outAt = seq(op.get(out), op.get(at), op.i32Add);
  const xAt = seq(op.get(rowBase), op.get(at), op.i32Add);
  return {
    name: 'colSum',
    params: [I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32],
    body: seq(
      op.get(cols), op.i32(-4), op.i32And, op.set(vecEnd),
      forLoop(j, op.i32(0), op.get(cols), 1, seq(byteOffset, outAt, op.f32(0), op.f32Store())),
      forLoop(r, op.i32(0), op.get(rows), 1, seq(
        op.get(x), op.get(r), op.get(cols), op.i32Mul, op.i32(2), op.i32Shl, op.i32Add, op.set(rowBase),
        forLoop(j, op.i32(0), op.get(vecEnd), 4, seq(byteOffset, outAt, outAt, op.v128Load(), xAt, op.v128Load(), op.f32x4Add, op.v128Store())),
        forLoop(j, op.get(vecEnd), op.get(cols), 1, seq(byteOffset, outAt, outAt, op.f32Load(), xAt, op.f32Load(), op.f32Add, op.f32Store())),
      )),
    ),
  };
}

/**
 * stridedCopy(src, dst: byte offsets; blocks, runs, run, srcStep, srcSkip, dstStep, dstSkip): in
 * each of `blocks` blocks, `runs` runs of `run` contiguous floats, dst <- src; per run src
 * advances srcStep floats and dst dstStep, per block src a further srcSkip and dst dstSkip.
 * Interleaves the phases of a transposed convolution into dx.
 */
function stridedCopyFunction(): WasmFunction {
  const [src, dst, blocks, runs, run, srcStep, srcSkip, dstStep, dstSkip] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [b, k, c, s, d] = [9, 10, 11, 12, 13];
  const advance = (local: number, floats: number) => seq(op.get(local), op.get(floats), op.i32(2), op.i32Shl, op.i32Add, op.set(local));
  return {
    name: 'stridedCopy',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32],
    body: seq(
      op.get(src), op.set(s), op.get(dst), op.set(d),
      forLoop(b, op.i32(0), op.get(blocks), 1, seq(
        forLoop(k, op.i32(0), op.get(runs), 1, seq(
          forLoop(c, op.i32(0), op.get(run), 1, seq(
            op.get(d), op.get(c), op.i32(2), op.i32Shl, op.i32Add,
            op.get(s), op.get(c), op.i32(2), op.i32Shl, op.i32Add, op.f32Load(),
            op.f32Store(),
          )),
          advance(s, srcStep), advance(d, dstStep),
        )),
        advance(s, srcSkip), advance(d, dstSkip),
      )),
    ),
  };
}

/** addRows(x, row, out: byte offsets; rows, cols): out[r, j] = x[r, j] + row[j] (a bias added to every position). */
function addRowsFunction(): WasmFunction {
  const [x, row, out, rows, cols] = [0, 1, 2, 3, 4];
  const [r, j, at, rowBase, vecEnd] = [5, 6, 7, 8, 9];
  const byteOffset = seq(op.get(j), op.i32(2), op.i32Shl, op.set(at));
  const plus = (base: number, offset: number) => seq(op.get(base), op.get(offset), op.i32Add);
  const element = (simd: boolean) => seq(
    byteOffset,
    op.get(out), op.get(rowBase), op.i32Add, op.get(at), op.i32Add,
    op.get(x), op.get(rowBase), op.i32Add, op.get(at), op.i32Add, simd ? op.v128Load() : op.f32Load(),
    plus(row, at), simd ? op.v128Load() : op.f32Load(),
    simd ? op.f32x4Add : op.f32Add,
    simd ? op.v128Store() : op.f32Store(),
  );
  return {
    name: 'addRows',
    params: [I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32],
    body: seq(
      op.get(cols), op.i32(-4), op.i32And, op.set(vecEnd),
      forLoop(r, op.i32(0), op.get(rows), 1, seq(
        op.get(r), op.get(cols), op.i32Mul, op.i32(2), op.i32Shl, op.set(rowBase),
        forLoop(j, op.i32(0), op.get(vecEnd), 4, element(true)),
        forLoop(j, op.get(vecEnd), op.get(cols), 1, element(false)),
      )),
    ),
  };
}

/**
 * gemmN<4v>(a, b, out: byte offsets; M, K, bStride, outStride: bytes between rows):
 * out[M, 0:N] = a[M, K] . b[K, 0:N] with N = 4v (v = 1..4), a row-major and contiguous, b and out
 * row-major with the given row strides (so wider matrices go in column blocks), nothing packed.
 * Two rows of out at a time live in 2v SIMD registers; each k adds a[r, k] * b[k, :], in the k
 * order XNNPACK's GEMM uses too (measured: the same float32 results). For a convolution's filter
 * gradient (small M and N, long K = n*oh*ow) this skips XNNPACK's packing of b, which costs
 * several times the multiply there: 9x12544x16 in 0.07 ms against 0.59 ms.
 */
function gemmFunction(vectors: number): WasmFunction {
  const [a, b, out, M, K, bStride, outStride] = [0, 1, 2, 3, 4, 5, 6];
  const [r, kk, rowBytes, a0, a1, bp, rowEnd] = [7, 8, 9, 10, 11, 12, 13];
  const [s0, s1, bv] = [14, 15, 16];
  const acc = (row: number, j: number) => 17 + row * vectors + j;
  const js = Array.from({ length: vectors }, (_, j) => j);
  const zero = (rows: number) => seq(...js.flatMap((j) => Array.from({ length: rows }, (_, row) => seq(op.f32(0), op.f32x4Splat, op.set(acc(row, j))))));
  const kLoop = (rows: number) => seq(
    op.get(b), op.set(bp),
    forLoop(kk, op.i32(0), op.get(rowBytes), 4, seq(
      op.get(a0), op.get(kk), op.i32Add, op.f32Load(), op.f32x4Splat, op.set(s0),
      rows === 2 ? seq(op.get(a1), op.get(kk), op.i32Add, op.f32Load(), op.f32x4Splat, op.set(s1)) : [],
      ...js.map((j) => seq(
        op.get(bp), op.v128Load(16 * j), op.set(bv),
        op.get(acc(0, j)), op.get(s0), op.get(bv), op.f32x4Mul, op.f32x4Add, op.set(acc(0, j)),
        rows === 2 ? seq(op.get(acc(1, j)), op.get(s1), op.get(bv), op.f32x4Mul, op.f32x4Add, op.set(acc(1, j))) : [],
      )),
      op.get(bp), op.get(bStride), op.i32Add, op.set(bp),
    )),
  );
  // out row r at out + r * outStride
  const store = (rows: number) => seq(...js.flatMap((j) => Array.from({ length: rows }, (_, row) => seq(
    op.get(out), op.get(r), op.i32(row), op.i32Add, op.get(outStride), op.i32Mul, op.i32Add, op.get(acc(row, j)), op.v128Store(16 * j),
  ))));
  const setRows = seq(
    op.get(a), op.get(r), op.get(rowBytes), op.i32Mul, op.i32Add, op.set(a0),
    op.get(a0), op.get(rowBytes), op.i32Add, op.set(a1),
  );
  return {
    name: `gemmN${4 * vectors}`,
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128, V128, ...Array.from({ length: 2 * vectors }, () => V128)],
    body: seq(
      op.get(K), op.i32(2), op.i32Shl, op.set(rowBytes),
      op.get(M), op.i32(-2), op.i32And, op.set(rowEnd),
      forLoop(r, op.i32(0), op.get(rowEnd), 2, seq(setRows, zero(2), kLoop(2), store(2))),
      forLoop(r, op.get(rowEnd), op.get(M), 1, seq(setRows, zero(1), kLoop(1), store(1))),
    ),
  };
}

/**
 * transpose(src, dst: byte offsets; rows, cols): dst[c, r] = src[r, c]. In column strips of 16:
 * each source row gives 16 contiguous reads and 16 sequential write streams (the stock Transpose
 * computes every index separately: ~1.7 ns per element, this ~0.3).
 */
function transposeFunction(): WasmFunction {
  const [src, dst, rows, cols] = [0, 1, 2, 3];
  const [c0, cEnd, r, c, from, to, rowBytes] = [4, 5, 6, 7, 8, 9, 10];
  return {
    name: 'transpose',
    params: [I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, I32, I32, I32],
    body: seq(
      op.get(rows), op.i32(2), op.i32Shl, op.set(rowBytes),
      forLoop(c0, op.i32(0), op.get(cols), 16, seq(
        // cEnd = min(c0 + 16, cols)
        op.get(c0), op.i32(16), op.i32Add, op.get(cols), op.get(c0), op.i32(16), op.i32Add, op.get(cols), op.i32LtS, op.select, op.set(cEnd),
        forLoop(r, op.i32(0), op.get(rows), 1, seq(
          op.get(src), op.get(r), op.get(cols), op.i32Mul, op.get(c0), op.i32Add, op.i32(2), op.i32Shl, op.i32Add, op.set(from),
          op.get(dst), op.get(c0), op.get(rows), op.i32Mul, op.get(r), op.i32Add, op.i32(2), op.i32Shl, op.i32Add, op.set(to),
          forLoop(c, op.get(c0), op.get(cEnd), 1, seq(
            op.get(to), op.get(from), op.f32Load(), op.f32Store(),
            op.get(from), op.i32(4), op.i32Add, op.set(from),
            op.get(to), op.get(rowBytes), op.i32Add, op.set(to),
          )),
        )),
      )),
    ),
  };
}

/** Column-block widths gemmN handles: 4, 8, 12, 16. */
export const SMALL_GEMM_WIDTHS = [4, 8, 12, 16] as const;

type GemmBlock = (a: number, b: number, out: number, M: number, K: number, bStride: number, outStride: number) => void;

interface SimdExports {
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gemmN4: GemmBlock;
  gemmN8: GemmBlock;
  gemmN12: GemmBlock;
  gemmN16: GemmBlock;
  addRows(x: number, row: number, out: number, rows: number, cols: number): void;
  colSum(x: number, out: number, rows: number, cols: number): void;
  stridedCopy(src: number, dst: number, blocks: number, runs: number, run: number, srcStep: number, srcSkip: number, dstStep: number, dstSkip: number): void;
  adam(w: number, m: number, v: number, g: number, wOut: number, mOut: number, vOut: number, n: number,
    b1: number, ob1: number, b2: number, ob2: number, c1: number, c2: number, eps: number, negLr: number): void;
  im2colT(x: number, cols: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    sh: number, sw: number, FH: number, FW: number, top: number, left: number): void;
  im2colRows(x: number, cols: number, N: number, H: number, W: number, C: number, OH: number, OW: number,
    sh: number, sw: number, FH: number, FW: number, top: number, left: number): void;
}

/** The tfjs wasm heap. tfjs-backend-wasm's Emscripten module exposes its exports as `asm`. */
function heapMemory(backend: BackendWasm): WebAssembly.Memory {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('aelab kernels: cannot find the tfjs wasm heap (Module.asm.memory)');
  // Our modules import an unshared memory; tfjs 4.22 never runs wasm threads in Node (backend.ts).
  if (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer) {
    throw new Error('aelab kernels: the threaded tfjs wasm backend (shared memory) is not supported; use the single-threaded one');
  }
  return memory;
}

const generated = new Map<string, () => Uint8Array<ArrayBuffer>>();

/**
 * A generated module's exports bound to a backend's heap: compiled once (on first use), one
 * instance per heap; synchronous, so usable inside kernels.
 */
export function heapModule<Exports>(moduleName: string, functions: () => WasmFunction[]): (backend: BackendWasm) => Exports {
  let compiled: WebAssembly.Module | undefined;
  const instances = new WeakMap<WebAssembly.Memory, Exports>();
  generated.set(moduleName, () => encodeModule(moduleName, functions()));
  return (backend) => {
    const memory = heapMemory(backend);
    let exports = instances.get(memory);
    if (!exports) {
      compiled ??= new WebAssembly.Module(encodeModule(moduleName, functions()));
      exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as Exports;
      instances.set(memory, exports);
    }
    return exports;
  };
}

/** Every generated module's bytes by name (for `npm run wasm:text` and the tests). */
export function generatedModules(): Map<string, Uint8Array<ArrayBuffer>> {
  return new Map([...generated].map(([name, encode]) => [name, encode()]));
}

/** Our functions, bound to this backend's heap. */
export const simdKernels = heapModule<SimdExports>('aelab_simd', () => [
  adamFunction(), im2colFunction(), im2colRowsFunction(), colSumFunction(), stridedCopyFunction(), addRowsFunction(), transposeFunction(),
  ...SMALL_GEMM_WIDTHS.map((n) => gemmFunction(n / 4)),
]);

/** Byte offset of a tensor's values in the heap. */
export function heapOffset(backend: BackendWasm, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (!data) throw new Error(`aelab kernels: tensor [${info.shape}] has no data on the wasm backend`);
  return data.memoryOffset;
}

/** cols [(n, oh, ow), (fh, fw, ci)] for a convolution's forward pass, written by wasm. */
export function im2colRowsWasm(backend: BackendWasm, x: TensorInfo, info: backend_util.Conv2DInfo, cols: TensorInfo): void {
  simdKernels(backend).im2colRows(
    heapOffset(backend, x), heapOffset(backend, cols), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth,
    info.padInfo.top, info.padInfo.left,
  );
}

/** colsT for Conv2DBackpropFilter (see conv2d.ts), written by wasm. */
export function im2colTransposedWasm(backend: BackendWasm, x: TensorInfo, info: backend_util.Conv2DInfo, colsT: TensorInfo): void {
  simdKernels(backend).im2colT(
    heapOffset(backend, x), heapOffset(backend, colsT), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth,
    info.padInfo.top, info.padInfo.left,
  );
}

/**
 * out[M, N] = a[M, K] . b[K, N] (all float32, row-major, on the wasm heap) by gemmN in column
 * blocks of 16 (then 12, 8 or 4). N must be a multiple of 4.
 */
export function gemmUnpacked(backend: BackendWasm, a: TensorInfo, b: TensorInfo, out: TensorInfo, M: number, K: number, N: number): void {
  if (N % 4 !== 0) throw new Error(`gemmUnpacked: N must be a multiple of 4, got ${N}`);
  const kernels = simdKernels(backend);
  const blocks: Record<number, GemmBlock> = { 4: kernels.gemmN4, 8: kernels.gemmN8, 12: kernels.gemmN12, 16: kernels.gemmN16 };
  const [pa, pb, po] = [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out)];
  for (let col = 0; col < N; col += 16) {
    const width = Math.min(16, N - col);
    blocks[width](pa, pb + 4 * col, po + 4 * col, M, K, 4 * N, 4 * N);
  }
}

/** A float32 [rows, cols] matrix (any shape of that size) transposed into a new [cols, rows] tensor. */
export function transposeWasm(backend: BackendWasm, x: TensorInfo, rows: number, cols: number): TensorInfo {
  const out = backend.makeOutput([cols, rows], 'float32');
  simdKernels(backend).transpose(heapOffset(backend, x), heapOffset(backend, out), rows, cols);
  return out;
}
