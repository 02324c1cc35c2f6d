import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

// House rules of docs/ARCHITECTURE.md ("Layout" and "Rules of the house"), one block per layer.
// Each block lists what that layer must not import; test/unit/lint-layering.test.ts proves each
// ban fires.
const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const TFJS = ['@tensorflow/*'];
/** Relative imports of another layer, from anywhere under src/ or test/. */
const layer = (name) => [`**/${name}`, `**/${name}/**`];
// Core files that run only in Node (the run-folder I/O, the dataset files validation reads, opening untrusted files); nothing else in core touches Node.
const CORE_NODE_FILES = ['src/core/runFolder.ts', 'src/core/runFolderNode.ts', 'src/core/datasetFiles.ts', 'src/core/runFolderLifecycle.ts', 'src/core/fileAccess.ts'];

const ban = (groups, message) => ({ group: groups, message });

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test/vscode-host/node_modules/**', '**/*.generated.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // core: pure TypeScript (yaml, ajv); Node built-ins only in the run-folder I/O files.
    files: ['src/core/**/*.ts'],
    ignores: CORE_NODE_FILES,
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'core imports neither vscode nor TensorFlow.js'),
        ban([...layer('engine'), ...layer('extension'), ...layer('cli'), ...layer('worker'), ...layer('webview')], 'core imports no other layer of aelab'),
        ban(nodeBuiltins, `core is pure: Node built-ins only in ${CORE_NODE_FILES.join(', ')}`),
      ] }],
    },
  },
  {
    files: CORE_NODE_FILES,
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'core imports neither vscode nor TensorFlow.js'),
        ban([...layer('engine'), ...layer('extension'), ...layer('cli'), ...layer('worker'), ...layer('webview')], 'core imports no other layer of aelab'),
      ] }],
    },
  },
  {
    // engine: core and TensorFlow.js; never the editor, the CLI, the worker or the webviews.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode'], 'only src/extension imports vscode'),
        ban([...layer('extension'), ...layer('cli'), ...layer('worker'), ...layer('webview')], 'the engine imports only core and TensorFlow.js'),
      ] }],
    },
  },
  {
    // worker (child process): core and engine; TensorFlow.js only through the engine.
    files: ['src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'the worker imports neither vscode nor TensorFlow.js (use the engine)'),
        ban([...layer('extension'), ...layer('cli'), ...layer('webview')], 'the worker imports only core and the engine'),
      ] }],
    },
  },
  {
    // cli: core and engine (lazily); TensorFlow.js only through the engine.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'the CLI imports neither vscode nor TensorFlow.js (use the engine)'),
        ban([...layer('extension'), ...layer('worker'), ...layer('webview')], 'the CLI imports only core and the engine'),
      ] }],
    },
  },
  {
    // report (aelab report, Generate Report): core and Node; shared by the CLI and the extension host,
    // so it imports neither of them, nor the engine.
    files: ['src/report/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'the report imports neither vscode nor TensorFlow.js'),
        ban([...layer('engine'), ...layer('extension'), ...layer('cli'), ...layer('worker'), ...layer('webview')], 'the report imports only core'),
      ] }],
    },
  },
  {
    // extension host: core and vscode; the engine runs in the worker process, never here
    // (esbuild would silently bundle TensorFlow.js into dist/extension.js).
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban([...TFJS], 'the extension never imports TensorFlow.js: training runs in dist/worker.js'),
        ban([...layer('engine'), ...layer('worker'), ...layer('webview'), ...layer('cli')], 'the extension imports core and vscode only (the engine runs in the worker)'),
      ] }],
    },
  },
  {
    // webview: browser code; core's browser-safe parts only.
    files: ['src/webview/**/*.{ts,mts}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ban(['vscode', ...TFJS], 'webview code runs in the browser: no vscode, no TensorFlow.js'),
        ban(nodeBuiltins, 'webview code runs in the browser: no Node built-ins'),
        ban([...layer('engine'), ...layer('extension'), ...layer('cli'), ...layer('worker')], 'webview code imports only core'),
        ban(['**/core/runFolder', '**/core/runFolderNode', '**/core/datasetFiles', '**/core/runFolderLifecycle', '**/core/fileAccess', '**/core/version', '**/core/index'], 'webview code imports only browser-safe core files (not the Node-only run-folder I/O)'),
      ] }],
    },
  },
);
