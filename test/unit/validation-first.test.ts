// Validation finds what the engine would refuse, first: every `new InputError(` in src/engine (and
// the core files it loads through: datasetFiles.ts, idxFormat.ts) is
// walked and either reproduced below (validation reports it at the key, the engine's loading
// refuses the same input) or shown to be unreachable past the schema. Tiny IDX files, no training.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { formatProblem, validateExperiment } from '../../src/core/config';
import { InputError } from '../../src/core/errors';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import { validator } from '../../src/core/experimentFile/messages';
import { datasetAccessFor } from '../../src/core/datasetFiles';
import { FASHION_MNIST_DIR, loadDataset, MNIST_DIR_ENV } from '../../src/engine/datasets';
import { prepareData } from '../../src/engine/prepareData';
import { writeGrayImage } from '../../scripts/imageFolderFixtures';

const engineDir = path.resolve(__dirname, '..', '..', 'src', 'engine');
const coreDir = path.resolve(__dirname, '..', '..', 'src', 'core');

function idx(dims: number[], body: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(body), 4 + 4 * dims.length);
  return out;
}
const images = (count: number, h: number, w: number) => idx([count, h, w], new Uint8Array(count * h * w).map((_, i) => i % 256));
/** Labels 0, 1, ..., 9, 0, 1, ... */
const labels = (count: number) => idx([count], Array.from({ length: count }, (_, i) => i % 10));
const gz = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));

type Tree = { [key: string]: unknown };

function merge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' ? merge(prev as Tree, v as Tree) : v;
  }
  return out;
}

const BASE: Tree = {
  name: 'walk', seed: 1,
  data: { dataset: 'idx', files: { trainImages: 'train-images.idx', trainLabels: 'train-labels.idx', testImages: 'test-images.idx', testLabels: 'test-labels.idx' } },
  corruption: { fraction: 0.25 },
  model: { architecture: 'fcn-simple' },
};

interface Case {
  /** A fragment of the engine's `new InputError(` line this case reaches. */
  site: string;
  title: string;
  experiment: Tree;
  /** Where validation reports it (dotted path; the reported line holds its last key). */
  at: string;
  says: string;
  /** What the engine's loading says about the same input (undefined: not an InputError site). */
  engineSays?: string;
  env?: Record<string, string>;
}

