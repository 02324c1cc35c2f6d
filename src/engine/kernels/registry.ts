// Book-keeping for the kernels aelab registers over (or beside) the stock TensorFlow.js ones.
// Every replacement remembers the stock config it displaced, so it can call it (our kernels are
// thin re-arrangements around the fast stock kernels) and so `uninstallKernel` can restore it.
import {
  getKernel, registerKernel, unregisterKernel,
  type KernelBackend, type KernelConfig, type KernelFunc, type NamedAttrMap, type NamedTensorInfoMap, type TensorInfo,
} from '@tensorflow/tfjs-core';

export type PatchedBackendName = 'wasm' | 'cpu';

/** The arguments every kernel function receives, with the backend typed as the common base class. */
export interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: KernelBackend;
  attrs: NamedAttrMap;
}

/** `getKernel` is typed as always returning a config; it returns undefined when none is registered. */
export function findKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  return getKernel(kernelName, backendName) as KernelConfig | undefined;
}

interface Installed {
  ours: KernelConfig;
  stock: KernelConfig | undefined;
}

const installed = new Map<string, Installed>();
const keyOf = (kernelName: string, backendName: string) => `${backendName}/${kernelName}`;

/** Adapts a kernel written against `KernelArgs` to tfjs's `KernelFunc` (which types backend as `{}`). */
export function asKernelFunc(fn: (args: KernelArgs) => TensorInfo | TensorInfo[]): KernelFunc {
  // tfjs passes the active KernelBackend instance; its public type is `{}`.
  return (params) => fn({ inputs: params.inputs, backend: params.backend as KernelBackend, attrs: params.attrs ?? {} });
}

/**
 * Registers `ours` in place of whatever is registered for (kernelName, backendName). Keeps the
 * stock setup/dispose hooks when ours has none (a wrapper that calls the stock kernel needs the
 * stock setup to have run). Returns false if ours is already the registered one (idempotent).
 */
export function installKernel(ours: KernelConfig): boolean {
  const key = keyOf(ours.kernelName, ours.backendName);
  const current = findKernel(ours.kernelName, ours.backendName);
  const entry = installed.get(key);
  if (entry && current && current.kernelFunc === entry.ours.kernelFunc) return false;
  const stock = current;
  const config: KernelConfig = {
    ...ours,
    setupFunc: ours.setupFunc ?? stock?.setupFunc,
    disposeFunc: ours.disposeFunc ?? stock?.disposeFunc,
  };
  if (stock) unregisterKernel(ours.kernelName, ours.backendName);
  registerKernel(config);
  installed.set(key, { ours: config, stock });
  return true;
}

/** Puts the stock kernel back (or leaves none, if there was none). No-op if ours is not installed. */
export function uninstallKernel(kernelName: string, backendName: string): void {
  const key = keyOf(kernelName, backendName);
  const entry = installed.get(key);
  if (!entry) return;
  const current = findKernel(kernelName, backendName);
  if (current && current.kernelFunc === entry.ours.kernelFunc) {
    unregisterKernel(kernelName, backendName);
    if (entry.stock) registerKernel(entry.stock);
  }
  installed.delete(key);
}

export function isInstalled(kernelName: string, backendName: string): boolean {
  const entry = installed.get(keyOf(kernelName, backendName));
  return entry !== undefined && findKernel(kernelName, backendName)?.kernelFunc === entry.ours.kernelFunc;
}

/** The stock kernel for (kernelName, backendName), even while ours is installed over it. */
export function stockKernel(kernelName: string, backendName: string): KernelConfig {
  const entry = installed.get(keyOf(kernelName, backendName));
  const config = entry ? entry.stock : findKernel(kernelName, backendName);
  if (!config) throw new Error(`aelab kernels need the stock '${kernelName}' kernel of the '${backendName}' backend, which is not registered`);
  return config;
}

/** Runs the stock kernel and returns its single output. */
export function runStock(kernelName: string, backendName: string, backend: KernelBackend, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
  const out = stockKernel(kernelName, backendName).kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`stock kernel '${kernelName}' returned ${out.length} outputs, expected one`);
  return out;
}

/** A required input of a kernel call. */
export function input(inputs: NamedTensorInfoMap, name: string, kernelName: string): TensorInfo {
  const info = inputs[name];
  if (!info) throw new Error(`${kernelName}: missing input '${name}'`);
  return info;
}
