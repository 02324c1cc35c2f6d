// Identity for wasm without a copy. The stock kernel copies the tensor into new heap memory; tfjs
// never writes into a tensor's memory after creating it (Variable.assign swaps the data id), so
// the output can share the input's data with one more reference, as the cpu backend does and as
// wasm's own Reshape does. fcn-deep runs ~230 Identity calls a step (gradient bookkeeping).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { Identity, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { asKernelFunc, input, runStock, type KernelArgs } from './registry';

function identity(args: KernelArgs): TensorInfo {
  const x = input(args.inputs, 'x', Identity);
  if (x.dtype === 'string') return runStock(Identity, 'wasm', args.backend, args.inputs);
  // Kernels registered for 'wasm' are only ever called with the BackendWasm instance.
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export function identityConfig(): KernelConfig {
  return { kernelName: Identity, backendName: 'wasm', kernelFunc: asKernelFunc(identity) };
}
