// Chooses and initialises the TensorFlow.js backend, and installs aelab's kernels on it.
//   auto:       tfjs-node ('tensorflow', native libtensorflow) if it loads -> wasm -> cpu
//   tensorflow: tfjs-node or a clear error saying how to get it
//   wasm / cpu: that backend (wasm falls back to nothing: asking for it and not getting it is an error)
// tfjs-node is an optional dependency that often cannot install (it downloads libtensorflow), so
// it is only ever loaded with a guarded require: any error means "not available".
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// A named import: bundlers drop a bare `import '...-cpu'` (the package declares no side effects).
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { assertNever, type BackendPreference } from '../core/protocol';
import { installKernels } from './kernels';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: BackendName;
  reason: string;
}

export interface InitBackendOptions {
  /** Folder holding tfjs-backend-wasm's .wasm files (bundles ship them beside themselves). */
  wasmDir?: string;
  log?: (msg: string) => void;
}

const TFJS_NODE = '@tensorflow/tfjs-node';
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** The tfjs version every @tensorflow package here is pinned to (core and cpu must agree). */
export function tfjsVersion(): string {
  return tf.version_core === version_cpu ? tf.version_core : `${tf.version_core} (tfjs-backend-cpu ${version_cpu})`;
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0];
}

// ---- tfjs-node --------------------------------------------------------------------------------

let tfjsNodeLoad: { ok: true } | { ok: false; error: string } | undefined;

/** Loads tfjs-node once; remembers why it failed. */
function loadTfjsNode(): { ok: true } | { ok: false; error: string } {
  if (tfjsNodeLoad) return tfjsNodeLoad;
  try {
    // Deliberately a runtime require (external in the bundles): absent here, optional everywhere.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node');
    // tfjs-node registers its backend on the tfjs-core it resolves; with mismatched versions that
    // is another copy and our tfjs-core never sees it.
    tfjsNodeLoad = tf.findBackendFactory('tensorflow')
      ? { ok: true }
      : { ok: false, error: `${TFJS_NODE} loaded but registered on a different @tensorflow/tfjs-core (keep every @tensorflow package at ${tfjsVersion()})` };
  } catch (err) {
    tfjsNodeLoad = { ok: false, error: message(err) };
  }
  return tfjsNodeLoad;
}

function tensorflowUnavailable(why: string): Error {
  return new Error(
    `The 'tensorflow' backend is not available: ${why}. It needs ${TFJS_NODE}@${tfjsVersion()}, whose install downloads ` +
    'libtensorflow 2.9.1 from Google storage. With internet access: npm install. Offline: point TFJS_NODE_BASE_URI ' +
    '(or TFJS_NODE_CDN_STORAGE) at an http(s) mirror of the libtensorflow tarball before npm install, or place ' +
    `libtensorflow.so.2.9.1 in node_modules/${TFJS_NODE}/deps/lib/ and re-run its install script. ` +
    "Otherwise use backend 'auto', 'wasm' or 'cpu'.",
  );
}

async function useTensorflow(): Promise<{ ok: true } | { ok: false; error: string }> {
  const loaded = loadTfjsNode();
  if (!loaded.ok) return loaded;
  if (tf.getBackend() === 'tensorflow') return loaded;
  return (await tf.setBackend('tensorflow')) ? loaded : { ok: false, error: `${TFJS_NODE} loaded but its backend failed to initialise` };
}

// ---- wasm -------------------------------------------------------------------------------------

let wasmDirUsed: string | undefined;

/** The package's own dist folder, or undefined when there is no node_modules (bundles). */
function packagedWasmDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

