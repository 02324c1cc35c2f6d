import tseslint from 'typescript-eslint';

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
    // House rule: only src/extension imports vscode; only the engine imports TensorFlow.js.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', '@tensorflow/*'], message: 'core and cli import neither vscode nor TensorFlow.js' }] }],
    },
  },
  {
    // Webview code runs in a browser: no vscode module, no TensorFlow.js, no Node built-ins.
    files: ['src/webview/**/*.{ts,mts}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['vscode', '@tensorflow/*', 'node:*', 'fs', 'path'], message: 'webview code runs in the browser: it imports neither vscode, TensorFlow.js nor Node modules' }] }],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/worker/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'only src/extension imports vscode' }] }] },
  },
);
