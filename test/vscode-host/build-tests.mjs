// Bundles the integration tests (test/integration/index.ts + its suites + mocha) into one
// CommonJS file that the VS Code extension host loads as extensionTestsPath. `vscode` stays
// external (the host provides it).
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const hostDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(hostDir, '..', '..');
const outDir = join(repoRoot, 'out', 'integration-tests');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');

await esbuild.build({
  absWorkingDir: repoRoot,
  entryPoints: ['test/integration/index.ts'],
  outfile: join(outDir, 'index.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
  // mocha's Node build reaches for optional modules it never needs in this setup.
  logOverride: { 'require-resolve-not-external': 'silent', 'unsupported-dynamic-import': 'silent' },
});
