// The kernels aelab adds to TensorFlow.js backends, and switches to install / remove them.
//   wasm: Conv2DBackpropFilter (missing in tfjs-backend-wasm 4.22), Conv2DBackpropInput (stock is
//         a naive loop; also the Conv2DTranspose forward pass), BatchMatMul and _FusedMatMul
//         (stock takes XNNPACK only for untransposed, unbatched operands, and packs weights
//         slowly), Tile (stock is per-element; batch-norm gradients tile every step), Sum over all
//         axes but the last (bias gradients; stock transposes first), Add of a bias (stock
//         broadcasts per element), Slice / SplitV of contiguous pieces (stock copies the whole
//         input out of the heap per piece), Identity (shares data instead of copying), AelabAdam (one-pass Adam update, used by
//         FusedAdamOptimizer / createAdam), AelabBatchNormTrain / AelabBatchNormGrad (training-mode
//         batch norm of layers/batchNormalization.ts in one kernel each way).
//   cpu:  Conv2DBackpropFilter (stock costs ~2 s a call on a small CNN), AelabAdam, the batch-norm pair.
// Installing is idempotent; uninstalling restores the stock kernels (used by tests and benches).
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { adamKernelConfig } from './adam';
import { addBiasConfig } from './addBias';
import { batchNormGradConfig, batchNormTrainConfig } from './batchNorm';
import { conv2dBackpropFilterConfig } from './conv2d';
import { conv2dBackpropInputConfig } from './conv2dTranspose';
import { batchMatMulConfig, fusedMatMulConfig } from './matMul';
import { identityConfig } from './identity';
import { sliceConfig, splitVConfig } from './slice';
import { sumConfig } from './sum';
import { tileConfig } from './tile';
import { installKernel, isInstalled, uninstallKernel, type PatchedBackendName } from './registry';

export type { PatchedBackendName } from './registry';
export { createAdam, FusedAdamOptimizer } from './adam';

const factories: Record<PatchedBackendName, Array<() => KernelConfig>> = {
  wasm: [
    () => conv2dBackpropFilterConfig('wasm'), () => conv2dBackpropInputConfig(), () => batchMatMulConfig(), () => fusedMatMulConfig(), tileConfig,
    () => adamKernelConfig('wasm'), sumConfig, addBiasConfig, sliceConfig, splitVConfig, identityConfig,
    () => batchNormTrainConfig('wasm'), () => batchNormGradConfig('wasm'),
  ],
  cpu: [
    () => conv2dBackpropFilterConfig('cpu'), () => adamKernelConfig('cpu'),
    () => batchNormTrainConfig('cpu'), () => batchNormGradConfig('cpu'),
  ],
};

// One config object per kernel, so re-installing recognises its own kernel function.
const configs = new Map<PatchedBackendName, KernelConfig[]>();
function configsFor(backendName: PatchedBackendName): KernelConfig[] {
  let list = configs.get(backendName);
  if (!list) {
    list = factories[backendName].map((make) => make());
    configs.set(backendName, list);
  }
  return list;
}

/** Names of the kernels aelab provides for a backend. */
export function aelabKernelNames(backendName: PatchedBackendName): string[] {
  return configsFor(backendName).map((c) => c.kernelName);
}

/**
 * Registers aelab's kernels for a backend (all, or only the named ones) and returns the names of
 * those now in place. Safe to call before or after the backend initialises, and repeatedly.
 */
export function installKernels(backendName: PatchedBackendName, only?: readonly string[]): string[] {
  for (const config of configsFor(backendName)) {
    if (only && !only.includes(config.kernelName)) continue;
    installKernel(config);
  }
  return installedKernels(backendName);
}

/** Restores the stock kernels (all, or only the named ones). */
export function uninstallKernels(backendName: PatchedBackendName, only?: readonly string[]): void {
  for (const config of configsFor(backendName)) {
    if (only && !only.includes(config.kernelName)) continue;
    uninstallKernel(config.kernelName, backendName);
  }
}

export function installedKernels(backendName: PatchedBackendName): string[] {
  return aelabKernelNames(backendName).filter((name) => isInstalled(name, backendName));
}
