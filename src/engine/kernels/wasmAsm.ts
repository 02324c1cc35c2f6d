// A minimal WebAssembly encoder: enough to write small loops (scalar and SIMD f32x4) over the
// tfjs wasm heap, imported as memory "env"."memory". We have no wasm toolchain at build time, and
// element-wise passes written in JavaScript run at ~1 ns per element against ~0.1 ns in wasm SIMD.
// Instructions are byte arrays; a function body is their concatenation.

export type Code = number[];

export type ValType = 0x7f | 0x7d | 0x7b;
export const I32: ValType = 0x7f;
export const F32: ValType = 0x7d;
export const V128: ValType = 0x7b;

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const simd = (opcode: number): Code => [0xfd, ...uleb(opcode)];
/** memarg: alignment hint (log2 bytes; 0 is always valid) and a constant offset. */
const memarg = (offset: number): Code => [0, ...uleb(offset)];

/** The instructions used by our kernels (opcodes from the WebAssembly core and SIMD specs). */
export const op = {
  get: (local: number): Code => [0x20, ...uleb(local)],
  set: (local: number): Code => [0x21, ...uleb(local)],
  tee: (local: number): Code => [0x22, ...uleb(local)],
  i32: (value: number): Code => [0x41, ...sleb(value)],
  f32: (value: number): Code => {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return [0x43, ...bytes];
  },
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32And: [0x71], i32Shl: [0x74],
  i32LtU: [0x49], i32LtS: [0x48], i32GeS: [0x4e], i32Eqz: [0x45],
  /** [a, b, condition] -> condition ? a : b */
  select: [0x1b],
  f32Load: (offset = 0): Code => [0x2a, ...memarg(offset)],
  f32Store: (offset = 0): Code => [0x38, ...memarg(offset)],
  f32Add: [0x92], f32Sub: [0x93], f32Mul: [0x94], f32Div: [0x95], f32Sqrt: [0x91],
  v128Load: (offset = 0): Code => [...simd(0x00), ...memarg(offset)],
  v128Store: (offset = 0): Code => [...simd(0x0b), ...memarg(offset)],
  f32x4Splat: simd(0x13),
  f32x4Sqrt: simd(0xe3), f32x4Add: simd(0xe4), f32x4Sub: simd(0xe5), f32x4Mul: simd(0xe6), f32x4Div: simd(0xe7),
  /** if (condition on the stack) { then } else { otherwise } */
  ifElse: (then: Code, otherwise: Code = []): Code => [0x04, 0x40, ...then, ...(otherwise.length ? [0x05, ...otherwise] : []), 0x0b],
};

/** Concatenates instruction lists. */
export function seq(...parts: Code[]): Code {
  return parts.flat();
}

/** for (local = start; local < end; local += step) body. `end` is an expression (evaluated each turn). */
export function forLoop(local: number, start: Code, end: Code, step: number | Code, body: Code): Code {
  const increment = typeof step === 'number' ? op.i32(step) : step;
  return seq(
    start, op.set(local),
    [0x02, 0x40, 0x03, 0x40], // block { loop {
    op.get(local), end, op.i32GeS, [0x0d, 1], // br_if out of the block
    body,
    op.get(local), increment, op.i32Add, op.set(local),
    [0x0c, 0], // br to the loop head
    [0x0b, 0x0b], // } }
  );
}

export interface WasmFunction {
  name: string;
  params: ValType[];
  locals: ValType[];
  body: Code;
}

function vec(items: Code[]): Code {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, content: Code): Code {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): Code {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * The "name" custom section: the module's name and each function's, so a wasm stack trace or a
 * profiler says `aelab_simd.gemm8` instead of `wasm-function[7]`.
 */
function nameSection(moduleName: string, functions: WasmFunction[]): Code {
  const subsection = (id: number, content: Code): Code => [id, ...uleb(content.length), ...content];
  const functionNames = vec(functions.map((f, i) => [...uleb(i), ...name(f.name)]));
  return section(0, [...name('name'), ...subsection(0, name(moduleName)), ...subsection(1, functionNames)]);
}

/**
 * A module named `moduleName`, importing memory "env"."memory" and exporting each function (no
 * results) by name, with a name section.
 */
export function encodeModule(moduleName: string, functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  const imports = [[...name('env'), ...name('memory'), 0x02, 0x00, ...uleb(1)]];
  const declarations = functions.map((_, i) => uleb(i));
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const content = [...locals, ...f.body, 0x0b];
    return [...uleb(content.length), ...content];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(declarations)),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
    ...nameSection(moduleName, functions),
  ]);
}
