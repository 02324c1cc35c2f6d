// Writes an MVTec-style category of COUNT colour PNGs of SIZE x SIZE (MNIST digits scaled up and
// tinted) plus a small test set: the data behind the peak-memory measurement in README.
// Usage: npx tsx scripts/make-large-folder.ts OUT_ROOT [COUNT=10000] [SIZE=128]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { resizeBilinear } from '../src/core/imageResize';
import { loadDataset } from '../src/engine/datasets';

async function main(): Promise<void> {
  const [out, countArg, sizeArg] = process.argv.slice(2);
  if (!out) throw new Error('usage: make-large-folder.ts OUT_ROOT [COUNT] [SIZE]');
  const count = Number(countArg ?? 10000), size = Number(sizeArg ?? 128), tests = 200;
  const ds = await loadDataset({ dataset: 'mnist', validationSplit: 0.1, trainLimit: count + tests, testLimit: 1 }, process.cwd());
  const digits = ds.train.images;
  if (!(digits instanceof Float32Array)) throw new Error('expected MNIST as floats');
  const write = (dir: string, name: string, i: number) => {
    const digit = resizeBilinear(digits.subarray(i * 784, (i + 1) * 784), 28, 28, 1, size, size);
    const png = new PNG({ width: size, height: size });
    const tint = [(i % 3) / 2, ((i + 1) % 3) / 2, ((i + 2) % 3) / 2];
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++) png.data[4 * p + c] = Math.round(255 * (0.2 * tint[c] + 0.8 * digit[p]));
      png.data[4 * p + 3] = 255;
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), new Uint8Array(PNG.sync.write(png, { colorType: 2 })));
  };
  const base = path.join(out, 'large');
  for (let i = 0; i < count; i++) write(path.join(base, 'train', 'good'), `${String(i).padStart(5, '0')}.png`, i);
  for (let i = 0; i < tests; i++) write(path.join(base, 'test', i % 4 === 0 ? 'odd' : 'good'), `${String(i).padStart(5, '0')}.png`, count + i);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
