// The few primitives our kernels are built from, for the wasm and cpu backends: allocate a float32
// tensor, see its values as a Float32Array, and the stock Reshape / Transpose / BatchMatMul.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { util, type KernelBackend, type TensorInfo } from '@tensorflow/tfjs-core';
import { runStock, type PatchedBackendName } from './registry';

export interface RawOps {
  readonly name: PatchedBackendName;
  readonly backend: KernelBackend;
  /** A new float32 tensor. Its contents are undefined (wasm) until written. */
  alloc(shape: number[]): TensorInfo;
  /**
   * The values of a float32 tensor. On wasm this is a view of the heap: take it after the last
   * allocation and use it before the next one (growing the heap detaches old views).
   */
  f32(info: TensorInfo): Float32Array;
  reshape(x: TensorInfo, shape: number[]): TensorInfo;
  transpose(x: TensorInfo, perm: number[]): TensorInfo;
  /** The stock BatchMatMul without transposes: a [..., m, k] x b [..., k, n]. */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo;
  /** Releases intermediate tensors made by the methods above. */
  dispose(...infos: TensorInfo[]): void;
}

function checkedF32(values: unknown, what: string): Float32Array {
  if (!(values instanceof Float32Array)) throw new Error(`aelab kernel: expected float32 values for ${what}`);
  return values;
}

function common(name: PatchedBackendName, backend: KernelBackend): Pick<RawOps, 'name' | 'backend' | 'reshape' | 'transpose' | 'matMul' | 'dispose'> {
  return {
    name,
    backend,
    reshape: (x, shape) => runStock('Reshape', name, backend, { x }, { shape }),
    transpose: (x, perm) => runStock('Transpose', name, backend, { x }, { perm }),
    matMul: (a, b) => runStock('BatchMatMul', name, backend, { a, b }, { transposeA: false, transposeB: false }),
    dispose: (...infos) => { for (const info of infos) backend.disposeData(info.dataId); },
  };
}

export function wasmOps(backend: KernelBackend): RawOps {
  // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
  const wasm = backend as BackendWasm;
  return {
    ...common('wasm', backend),
    alloc: (shape) => wasm.makeOutput(shape, 'float32'),
    f32: (info) => checkedF32(wasm.typedArrayFromHeap(info), `tensor [${info.shape}] (${info.dtype})`),
  };
}

export function cpuOps(backend: KernelBackend): RawOps {
  // Kernels registered for 'cpu' are only ever called with the MathBackendCPU instance.
  const cpu = backend as MathBackendCPU;
  return {
    ...common('cpu', backend),
    alloc: (shape) => cpu.makeTensorInfo(shape, 'float32', new Float32Array(util.sizeFromShape(shape))),
    f32: (info) => checkedF32(cpu.data.get(info.dataId).values, `tensor [${info.shape}] (${info.dtype})`),
  };
}

export function opsFor(name: PatchedBackendName, backend: KernelBackend): RawOps {
  return name === 'wasm' ? wasmOps(backend) : cpuOps(backend);
}