const CASES: Case[] = [
  { site: 'file not found', title: 'missing file', experiment: { data: { files: { trainImages: 'missing.idx' } } }, at: 'data.files.trainImages', says: 'file not found', engineSays: 'file not found' },
  { site: 'expected an IDX file, found ${kind}', title: 'directory', experiment: { data: { files: { testImages: 'a-folder' } } }, at: 'data.files.testImages', says: 'found a directory', engineSays: 'found a directory' },
  { site: 'cannot open', title: 'symlink loop', experiment: { data: { files: { trainLabels: 'loop.idx' } } }, at: 'data.files.trainLabels', says: 'cannot open', engineSays: 'cannot open' },
  { site: 'too short for the 4-byte magic', title: '3-byte file', experiment: { data: { files: { testLabels: 'short.idx' } } }, at: 'data.files.testLabels', says: 'too short', engineSays: 'too short' },
  { site: 'expected ${expected}, found', title: 'wrong magic (labels as images)', experiment: { data: { files: { trainImages: 'train-labels.idx' } } }, at: 'data.files.trainImages', says: 'expected IDX magic 0x00000803', engineSays: 'expected IDX magic 0x00000803' },
  { site: 'truncated: the header declares', title: 'header cut short', experiment: { data: { files: { trainImages: 'cut-header.idx' } } }, at: 'data.files.trainImages', says: 'the header declares 3 dims', engineSays: 'the header declares 3 dims' },
  { site: 'bodyBytes < declared', title: 'truncated body', experiment: { data: { files: { testImages: 'truncated.idx' } } }, at: 'data.files.testImages', says: 'truncated: header says 20x12x12', engineSays: 'truncated: header says 20x12x12' },
  { site: 'bodyBytes < declared', title: 'extra bytes', experiment: { data: { files: { testImages: 'extra.idx' } } }, at: 'data.files.testImages', says: '(7 extra bytes)', engineSays: '(7 extra bytes)' },
  { site: 'starts like gzip (1f 8b) but does not decompress', title: 'not really gzip', experiment: { data: { files: { trainLabels: 'fake.gz' } } }, at: 'data.files.trainLabels', says: 'does not decompress', engineSays: 'does not decompress' },
  { site: 'starts like gzip (1f 8b) but does not decompress', title: 'gzip cut in half', experiment: { data: { files: { trainImages: 'half.idx.gz' } } }, at: 'data.files.trainImages', says: 'truncated', engineSays: 'does not decompress' },
  { site: 'images are ${height}x${width} pixels', title: '0-pixel images', experiment: { data: { files: { trainImages: 'flat.idx' } } }, at: 'data.files.trainImages', says: 'images are 0x12 pixels', engineSays: 'images are 0x12 pixels' },
  { site: 'holds no images', title: 'empty image file', experiment: { data: { files: { testImages: 'none.idx', testLabels: 'none-labels.idx' } } }, at: 'data.files.testImages', says: 'holds no images', engineSays: 'holds no images' },
  { site: 'the counts must match', title: 'images/labels count mismatch', experiment: { data: { files: { testLabels: 'labels-19.idx' } } }, at: 'data.files.testLabels', says: 'holds 20 images but', engineSays: 'the counts must match' },
  { site: 'they must be the same size', title: 'train 12x12, test 8x8', experiment: { data: { files: { testImages: 'test-8x8.idx' } } }, at: 'data.files.testImages', says: 'must be the same size', engineSays: 'must be the same size' },
  { site: '${MNIST_DIR_ENV} is set to', title: `${MNIST_DIR_ENV} without the files`, experiment: { data: { dataset: 'mnist', files: undefined } }, at: 'data.dataset', says: 'which lacks', engineSays: 'which lacks', env: { [MNIST_DIR_ENV]: 'EMPTY' } },
  { site: 'is a fraction (', title: 'occlusion level 12', experiment: { corruption: { type: 'occlusion', level: 12 } }, at: 'corruption.level', says: 'at most 1, got 12', engineSays: 'at most 1, found 12' },
  { site: 'is a fraction (', title: 'salt-and-pepper contamination level 2', experiment: { data: { trainContamination: { fraction: 0.5, type: 'salt-and-pepper', level: 2 } } }, at: 'data.trainContamination.level', says: 'at most 1, got 2', engineSays: 'at most 1, found 2' },
  { site: 'leaves no training images', title: 'normalClasses absent from the loaded training images', experiment: { data: { trainLimit: 5, normalClasses: [9] } }, at: 'data.normalClasses', says: 'leaves no training images', engineSays: 'leaves no training images' },
  { site: 'not enough for a validation split', title: 'trainLimit 1', experiment: { data: { trainLimit: 1 } }, at: 'data.trainLimit', says: 'use at least 2', engineSays: 'not enough for a validation split' },
  { site: 'not enough for a validation split', title: 'one image of the normal class', experiment: { data: { trainLimit: 10, normalClasses: [7] } }, at: 'data.normalClasses', says: 'only 1 training image(s) of classes [7]', engineSays: 'not enough for a validation split' },
  { site: 'the test set has no anomalies', title: 'corruption.fraction 0', experiment: { corruption: { fraction: 0 } }, at: 'corruption.fraction', says: 'no anomalies', engineSays: 'no anomalies' },
  { site: 'the test set has no anomalies', title: 'testLimit 4 at fraction 0.1 corrupts none', experiment: { data: { testLimit: 4 }, corruption: { fraction: 0.1 } }, at: 'data.testLimit', says: 'corrupts 0', engineSays: 'no anomalies' },
  { site: 'the test set has no anomalies', title: 'testLimit 1', experiment: { data: { testLimit: 1 } }, at: 'data.testLimit', says: 'use at least 2', engineSays: 'no anomalies' },
  { site: 'every test image is an anomaly', title: 'corruption.fraction 1', experiment: { corruption: { fraction: 1 } }, at: 'corruption.fraction', says: 'none is normal', engineSays: 'every test image is an anomaly' },
  { site: 'every test image is an anomaly', title: 'normalClasses missing from the first test images', experiment: { data: { testLimit: 5, normalClasses: [9] } }, at: 'data.testLimit', says: 'every test image would be an anomaly', engineSays: 'every test image is an anomaly' },
  // Image folders: the engine throws the first problem of the plan validation reports in full (folder-validation.test.ts has every kind).
  { site: 'throw new InputError(first?.message', title: 'image folder missing', experiment: { data: { dataset: 'folder', files: undefined, normalDir: 'no-such-folder' } }, at: 'data.normalDir', says: 'does not exist', engineSays: 'does not exist' },
  { site: 'throw new InputError(first?.message', title: 'truncated PNG in an image folder', experiment: { data: { dataset: 'folder', files: undefined, normalDir: 'pngs' } }, at: 'data.normalDir', says: 'cut.png: truncated', engineSays: 'cut.png: truncated' },
  // Not InputErrors in the engine, but refused once the model or the loss meets the images.
  { site: '', title: 'cnn on 7x9 images', experiment: { data: { files: { trainImages: 'train-7x9.idx', testImages: 'test-7x9.idx' } }, model: { architecture: 'cnn' } }, at: 'model.architecture', says: 'divisible by 4' },
  { site: '', title: 'SSIM loss on 8x8 images', experiment: { data: { files: { trainImages: 'train-8x8.idx', testImages: 'test-8x8.idx' } }, training: { loss: 'ssim' } }, at: 'training.loss', says: 'at least 11x11' },
];
if (!fs.existsSync(FASHION_MNIST_DIR)) {
  CASES.push({ site: 'fashion-mnist is read from the Debian package', title: 'fashion-mnist not installed', experiment: { data: { dataset: 'fashion-mnist', files: undefined } }, at: 'data.dataset', says: 'apt-get install dataset-fashion-mnist', engineSays: 'apt-get install dataset-fashion-mnist' });
}