function hasWasmFiles(dir: string): boolean {
  return WASM_FILES.some((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * Points the wasm loader at the .wasm files: `wasmDir` if given (only there), else the package's
 * dist folder, else `wasm/` or the folder beside this file (where esbuild.mjs copies them for the
 * bundles). Only the first call counts: tfjs reads the location once, when wasm initialises.
 */
function configureWasmPaths(wasmDir: string | undefined, log: (msg: string) => void): void {
  if (wasmDirUsed !== undefined) {
    if (wasmDir !== undefined && path.resolve(wasmDir) !== path.resolve(wasmDirUsed)) {
      log(`wasm files already loaded from ${wasmDirUsed}; ignoring ${wasmDir}`);
    }
    return;
  }
  const candidates = wasmDir !== undefined
    ? [wasmDir]
    : [packagedWasmDir(), path.join(__dirname, 'wasm'), __dirname].filter((d): d is string => d !== undefined);
  const dir = candidates.find(hasWasmFiles);
  if (dir === undefined) throw new Error(`no TensorFlow.js wasm files (${WASM_FILES.join(', ')}) in ${candidates.join(' or ')}`);
  setWasmPaths(dir.endsWith(path.sep) || dir.endsWith('/') ? dir : dir + path.sep);
  wasmDirUsed = dir;
}

/**
 * The Emscripten glue in tfjs-backend-wasm adds process 'uncaughtException' and
 * 'unhandledRejection' listeners that rethrow, so any later crash of the process prints a line
 * of minified glue code before the real error. Drop the listeners added while `init` runs; Node's
 * defaults behave the same without the noise.
 */
async function withoutEmscriptenProcessHandlers<T>(init: () => Promise<T>): Promise<T> {
  const exceptionBefore = new Set(process.listeners('uncaughtException'));
  const rejectionBefore = new Set(process.listeners('unhandledRejection'));
  try {
    return await init();
  } finally {
    for (const l of process.listeners('uncaughtException')) if (!exceptionBefore.has(l)) process.removeListener('uncaughtException', l);
    for (const l of process.listeners('unhandledRejection')) if (!rejectionBefore.has(l)) process.removeListener('unhandledRejection', l);
  }
}

async function useWasm(wasmDir: string | undefined, log: (msg: string) => void): Promise<{ ok: true; detail: string } | { ok: false; error: string }> {
  try {
    configureWasmPaths(wasmDir, log);
    // Installed before the backend initialises, so wrapped stock kernels get their setup.
    const kernels = installKernels('wasm');
    if (tf.getBackend() !== 'wasm') {
      const ok = await withoutEmscriptenProcessHandlers(() => tf.setBackend('wasm'));
      if (!ok) return { ok: false, error: `the wasm backend failed to initialise${wasmDirUsed ? ` (wasm files from ${wasmDirUsed})` : ''}` };
    }
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return { ok: true, detail: `WebAssembly${simd ? ' SIMD' : ' (no SIMD)'}, 1 thread; aelab kernels: ${kernels.join(', ')}` };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

// ---- cpu --------------------------------------------------------------------------------------

async function useCpu(): Promise<string> {
  const kernels = installKernels('cpu');
  if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  return `pure JavaScript (slowest); aelab kernels: ${kernels.join(', ')}`;
}

// ---- entry point ------------------------------------------------------------------------------

/** Why native TensorFlow is not used, in words: absent (the optional package) or present but broken. */
export function tensorflowAbsence(error: string): string {
  return /Cannot find module '@tensorflow\/tfjs-node'/.test(error)
    ? 'native TensorFlow (the optional @tensorflow/tfjs-node) is not installed'
    : `@tensorflow/tfjs-node is installed but did not load (${error})`;
}

/**
 * Selects, initialises and activates a backend; installs aelab's kernels on wasm and cpu.
 * Idempotent: calling it again re-checks and returns the same choice cheaply.
 */
export async function initBackend(preference: BackendPreference, options: InitBackendOptions = {}): Promise<BackendChoice> {
  const log = options.log ?? (() => undefined);
  let choice: BackendChoice;
  switch (preference) {
    case 'tensorflow': {
      const tfn = await useTensorflow();
      if (!tfn.ok) throw tensorflowUnavailable(tfn.error);
      choice = { name: 'tensorflow', reason: 'requested; native libtensorflow via @tensorflow/tfjs-node' };
      break;
    }
    case 'wasm': {
      const wasm = await useWasm(options.wasmDir, log);
      if (!wasm.ok) throw new Error(`The 'wasm' backend is not available: ${wasm.error}`);
      choice = { name: 'wasm', reason: `requested; ${wasm.detail}` };
      break;
    }
    case 'cpu':
      choice = { name: 'cpu', reason: `requested; ${await useCpu()}` };
      break;
    case 'auto': {
      const tfn = await useTensorflow();
      if (tfn.ok) {
        choice = { name: 'tensorflow', reason: 'auto: @tensorflow/tfjs-node loaded (native libtensorflow)' };
        break;
      }
      // Not installing the optional native package is the usual case, not a fault: say it calmly.
      const why = tensorflowAbsence(tfn.error);
      if (!/not installed/.test(why)) log(`native TensorFlow: ${why}`);
      const wasm = await useWasm(options.wasmDir, log);
      if (wasm.ok) {
        choice = { name: 'wasm', reason: `auto: ${why}; ${wasm.detail}` };
        break;
      }
      log(`wasm backend unavailable: ${wasm.error}`);
      choice = { name: 'cpu', reason: `auto: ${why}; wasm unavailable (${wasm.error}); ${await useCpu()}` };
      break;
    }
    default:
      return assertNever(preference, 'backend preference');
  }
  if (tf.getBackend() !== choice.name) throw new Error(`backend '${choice.name}' selected but tfjs reports '${tf.getBackend()}'`);
  // The caller reports the choice itself (run.ts logs "backend: name (reason)").
  return choice;
}
