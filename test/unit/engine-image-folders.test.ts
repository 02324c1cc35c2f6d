// Image-folder datasets (issue 13): decoding PNG (8/16-bit, gray, RGB, alpha) and JPEG, bilinear
// resizing, the MVTec and folder layouts built here from MNIST digits with drawn defects, every
// bad-input case as an InputError at its key, and a whole run on an MVTec folder.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { validateExperiment } from '../../src/core/config';
import { InputError } from '../../src/core/errors';
import type { ResolvedDataConfig } from '../../src/core/experiment.generated';
import { resizeBilinear } from '../../src/core/imageResize';
import { rocAuc } from '../../src/core/metrics';
import { readScores, readTestImages } from '../../src/core/runFolder';
import { main } from '../../src/cli/main';
import { loadTestImages } from '../../src/extension/panels/panelData';
import { loadDataset } from '../../src/engine/datasets';
import { decodeImageFile } from '../../src/engine/images/decode';
import { ByteImages } from '../../src/engine/images/byteImages';
import { loadModel } from '../../src/engine/modelIo';
import { runExperiment } from '../../src/engine/run';
import { drawDefect, ImageFormat, writeFolderFromMnist, writeGrayImage, writeMvtecFromMnist } from '../../scripts/imageFolderFixtures';

const mvtec = (root: string, extra: Partial<ResolvedDataConfig> = {}): ResolvedDataConfig => ({ dataset: 'mvtec', validationSplit: 0.1, root, category: 'digits', ...extra });

async function aelabShow(cwd: string, runDir: string): Promise<string> {
  const out: string[] = [];
  await main(['show', runDir], { out: (s) => out.push(s), err: () => undefined, interactive: false, cwd });
  return out.join('\n');
}

async function rejectsAt(promise: Promise<unknown>, key: string, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.equal(err.key?.join('.'), key, err.message);
    for (const part of parts) assert.ok(err.message.includes(part), `message "${err.message}" lacks "${part}"`);
    return true;
  });
}

