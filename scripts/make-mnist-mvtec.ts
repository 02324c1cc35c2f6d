// Writes the MVTec-style folder examples/mvtec-digits.aelab.yaml trains on: MNIST digits as
// PNGs in <out>/digits/{train/good, test/good, test/blob, test/scratch} with drawn defects and
// their masks in ground_truth/. Usage: npx tsx scripts/make-mnist-mvtec.ts [OUT=.aelab/data/mnist-mvtec]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeMvtecFromMnist } from './imageFolderFixtures';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join('.aelab', 'data', 'mnist-mvtec'));
  fs.rmSync(path.join(out, 'digits'), { recursive: true, force: true });
  const counts = { train: 2000, testGood: 200, testDefect: 100 };
  await writeMvtecFromMnist(out, 'digits', counts);
  console.log(`wrote ${out}/digits: ${counts.train} train/good, ${counts.testGood} test/good, ${counts.testDefect} each of test/blob and test/scratch with masks`);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
