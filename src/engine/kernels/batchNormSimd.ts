// The batch-norm kernels' passes over [n, c] (c a multiple of 4) as wasm SIMD loops on the tfjs
// heap, in a module of their own (written by wasmAsm.ts at load time, like simd.ts's). JS loops
// over the heap views took ~0.26 ms forward and ~0.29 ms backward at [64, 512] (~3 ns per element
// and pass); these run the same passes ~5-10x faster. Reductions walk one 4-column block down all
// rows with the sums in registers (64 rows x 16 bytes stay in L1); element-wise passes go row by row.
import { heapModule } from './simd';
import { F32, forLoop, I32, op, seq, V128, type Code, type WasmFunction } from './wasmAsm';

const load = (base: number, offset: number): Code => seq(op.get(base), op.get(offset), op.i32Add, op.v128Load());
const zero = seq(op.f32(0), op.f32x4Splat);

/**
 * bnStats(x, mean, variance: byte offsets; n, c; nf = n as f32): per column, mean = sum / n, then
 * variance = sum((x - mean)^2) / n (biased, two-pass as tf.moments).
 */
function statsFunction(): WasmFunction {
  const [x, mean, variance, n, c, nf] = [0, 1, 2, 3, 4, 5];
  const [j, off, end, rowBytes, acc, m, d, nv] = [6, 7, 8, 9, 10, 11, 12, 13];
  const rows = (body: Code) => seq(
    op.get(j), op.get(n), op.get(rowBytes), op.i32Mul, op.i32Add, op.set(end),
    forLoop(off, op.get(j), op.get(end), op.get(rowBytes), body),
  );
  return {
    name: 'bnStats',
    params: [I32, I32, I32, I32, I32, F32],
    locals: [I32, I32, I32, I32, V128, V128, V128, V128],
    body: seq(
      op.get(c), op.i32(2), op.i32Shl, op.set(rowBytes),
      op.get(nf), op.f32x4Splat, op.set(nv),
      forLoop(j, op.i32(0), op.get(rowBytes), 16, seq(
        zero, op.set(acc),
        rows(seq(op.get(acc), load(x, off), op.f32x4Add, op.set(acc))),
        op.get(acc), op.get(nv), op.f32x4Div, op.set(m),
        op.get(mean), op.get(j), op.i32Add, op.get(m), op.v128Store(),
        zero, op.set(acc),
        rows(seq(load(x, off), op.get(m), op.f32x4Sub, op.tee(d), op.get(d), op.f32x4Mul, op.get(acc), op.f32x4Add, op.set(acc))),
        op.get(variance), op.get(j), op.i32Add, op.get(acc), op.get(nv), op.f32x4Div, op.v128Store(),
      )),
    ),
  };
}

/**
 * An element-wise pass over [n, c] (locals and params by index): for every row r and 4-column
 * block at byte j of it, at = r * rowBytes + j, and out[at] = the v128 that `value` leaves.
 */
function eachVector(l: { out: number; n: number; c: number; r: number; j: number; rowBytes: number; at: number }, value: Code): Code {
  return seq(
    op.get(l.c), op.i32(2), op.i32Shl, op.set(l.rowBytes),
    forLoop(l.r, op.i32(0), op.get(l.n), 1, forLoop(l.j, op.i32(0), op.get(l.rowBytes), 16, seq(
      op.get(l.r), op.get(l.rowBytes), op.i32Mul, op.get(l.j), op.i32Add, op.set(l.at),
      op.get(l.out), op.get(l.at), op.i32Add, value, op.v128Store(),
    ))),
  );
}

/** bnAffine(x, mean, scale, beta, out: byte offsets; n, c): out = (x - mean) * scale + beta per column. */
function affineFunction(): WasmFunction {
  const [x, mean, scale, beta, out, n, c] = [0, 1, 2, 3, 4, 5, 6];
  const [r, j, rowBytes, at] = [7, 8, 9, 10];
  return {
    name: 'bnAffine',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32],
    body: eachVector({ out, n, c, r, j, rowBytes, at },
      seq(load(x, at), load(mean, j), op.f32x4Sub, load(scale, j), op.f32x4Mul, load(beta, j), op.f32x4Add)),
  };
}

/** bnGradSums(dy, x, mean, sumDy, sumDyXc: byte offsets; n, c): per column sum(dy), sum(dy (x - mean)). */
function gradSumsFunction(): WasmFunction {
  const [dy, x, mean, sumDy, sumDyXc, n, c] = [0, 1, 2, 3, 4, 5, 6];
  const [j, off, end, rowBytes, accA, accB, m, g] = [7, 8, 9, 10, 11, 12, 13, 14];
  return {
    name: 'bnGradSums',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, V128, V128, V128, V128],
    body: seq(
      op.get(c), op.i32(2), op.i32Shl, op.set(rowBytes),
      forLoop(j, op.i32(0), op.get(rowBytes), 16, seq(
        zero, op.set(accA), zero, op.set(accB), load(mean, j), op.set(m),
        op.get(j), op.get(n), op.get(rowBytes), op.i32Mul, op.i32Add, op.set(end),
        forLoop(off, op.get(j), op.get(end), op.get(rowBytes), seq(
          load(dy, off), op.tee(g), op.get(accA), op.f32x4Add, op.set(accA),
          op.get(g), load(x, off), op.get(m), op.f32x4Sub, op.f32x4Mul, op.get(accB), op.f32x4Add, op.set(accB),
        )),
        op.get(sumDy), op.get(j), op.i32Add, op.get(accA), op.v128Store(),
        op.get(sumDyXc), op.get(j), op.i32Add, op.get(accB), op.v128Store(),
      )),
    ),
  };
}

/** bnGradDx(dy, x, mean, a, b, d, out: byte offsets; n, c): out = a dy + b (x - mean) + d per column. */
function gradDxFunction(): WasmFunction {
  const [dy, x, mean, a, b, d, out, n, c] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [r, j, rowBytes, at] = [9, 10, 11, 12];
  return {
    name: 'bnGradDx',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32],
    body: eachVector({ out, n, c, r, j, rowBytes, at }, seq(
      load(a, j), load(dy, at), op.f32x4Mul,
      load(b, j), load(x, at), load(mean, j), op.f32x4Sub, op.f32x4Mul, op.f32x4Add,
      load(d, j), op.f32x4Add,
    )),
  };
}

export interface BatchNormSimd {
  bnStats(x: number, mean: number, variance: number, n: number, c: number, nf: number): void;
  bnAffine(x: number, mean: number, scale: number, beta: number, out: number, n: number, c: number): void;
  bnGradSums(dy: number, x: number, mean: number, sumDy: number, sumDyXc: number, n: number, c: number): void;
  bnGradDx(dy: number, x: number, mean: number, a: number, b: number, d: number, out: number, n: number, c: number): void;
}

/** The batch-norm loops bound to this backend's heap. */
export const batchNormSimd = heapModule<BatchNormSimd>('aelab_batchnorm', () => [statsFunction(), affineFunction(), gradSumsFunction(), gradDxFunction()]);