describe('engine: image-folder datasets', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-folders-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('decoding and resizing', () => {
    // A ramp: every gray level from 0 to 1 across 16x16 pixels.
    const ramp = Float32Array.from({ length: 256 }, (_, i) => i / 255);
    for (const format of ['png8', 'png16', 'png-rgb', 'png-rgba', 'jpeg'] as ImageFormat[]) {
      it(`reads ${format} back to the pixels written (alpha dropped)`, () => {
        const file = path.join(dir, `ramp-${format}.${format === 'jpeg' ? 'jpg' : 'png'}`);
        writeGrayImage(file, ramp, 16, 16, format);
        const gray = decodeImageFile(file, 1);
        assert.deepEqual([gray.width, gray.height, gray.pixels.length, gray.colour], [16, 16, 256, false]);
        // PNG is exact to 8 bits (16-bit is rescaled to 8); JPEG at quality 95 is within a few levels.
        const tolerance = format === 'jpeg' ? 6 / 255 : 0.5 / 255 + 1e-6;
        for (let i = 0; i < 256; i++) assert.ok(Math.abs(gray.pixels[i] - ramp[i]) <= tolerance, `${format} pixel ${i}: ${gray.pixels[i]} vs ${ramp[i]}`);
        const rgb = decodeImageFile(file, 3);
        assert.equal(rgb.pixels.length, 768);
        assert.equal(rgb.pixels[3 * 200 + 1], rgb.pixels[3 * 200]);
      });
    }

    it('converts colour to luminance (ITU-R 601) for one channel', () => {
      const file = path.join(dir, 'red.png');
      const png = new PNG({ width: 2, height: 1 });
      png.data = Buffer.from([255, 0, 0, 255, 0, 0, 255, 255]);
      fs.writeFileSync(file, new Uint8Array(PNG.sync.write(png)));
      const image = decodeImageFile(file, 1);
      assert.ok(image.colour);
      assert.ok(Math.abs(image.pixels[0] - 0.299) < 1e-6 && Math.abs(image.pixels[1] - 0.114) < 1e-6, String(image.pixels));
    });

    it('resizes bilinearly with aligned pixel centres', () => {
      // 1x2 [0, 1] to 1x4: centres at source x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1).
      assert.deepEqual(Array.from(resizeBilinear(Float32Array.from([0, 1]), 1, 2, 1, 1, 4)), [0, 0.25, 0.75, 1]);
      // 4x4 to 2x2 averages each 2x2 block's centre: source x = 0.5 and 2.5.
      const src = Float32Array.from({ length: 16 }, (_, i) => i);
      assert.deepEqual(Array.from(resizeBilinear(src, 4, 4, 1, 2, 2)), [2.5, 4.5, 10.5, 12.5]);
      // Channels are resized independently.
      const rgb = resizeBilinear(Float32Array.from([0, 1, 0.5, 1, 0, 0.5]), 1, 2, 3, 1, 3);
      assert.deepEqual(Array.from(rgb), [0, 1, 0.5, 0.5, 0.5, 0.5, 1, 0, 0.5]);
    });
  });

  describe('layouts', () => {
    const root = path.join(dir, 'mvtec');
    const folder = path.join(dir, 'folder');
    before(async () => {
      await writeMvtecFromMnist(root, 'digits', { train: 120, testGood: 20, testDefect: 10 });
      await writeMvtecFromMnist(path.join(dir, 'mvtec-jpeg'), 'digits', { train: 20, testGood: 5, testDefect: 3 }, 'jpeg');
      await writeFolderFromMnist(folder, 50, 8, 'png16');
    });

    it('reads the MVTec layout: train/good to train, test/good normal, test/<defect> anomalous with masks', async () => {
      const ds = await loadDataset(mvtec(root), dir, { seed: 1 });
      assert.deepEqual([ds.width, ds.height, ds.train.count, ds.test.count], [28, 28, 120, 40]);
      assert.equal(ds.test.anomalous?.reduce((s, v) => s + v, 0), 20);
      // Sorted defect folders: blob (10), good (20), scratch (10).
      assert.deepEqual(Array.from(ds.test.anomalous ?? []).slice(8, 12), [1, 1, 0, 0]);
      const masks = ds.test.masks;
      assert.ok(masks);
      // The blob masks are squares of side round(28 / 5) = 6; good images have empty masks.
      assert.equal(masks.subarray(0, 784).reduce((s, v) => s + v, 0), 36);
      assert.equal(masks.subarray(10 * 784, 11 * 784).reduce((s, v) => s + v, 0), 0);
      // The first blob image carries its square at full brightness where the mask is set.
      const drawn = drawDefect(new Float32Array(784), 28, 28, 'blob', 0);
      for (let p = 0; p < 784; p++) assert.equal(masks[p], drawn.mask[p]);
    });

    it('reads JPEG folders and resizes to data.imageSize', async () => {
      const ds = await loadDataset(mvtec(path.join(dir, 'mvtec-jpeg'), { imageSize: [32, 20] }), dir);
      assert.deepEqual([ds.height, ds.width, ds.train.count, ds.test.count], [32, 20, 20, 11]);
      assert.ok(ds.train.images instanceof ByteImages);
      assert.deepEqual([ds.train.images.count, ds.train.images.values], [20, 32 * 20]);
      assert.equal(ds.test.masks?.length, 11 * 32 * 20);
    });

    it('reads the folder layout: a seeded testSplit of the normal images, abnormal images with masks', async () => {
      const cfg: ResolvedDataConfig = { dataset: 'folder', validationSplit: 0.1, normalDir: 'folder/normal', abnormalDir: 'folder/abnormal', maskDir: 'folder/masks', testSplit: 0.2 };
      const a = await loadDataset(cfg, dir, { seed: 3 });
      assert.deepEqual([a.train.count, a.test.count, a.test.anomalous?.reduce((s, v) => s + v, 0)], [40, 18, 8]);
      const b = await loadDataset(cfg, dir, { seed: 3 });
      assert.deepEqual(b.test.files, a.test.files);
      const c = await loadDataset(cfg, dir, { seed: 4 });
      assert.notDeepEqual(c.test.files, a.test.files);
      assert.equal(a.test.masks?.subarray(10 * 784).reduce((s, v) => s + v, 0), 8 * 36);
    });

    it('reports each bad input at its key, naming the file', async () => {
      const bad = path.join(dir, 'bad');
      const make = (name: string) => { const d = path.join(bad, name); fs.mkdirSync(d, { recursive: true }); return d; };
      const folderCfg = (normalDir: string, extra: Partial<ResolvedDataConfig> = {}): ResolvedDataConfig => ({ dataset: 'folder', validationSplit: 0.1, normalDir, ...extra });
      const digit = Float32Array.from({ length: 64 }, (_, i) => (i % 9) / 8);
      const good = (d: string, n: number, size = 8) => { for (let i = 0; i < n; i++) writeGrayImage(path.join(d, `g${i}.png`), new Float32Array(size * size).fill(0.5), size, size, 'png8'); };

      await rejectsAt(loadDataset(folderCfg('bad/none'), dir), 'data.normalDir', 'does not exist');
      make('empty');
      fs.writeFileSync(path.join(bad, 'empty', 'notes.txt'), 'no images here');
      await rejectsAt(loadDataset(folderCfg('bad/empty'), dir), 'data.normalDir', 'holds no PNG or JPEG images');

      const mixed = make('mixed');
      good(mixed, 3);
      writeGrayImage(path.join(mixed, 'big.png'), new Float32Array(100), 10, 10, 'png8');
      await rejectsAt(loadDataset(folderCfg('bad/mixed'), dir), 'data.normalDir', 'big.png is 10x10', 'data.imageSize');
      const resized = await loadDataset(folderCfg('bad/mixed', { imageSize: [8, 8], testSplit: 0.25 }), dir);
      assert.equal(resized.train.count + resized.test.count, 4);

      for (const [name, bytes, what] of [
        ['zero', new Uint8Array(0), 'empty file (0 bytes)'],
        ['garbage', new TextEncoder().encode('not an image at all'), 'not a PNG or JPEG'],
      ] as const) {
        const d = make(name);
        good(d, 3);
        fs.writeFileSync(path.join(d, `${name}.png`), bytes);
        await rejectsAt(loadDataset(folderCfg(`bad/${name}`), dir), 'data.normalDir', `${name}.png`, what);
      }
      const truncated = make('truncated');
      good(truncated, 3);
      writeGrayImage(path.join(truncated, 'cut.png'), digit, 8, 8, 'png8');
      writeGrayImage(path.join(truncated, 'cut.jpg'), digit, 8, 8, 'jpeg');
      for (const f of ['cut.png', 'cut.jpg']) {
        const whole = fs.readFileSync(path.join(truncated, f));
        fs.writeFileSync(path.join(truncated, f), new Uint8Array(whole.subarray(0, Math.floor(whole.length / 2))));
      }
      await rejectsAt(loadDataset(folderCfg('bad/truncated'), dir), 'data.normalDir', 'cut.jpg', 'truncated');
      fs.rmSync(path.join(truncated, 'cut.jpg'));
      await rejectsAt(loadDataset(folderCfg('bad/truncated'), dir), 'data.normalDir', 'cut.png', 'truncated');

      const loop = make('loop');
      good(loop, 3);
      fs.symlinkSync('self.png', path.join(loop, 'self.png'));
      await rejectsAt(loadDataset(folderCfg('bad/loop'), dir), 'data.normalDir', 'self.png', 'symlink loop');
      fs.symlinkSync('looped', path.join(bad, 'looped'));
      await rejectsAt(loadDataset(folderCfg('bad/looped'), dir), 'data.normalDir', 'symlink loop');

      // Outside the workspace: by a relative path, and by a symlink inside the folder.
      await rejectsAt(loadDataset(folderCfg('../mvtec/digits/train/good'), path.join(dir, 'bad')), 'data.normalDir', 'outside the workspace');
      const escape = make('escape');
      good(escape, 3);
      fs.symlinkSync(path.join(root, 'digits', 'train', 'good', '000.png'), path.join(escape, 'elsewhere.png'));
      await rejectsAt(loadDataset(folderCfg('escape'), path.join(dir, 'bad')), 'data.normalDir', 'elsewhere.png', 'outside the workspace');

      // A mask without its image, in both layouts.
      const masks = make('masks');
      good(make('abnormal'), 2);
      good(masks, 1);
      writeGrayImage(path.join(masks, 'orphan_mask.png'), new Float32Array(64), 8, 8, 'png8');
      await rejectsAt(loadDataset(folderCfg('folder/normal', { abnormalDir: 'bad/abnormal', maskDir: 'bad/masks' }), dir), 'data.maskDir', 'orphan_mask.png has no image');
      fs.cpSync(root, path.join(bad, 'mvtec-orphan'), { recursive: true });
      writeGrayImage(path.join(bad, 'mvtec-orphan', 'digits', 'ground_truth', 'blob', '099_mask.png'), new Float32Array(784), 28, 28, 'png8');
      await rejectsAt(loadDataset(mvtec('bad/mvtec-orphan'), dir), 'data.category', '099_mask.png has no image');
      await rejectsAt(loadDataset(mvtec(root, { category: 'cables' }), dir), 'data.category', 'category cables not found', 'digits');
    });

    it('trains on RGB images with data.channels 3 (cnn): 3-channel model, one display plane per image', async () => {
      await writeMvtecFromMnist(path.join(dir, 'colour'), 'digits', { train: 60, testGood: 10, testDefect: 5 }, 'png-colour');
      const colour = await loadDataset(mvtec('colour', { channels: 3 }), dir);
      assert.equal(colour.channels, 3);
      assert.ok(colour.train.images instanceof ByteImages);
      assert.deepEqual([colour.train.images.count, colour.train.images.values], [60, 784 * 3]);
      const experimentPath = path.join(dir, 'colour.aelab.yaml');
      const result = validateExperiment(`name: colour\ndata: { dataset: mvtec, root: colour, category: digits, channels: 3 }\ncorruption: { fraction: 0.2, type: occlusion, level: 0.3 }\nmodel: { architecture: cnn }\ntraining: { epochs: 1, batchSize: 16, loss: mse+ssim }\nevaluation: { score: ssim, samples: 2 }\n`, experimentPath);
      assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
      const outcome = await runExperiment({ experiment: result.experiment, experimentPath, runsDir: path.join(dir, 'runs'), backend: 'wasm', threads: 1 });
      assert.equal(outcome.state, 'completed', outcome.error);
      const model = await loadModel(path.join(outcome.runDir, 'model'));
      assert.deepEqual(model.outputs[0].shape, [null, 28, 28, 3]);
      model.dispose();
      const stored = readTestImages(outcome.runDir, [0]);
      assert.equal(stored.images[0].length, 3 * 784, 'original, input, reconstruction: one 28x28 plane each');
      assert.ok(Number.isFinite(outcome.summary?.pixelAuroc ?? NaN));
    });

    it('trains and scores an MVTec folder end to end; a bad folder writes nothing', async () => {
      const runsDir = path.join(dir, 'runs');
      const yaml = (name: string, category: string) => `name: ${name}
seed: 1
data: { dataset: mvtec, root: mvtec, category: ${category}, validationSplit: 0.2 }
corruption: { fraction: 0 }
model: { architecture: cnn }
training: { epochs: 3, batchSize: 16, learningRate: 0.01 }
evaluation: { samples: 2 }
`;
      const experimentPath = path.join(dir, 'mvtec.aelab.yaml');
      const ok = validateExperiment(yaml('mvtec-digits', 'digits'), experimentPath);
      assert.ok(ok.ok && ok.experiment, JSON.stringify(ok.problems));
      const outcome = await runExperiment({ experiment: ok.experiment, experimentPath, runsDir, backend: 'wasm', threads: 1 });
      assert.equal(outcome.state, 'completed', outcome.error);
      const scores = readScores(outcome.runDir);
      assert.equal(scores.header.count, 40);
      assert.equal(scores.labels.reduce((s, v) => s + v, 0), 20, 'the 20 defect images and nothing else are anomalies');
      // Drawn squares and bars are far from any digit: even 3 short epochs rank most of them higher.
      assert.ok(outcome.summary && outcome.summary.auroc > 0.7, `AUROC ${outcome.summary?.auroc}`);
      // Pixel-level AUROC: recomputed here from the stored (byte-quantised) input and
      // reconstruction planes against the masks, it agrees with the run's.
      const pixelAuroc = outcome.summary.pixelAuroc;
      assert.ok(pixelAuroc !== undefined && pixelAuroc > 0.6, `pixel AUROC ${pixelAuroc}`);
      const ds = await loadDataset(mvtec('mvtec'), dir, { seed: 1 });
      const stored = readTestImages(outcome.runDir, Array.from({ length: 40 }, (_, i) => i));
      const map = new Float32Array(40 * 784);
      stored.images.forEach((planes, i) => {
        for (let p = 0; p < 784; p++) map[i * 784 + p] = Math.abs(planes[784 + p] - planes[2 * 784 + p]) / 255;
      });
      const recomputed = rocAuc(map, ds.test.masks ?? new Uint8Array(0));
      assert.ok(Math.abs(recomputed - pixelAuroc) < 0.01, `recomputed ${recomputed} vs ${pixelAuroc}`);
      // The panels get each image's mask with it: the first blob image's square, a good image's nothing.
      const panelImages = loadTestImages(outcome.runDir, [0, 10]).images;
      assert.equal(panelImages[0].mask?.reduce((s, v) => s + v, 0), 36);
      assert.equal(panelImages[1].mask?.reduce((s, v) => s + v, 0), 0);
      const shown = await aelabShow(dir, outcome.runDir);
      assert.match(shown, new RegExp(`pixel AUROC ${pixelAuroc.toFixed(4)}`));

      const missing = validateExperiment(yaml('mvtec-missing', 'cables'), experimentPath);
      assert.ok(missing.ok && missing.experiment);
      await rejectsAt(runExperiment({ experiment: missing.experiment, experimentPath, runsDir, backend: 'wasm', threads: 1 }), 'data.category');
      assert.ok(!fs.existsSync(path.join(runsDir, 'mvtec-missing')));
    });
  });
});
