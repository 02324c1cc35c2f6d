// Training images kept as bytes, in memory or in a temp file (engine/images/byteImages.ts): the
// same floats either way, subsets that share the bytes, no file left behind, and a folder whose
// training images go to a file trains to the same weights as one held in memory.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { validateExperiment } from '../../src/core/config';
import { initBackend } from '../../src/engine/backend';
import { loadDataset, releaseDataset } from '../../src/engine/datasets';
import { ByteImages } from '../../src/engine/images/byteImages';
import { buildModel } from '../../src/engine/models';
import { prepareData } from '../../src/engine/prepareData';
import { trainAutoencoder } from '../../src/engine/train';
import { writeMvtecFromMnist } from '../../scripts/imageFolderFixtures';

function written(count: number, values: number, memoryLimit: number, seed: number): { images: ByteImages; bytes: Uint8Array } {
  const bytes = Uint8Array.from({ length: count * values }, (_, i) => (i * 37 + seed * 11 + (i >> 5)) % 256);
  const writer = ByteImages.writer(count, values, memoryLimit);
  for (let i = 0; i < count; i++) writer.nextImage().set(bytes.subarray(i * values, (i + 1) * values));
  return { images: writer.finish(), bytes };
}

describe('engine: training images as bytes (memory or temp file)', function () {
  this.timeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-bytes-'));
  const cacheDir = path.join(tmp, 'cache');
  const savedTmpdir = process.env.TMPDIR;
  before(() => {
    fs.mkdirSync(cacheDir);
    // The temp files go here, so the test sees exactly what they leave behind.
    process.env.TMPDIR = cacheDir;
  });
  after(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = savedTmpdir;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('reads the same floats from memory and from a file, for subsets and reorderings too', () => {
    const values = 300;
    const memory = written(17, values, Infinity, 1);
    const file = written(17, values, 0, 1);
    assert.deepEqual([memory.images.inFile, file.images.inFile], [false, true]);
    for (const images of [memory.images, file.images]) {
      const picked = images.select([16, 3, 3, 0]).select([2, 0, 1]);
      assert.equal(picked.count, 3);
      const got = new Float32Array(3 * values);
      picked.copyRangeFloats(0, 3, got);
      // picked = original images 3, 16, 3.
      [3, 16, 3].forEach((original, k) => {
        for (let p = 0; p < values; p++) assert.equal(got[k * values + p], Math.fround(memory.bytes[original * values + p] / 255));
      });
      assert.deepEqual(images.toFloats(), Float32Array.from(memory.bytes, (b) => b / 255));
      assert.throws(() => images.select([17]), /image 17 is outside the 17 images/);
    }
    memory.images.close();
    file.images.close();
  });

  it('leaves no file behind: unlinked while open (POSIX), and gone after close', function () {
    const { images } = written(5, 1000, 0, 2);
    if (process.platform !== 'win32') assert.deepEqual(fs.readdirSync(cacheDir), [], 'the file has no name while open');
    images.close();
    assert.deepEqual(fs.readdirSync(cacheDir), []);
    assert.throws(() => images.copyFloats(0, new Float32Array(1000), 0), /is closed/);
  });

  it('an image folder trains to the same weights whether its training images are in memory or in a file', async () => {
    await initBackend('wasm', { log: () => undefined });
    await writeMvtecFromMnist(path.join(tmp, 'digits'), 'digits', { train: 48, testGood: 6, testDefect: 3 });
    const file = path.join(tmp, 'digits.aelab.yaml');
    const result = validateExperiment('name: d\ndata: { dataset: mvtec, root: digits, category: digits }\ncorruption: { fraction: 0 }\nmodel: { architecture: fcn-simple }\ntraining: { epochs: 1, batchSize: 8 }\n', file);
    assert.ok(result.experiment, JSON.stringify(result.problems));
    const experiment = result.experiment;
    const trained = async (imagesInMemoryUpTo: number) => {
      const dataset = await loadDataset(experiment.data, tmp, { seed: experiment.seed, imagesInMemoryUpTo });
      try {
        const data = prepareData(dataset, experiment);
        assert.ok(data.train instanceof ByteImages && data.validation instanceof ByteImages);
        const model = buildModel(experiment.model, experiment.seed);
        const run = await trainAutoencoder(model, { ...data }, experiment.training, { seed: experiment.seed });
        const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
        model.dispose();
        return { inFile: data.train.inFile, history: run.history.map((m) => [m.trainLoss, m.valLoss]), weights };
      } finally {
        releaseDataset(dataset);
      }
    };
    const before = tf.memory().numTensors;
    const inMemory = await trained(Infinity);
    const inFile = await trained(0);
    assert.deepEqual([inMemory.inFile, inFile.inFile], [false, true]);
    assert.ok(inMemory.history[0][0] > 0);
    assert.deepEqual(inFile.history, inMemory.history);
    assert.deepEqual(inFile.weights, inMemory.weights);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(fs.readdirSync(cacheDir), [], 'releaseDataset removed the file');
  });
});
