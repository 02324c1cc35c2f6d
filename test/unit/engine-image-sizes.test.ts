// IDX datasets that are not 28x28 (issue 9 item 7): the model is built for the dataset's size,
// a 32x32 set trains with every architecture's shape, and a 7x9 set trains with the dense models
// and is a located problem for the cnn, before any run folder exists.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/main';
import { validateExperiment } from '../../src/core/config';
import { InputError } from '../../src/core/errors';
import { readScores } from '../../src/core/runFolder';
import { loadModel } from '../../src/engine/modelIo';
import { runExperiment } from '../../src/engine/run';

function idx(dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  out.set([0, 0, 0x08, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

/** A bright bar at a position set by the image index: simple structure an autoencoder can learn. */
function barImages(count: number, height: number, width: number): Uint8Array {
  const body = new Uint8Array(count * height * width);
  for (let i = 0; i < count; i++) {
    const row = i % height;
    for (let x = 0; x < width; x++) body[i * height * width + row * width + x] = 220;
  }
  return body;
}

function writeIdxSet(dir: string, height: number, width: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const labels = (n: number) => idx([n], new Uint8Array(n));
  fs.writeFileSync(path.join(dir, 'train-images'), idx([160, height, width], barImages(160, height, width)));
  fs.writeFileSync(path.join(dir, 'train-labels'), labels(160));
  fs.writeFileSync(path.join(dir, 'test-images'), idx([60, height, width], barImages(60, height, width)));
  fs.writeFileSync(path.join(dir, 'test-labels'), labels(60));
}

function yaml(name: string, folder: string, architecture: string): string {
  return `name: ${name}
seed: 5
data:
  dataset: idx
  files: { trainImages: ${folder}/train-images, trainLabels: ${folder}/train-labels, testImages: ${folder}/test-images, testLabels: ${folder}/test-labels }
corruption: { fraction: 0.25, type: gaussian, level: 0.5 }
model:
  architecture: ${architecture}
training: { epochs: 4, batchSize: 16, learningRate: 0.01 }
evaluation: { samples: 2 }
`;
}

describe('engine: IDX images of other sizes than 28x28', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-sizes-'));
  const runsDir = path.join(dir, 'runs');
  writeIdxSet(path.join(dir, 's32'), 32, 32);
  writeIdxSet(path.join(dir, 's7x9'), 7, 9);
  after(() => process.env.KEEP || fs.rmSync(dir, { recursive: true, force: true }));

  const experiment = (name: string, folder: string, architecture: string) => {
    const file = path.join(dir, `${name}.aelab.yaml`);
    fs.writeFileSync(file, yaml(name, folder, architecture));
    const result = validateExperiment(fs.readFileSync(file, 'utf8'), file);
    assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
    return { experiment: result.experiment, experimentPath: file, runsDir, backend: 'wasm' as const, threads: 1 as const };
  };

  for (const architecture of ['cnn', 'fcn-simple'] as const) {
    it(`trains ${architecture} on 32x32 images; model, scores and images are 32x32`, async () => {
      const outcome = await runExperiment(experiment(`s32-${architecture}`, 's32', architecture));
      assert.equal(outcome.state, 'completed', outcome.error);
      const model = await loadModel(path.join(outcome.runDir, 'model'));
      assert.deepEqual(model.outputs[0].shape, [null, 32, 32, 1]);
      model.dispose();
      const scores = readScores(outcome.runDir);
      assert.equal(scores.header.count, 60);
      assert.deepEqual([scores.header.images?.height, scores.header.images?.width], [32, 32]);
      // Noise of std 0.5 on bars: even one epoch ranks most corrupted images above the clean ones.
      assert.ok(outcome.summary && outcome.summary.auroc > 0.8, `AUROC ${outcome.summary?.auroc}`);
    });
  }

  for (const architecture of ['fcn-simple', 'fcn-deep'] as const) {
    it(`trains ${architecture} on 7x9 images (height 7, width 9)`, async () => {
      const outcome = await runExperiment(experiment(`s7x9-${architecture}`, 's7x9', architecture));
      assert.equal(outcome.state, 'completed', outcome.error);
      const model = await loadModel(path.join(outcome.runDir, 'model'));
      assert.deepEqual(model.outputs[0].shape, [null, 7, 9, 1]);
      model.dispose();
    });
  }

  it('refuses the cnn on 7x9 images at model.architecture, before any run folder exists', async () => {
    await assert.rejects(runExperiment(experiment('s7x9-cnn', 's7x9', 'cnn')), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.match(err.message, /divisible by 4.*7x9/);
      assert.deepEqual(err.key, ['model', 'architecture']);
      return true;
    });
    assert.ok(!fs.existsSync(path.join(runsDir, 's7x9-cnn')));
    // The CLI (validation reads the IDX headers first) points at the value: line 8 is
    // "  architecture: cnn", the value starts at column 17.
    const err: string[] = [];
    const code = await main(['run', 's7x9-cnn.aelab.yaml', '--runs-dir', 'runs', '--backend', 'wasm', '--threads', '1'], { out: () => undefined, err: (s) => err.push(s), interactive: false, cwd: dir });
    assert.equal(code, EXIT.invalidInput);
    assert.match(err.join('\n'), /s7x9-cnn\.aelab\.yaml:8:17: the cnn architecture needs image sides divisible by 4/m);
    assert.ok(!fs.existsSync(path.join(runsDir, 's7x9-cnn')));
  });
});