/** Engine checks the schema already rules out: the experiment shown is refused at `at`. */
const SCHEMA_GUARDED: { site: string; experiment: Tree; at: string }[] = [
  { site: 'corruption fraction must be between 0 and 1', experiment: { corruption: { fraction: 1.5 } }, at: 'corruption.fraction' },
  { site: 'corruption level must be a number >= 0', experiment: { corruption: { level: -1 } }, at: 'corruption.level' },
  { site: 'unknown corruption type', experiment: { corruption: { type: 'smudge' } }, at: 'corruption.type' },
  { site: 'unknown dataset', experiment: { data: { dataset: 'cifar' } }, at: 'data.dataset' },
  { site: 'data.files (trainImages, trainLabels, testImages, testLabels) is required', experiment: { data: { files: undefined } }, at: 'data' },
  { site: 'limit must be a whole number', experiment: { data: { trainLimit: 2.5 } }, at: 'data.trainLimit' },
];

/** Sites no experiment can reach, and why. */
const UNREACHABLE: Record<string, string> = {
  'expected 3 dims (count x height x width)': 'readIdx(..., "images") already requires magic 0x00000803, which declares 3 dims',
  'MNIST files not found': 'where MNIST is looked for is locateDatasetFiles, which validation calls itself (the AELAB_MNIST_DIR case above shows its refusal located)',
  'too short to be a whole gzip file': 'readIdxHeader, the reader validation itself uses',
  'truncated or damaged gzip': 'readIdxHeader, the reader validation itself uses (the "gzip cut in half" case)',
  'decompresses to more than': 'readIdxLabelPrefix, the reader validation itself uses: bounded by what the header declares',
  'cannot score with the model of': 'not from the experiment file: a sweep passes RunRequest.modelFrom only for a completed run whose model/model.json exists (sweepStatus.trainedModelFor)',
  'return new InputError(message, key)': 'image folders: pixel data a decoder refuses past what headers and tails show (validation reads no pixels), and a size guard the plan checks first; at the file\'s key, before any run folder (engine-image-folders.test.ts)',
  'throw new InputError(`${mismatch}': 'validation compares the image size with the model first (dataChecks: IDX headers, and for image folders the plan\'s size; folder-validation.test.ts); this guard stays for requests that skip validation (engine-image-sizes.test.ts)',
  'not completed: only a completed run': 'aelab score: about a run folder, not an experiment file (cli-score.test.ts)',
  'threshold; it has': 'aelab score: about a run folder, not an experiment file',
  'only 1 or 3 can be scored': 'aelab score: about a run folder, not an experiment file',
  'is a folder of images, not IDX files': 'locateDatasetFiles is not called for image folders (datasetIssues and loadDataset handle them first)',
};

