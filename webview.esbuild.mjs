// Bundles the panel webviews for the browser: src/webview/{results,compare,study,score}/main.mts ->
// dist/webview/{results,compare,study,score}.js (iife), src/webview/styles/panel.css -> dist/webview/panel.css,
// and uPlot's stylesheet -> dist/webview/uPlot.min.css. The extension sets localResourceRoots to
// dist/webview, so everything a panel loads must land there.
// Usage: node webview.esbuild.mjs [--watch] [--production]; or import { buildWebviews }.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const WEBVIEW_OUT = join(root, 'dist', 'webview');

export async function buildWebviews({ watch = false, production = false } = {}) {
  mkdirSync(WEBVIEW_OUT, { recursive: true });
  copyFileSync(require.resolve('uplot/dist/uPlot.min.css'), join(WEBVIEW_OUT, 'uPlot.min.css'));
  // A second uPlot instance for chart exports at pixel ratio 2 (src/webview/shared/exportRenderer.ts):
  // uPlot keeps the ratio in module state, so the export needs a module of its own: a copy of the file.
  const exportCopy = join(root, 'out', 'webview-vendor', 'uplot-export.mjs');
  mkdirSync(dirname(exportCopy), { recursive: true });
  copyFileSync(require.resolve('uplot/dist/uPlot.esm.js'), exportCopy);
  const options = {
    absWorkingDir: root,
    entryPoints: {
      results: 'src/webview/results/main.mts',
      compare: 'src/webview/compare/main.mts',
      study: 'src/webview/study/main.mts',
      score: 'src/webview/score/main.mts',
      panel: 'src/webview/styles/panel.css',
    },
    outdir: WEBVIEW_OUT,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome120'],
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    // Webview code must not reach for Node: fail the build instead of shipping a broken bundle.
    external: [],
    alias: { 'uplot-export': exportCopy },
  };
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    return ctx;
  }
  return esbuild.build(options);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebviews({ watch: process.argv.includes('--watch'), production: process.argv.includes('--production') });
}
