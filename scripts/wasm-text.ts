// Writes the text form (.wat, with function names) of every wasm module the engine generates at
// load time, for reading or profiling: `npm run wasm:text` -> out/wasm/<module>.wat and .wasm.
import * as fs from 'node:fs';
import * as path from 'node:path';
import wabt from 'wabt';
import '../src/engine/kernels/batchNormSimd';
import { generatedModules } from '../src/engine/kernels/simd';

async function main(): Promise<void> {
  const outDir = path.join(__dirname, '..', 'out', 'wasm');
  const tools = await wabt();
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, bytes] of generatedModules()) {
    const module = tools.readWasm(bytes, { readDebugNames: true, simd: true });
    module.applyNames();
    fs.writeFileSync(path.join(outDir, `${name}.wasm`), bytes);
    fs.writeFileSync(path.join(outDir, `${name}.wat`), module.toText({ foldExprs: false, inlineExport: false }));
    module.destroy();
    console.log(`${path.join(outDir, name)}.wat`);
  }
}

void main();