describe('validation reports every engine input check first, located at the key', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-validation-first-'));
    const write = (name: string, bytes: Uint8Array) => fs.writeFileSync(path.join(dir, name), bytes);
    write('train-images.idx', images(40, 12, 12));
    write('train-labels.idx', labels(40));
    write('test-images.idx', images(20, 12, 12));
    write('test-labels.idx', labels(20));
    fs.mkdirSync(path.join(dir, 'a-folder'));
    fs.symlinkSync('loop.idx', path.join(dir, 'loop.idx'));
    write('short.idx', new Uint8Array([0, 0, 8]));
    write('cut-header.idx', new Uint8Array([0, 0, 8, 3, 0, 0, 0, 40]));
    write('truncated.idx', images(20, 12, 12).subarray(0, 16 + 100));
    write('extra.idx', new Uint8Array([...images(20, 12, 12), 1, 2, 3, 4, 5, 6, 7]));
    write('fake.gz', new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]));
    const whole = gz(images(40, 12, 12));
    write('half.idx.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    write('flat.idx', idx([40, 0, 12], []));
    write('none.idx', idx([0, 12, 12], []));
    write('none-labels.idx', idx([0], []));
    write('labels-19.idx', labels(19));
    write('test-8x8.idx', images(20, 8, 8));
    write('train-8x8.idx', images(40, 8, 8));
    write('train-7x9.idx', images(40, 7, 9));
    write('test-7x9.idx', images(20, 7, 9));
    fs.mkdirSync(path.join(dir, 'EMPTY'));
    fs.mkdirSync(path.join(dir, 'pngs'));
    for (const name of ['a', 'b', 'c', 'cut']) writeGrayImage(path.join(dir, 'pngs', `${name}.png`), new Float32Array(64).fill(0.5), 8, 8, 'png8');
    const png = fs.readFileSync(path.join(dir, 'pngs', 'cut.png'));
    write(path.join('pngs', 'cut.png'), new Uint8Array(png.subarray(0, png.length - 12)));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function writeExperiment(name: string, extra: Tree): { file: string; text: string; raw: Tree } {
    const raw = JSON.parse(JSON.stringify(merge(BASE, extra))) as Tree; // drops keys set to undefined
    const text = stringify(raw);
    const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.aelab.yaml`);
    fs.writeFileSync(file, text);
    return { file, text, raw };
  }

  function withEnv<T>(env: Record<string, string> | undefined, fn: () => T): T {
    const saved: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(env ?? {})) {
      saved[k] = process.env[k];
      process.env[k] = path.join(dir, v);
    }
    try {
      return fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it('the base experiment and its gzipped files pass', () => {
    const { file, text } = writeExperiment('base', {});
    assert.deepEqual(validateExperiment(text, file, datasetAccessFor(file)).problems.map(formatProblem), []);
    fs.writeFileSync(path.join(dir, 'train-images.idx.gz'), gz(images(40, 12, 12)));
    const zipped = writeExperiment('zipped', { data: { files: { trainImages: 'train-images.idx.gz' } } });
    assert.deepEqual(validateExperiment(zipped.text, zipped.file, datasetAccessFor(zipped.file)).problems.map(formatProblem), []);
    // normalClasses read the labels, gzipped too: digit 3 is label 3, 13, 23, 33 of the training file.
    fs.writeFileSync(path.join(dir, 'train-labels.idx.gz'), gz(labels(40)));
    const threes = writeExperiment('threes', { data: { files: { trainLabels: 'train-labels.idx.gz' }, normalClasses: [3] } });
    assert.deepEqual(validateExperiment(threes.text, threes.file, datasetAccessFor(threes.file)).problems.map(formatProblem), []);
    const early = writeExperiment('threes-early', { data: { files: { trainLabels: 'train-labels.idx.gz' }, normalClasses: [3], trainLimit: 3 } });
    const [p] = validateExperiment(early.text, early.file, datasetAccessFor(early.file)).problems;
    assert.equal(p.path, 'data.normalClasses');
    assert.match(p.message, /none of the 3 loaded has one of these labels/);
  });

  for (const c of CASES) {
    it(`${c.title}: ${c.at}${c.engineSays ? ', and the engine refuses it too' : ''}`, async () => {
      const { file, text, raw } = writeExperiment(c.title, c.experiment);
      const result = withEnv(c.env, () => validateExperiment(text, file, datasetAccessFor(file)));
      const errors = result.problems.filter((p) => p.severity === 'error');
      assert.equal(result.ok, false, `validation passed ${c.title}`);
      assert.equal(errors.length, 1, errors.map(formatProblem).join('\n'));
      const [p] = errors;
      assert.equal(p.path, c.at, formatProblem(p));
      assert.equal(p.file, file);
      const lastKey = c.at.split('.').pop() as string;
      // At the key's line, or just below it for a block list's value.
      const lines = text.split('\n');
      assert.ok([lines[p.line - 1], lines[p.line - 2]].some((l) => l?.includes(`${lastKey}:`)), `line ${p.line} of\n${text}\nis not at ${lastKey}:`);
      assert.ok(p.message.includes(c.says), `"${p.message}" lacks "${c.says}"`);
      if (c.engineSays === undefined) return;
      // The same input, resolved with the schema's defaults, is refused by the engine's loading.
      const experiment = structuredClone(raw) as unknown as ResolvedExperiment;
      assert.ok(validator()(experiment), 'the case must be schema-valid');
      const saved = process.env[MNIST_DIR_ENV];
      if (c.env) process.env[MNIST_DIR_ENV] = path.join(dir, c.env[MNIST_DIR_ENV]);
      try {
        await assert.rejects(async () => prepareData(await loadDataset(experiment.data, dir), experiment), (err: unknown) => {
          assert.ok(err instanceof InputError, String(err));
          assert.ok(err.message.includes(c.engineSays as string), `engine said "${err.message}", expected "${c.engineSays}"`);
          return true;
        });
      } finally {
        if (saved === undefined) delete process.env[MNIST_DIR_ENV];
        else process.env[MNIST_DIR_ENV] = saved;
      }
    });
  }

  for (const g of SCHEMA_GUARDED) {
    it(`schema-guarded: ${g.site} -> ${g.at}`, () => {
      const { file, text } = writeExperiment(g.site, g.experiment);
      const errors = validateExperiment(text, file, datasetAccessFor(file)).problems.filter((p) => p.severity === 'error');
      assert.ok(errors.some((p) => p.path === g.at), errors.map(formatProblem).join('\n'));
    });
  }

  it('every `new InputError(` in src/engine is covered by a case, the schema, or a stated reason', () => {
    const sites: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const lines = fs.readFileSync(p, 'utf8').split('\n');
          lines.forEach((line, i) => {
            // The message may start on the next line (throw new InputError(cond\n ? `...`).
            if (line.includes('new InputError(')) sites.push(`${path.relative(engineDir, p)}:${i + 1}: ${line.trim()} ${lines[i + 1]?.trim() ?? ''}`);
          });
        }
      }
    };
    walk(engineDir);
    // The engine loads through these core files too (locating the files, parsing IDX headers).
    for (const f of ['idxFormat.ts', 'datasetFiles.ts']) {
      const lines = fs.readFileSync(path.join(coreDir, f), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (line.includes('new InputError(')) sites.push(`core/${f}:${i + 1}: ${line.trim()} ${lines[i + 1]?.trim() ?? ''}`);
      });
    }
    assert.ok(sites.length >= 20, `found only ${sites.length} sites`);
    const known = [...CASES.map((c) => c.site).filter(Boolean), ...SCHEMA_GUARDED.map((g) => g.site), ...Object.keys(UNREACHABLE)];
    const fashionCovered = CASES.some((c) => c.site.startsWith('fashion-mnist'));
    const uncovered = sites.filter((s) => !known.some((k) => s.includes(k)) && !(s.includes('fashion-mnist is read') && !fashionCovered && fs.existsSync(FASHION_MNIST_DIR)));
    assert.deepEqual(uncovered, [], 'engine input checks with no validation case: add one');
    for (const k of known) assert.ok(sites.some((s) => s.includes(k)), `"${k}" matches no engine check any more`);
  });

  it('validation without a dataset reader reads no file', () => {
    const { text } = writeExperiment('no-reader', { data: { files: { trainImages: 'missing.idx' } } });
    assert.equal(validateExperiment(text, 'x.aelab.yaml').ok, true);
    assert.equal(parse(text).data.files.trainImages, 'missing.idx');
  });
});
