// Image folders checked before a run (issue 13, "Bad input"): each bad folder or file is a located
// problem from `aelab validate` (exit code 1, file:line:col at the key, the entry named) and from
// validateExperiment with the Node dataset reader (what the editor's diagnostics call), the
// engine's loader refuses the same input with the same message, and nothing is written.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT } from '../../src/cli/main';
import { formatProblem, validateExperiment } from '../../src/core/config';
import { cachingFolderReader, datasetAccessFor, nodeDatasetReader, nodeFolderReader } from '../../src/core/datasetFiles';
import { InputError } from '../../src/core/errors';
import type { ResolvedExperiment } from '../../src/core/experiment.generated';
import { parseImageHeader, truncationProblem } from '../../src/core/imageHeaders';
import { expandSweep } from '../../src/core/sweep/expand';
import { loadDataset } from '../../src/engine/datasets';
import { writeGrayImage } from '../../scripts/imageFolderFixtures';
import { runCli } from './support/cliHarness';
import { tempDir } from './support/tempDir';

const SIDE = 8;
const gray = (v: number) => new Float32Array(SIDE * SIDE).fill(v);

/** Every file under `dir` with its size and modification time: what "nothing written" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = fs.lstatSync(p);
        out.push(`${p} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

interface Case {
  title: string;
  /** Builds the folder(s) under `root`; returns the data section (YAML flow mapping body). */
  make: (root: string) => string;
  at: string;
  /** Parts of the message: what is wrong and the entry concerned. */
  says: string[];
}

describe('image folders: validate and the editor report what a run would refuse, located', function () {
  this.timeout(60_000);
  const ws = tempDir('aelab-folder-validation-');
  const mk = (...parts: string[]) => { const d = path.resolve(ws, ...parts); fs.mkdirSync(d, { recursive: true }); return d; };
  /** `n` good 8x8 grayscale PNGs named g0.png, g1.png... */
  const good = (dir: string, n: number, format: 'png8' | 'png-colour' = 'png8') => {
    for (let i = 0; i < n; i++) writeGrayImage(path.join(dir, `g${i}.png`), gray(0.1 + i / (2 * n)), SIDE, SIDE, format);
    return dir;
  };
  const cut = (file: string) => {
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, new Uint8Array(whole.subarray(0, Math.floor(whole.length / 2))));
  };

  const CASES: Case[] = [
    { title: 'folder missing', make: () => 'normalDir: nowhere', at: 'data.normalDir', says: ['does not exist', 'nowhere'] },
    { title: 'not a folder', make: (r) => { fs.writeFileSync(path.join(r, 'afile.png'), 'x'); return 'normalDir: afile.png'; }, at: 'data.normalDir', says: ['is not a folder', 'afile.png'] },
    { title: 'no images', make: (r) => { fs.writeFileSync(path.join(mk(r, 'n'), 'notes.txt'), 'none'); return 'normalDir: n'; }, at: 'data.normalDir', says: ['holds no PNG or JPEG images'] },
    {
      title: 'mixed sizes without imageSize',
      make: (r) => { const d = good(mk(r, 'n'), 4); writeGrayImage(path.join(d, 'h-big.png'), new Float32Array(100), 10, 10, 'png8'); return 'normalDir: n'; },
      at: 'data.normalDir', says: ['images of different sizes', 'h-big.png is 10x10', 'data.imageSize'],
    },
    {
      title: 'colour and grayscale files with channels 3',
      make: (r) => { const d = good(mk(r, 'n'), 4); writeGrayImage(path.join(d, 'c.png'), gray(0.5), SIDE, SIDE, 'png-colour'); return 'normalDir: n, channels: 3'; },
      at: 'data.channels', says: ['mix colour', 'c.png', 'and grayscale ('],
    },
    {
      title: 'a mask without an image',
      make: (r) => { good(mk(r, 'n'), 5); good(mk(r, 'a'), 2); const m = good(mk(r, 'm'), 2); writeGrayImage(path.join(m, 'orphan_mask.png'), gray(0), SIDE, SIDE, 'png8'); return 'normalDir: n, abnormalDir: a, maskDir: m'; },
      at: 'data.maskDir', says: ['orphan_mask.png has no image'],
    },
    {
      title: 'an image without a mask',
      make: (r) => { good(mk(r, 'n'), 5); good(mk(r, 'a'), 3); good(mk(r, 'm'), 2); return 'normalDir: n, abnormalDir: a, maskDir: m'; },
      at: 'data.maskDir', says: ['g2.png has no mask', 'g2_mask.png'],
    },
    {
      title: 'not an image by its header',
      make: (r) => { const d = good(mk(r, 'n'), 4); fs.writeFileSync(path.join(d, 'text.png'), 'not an image at all'); return 'normalDir: n'; },
      at: 'data.normalDir', says: ['text.png', 'not a PNG or JPEG'],
    },
    {
      title: 'a PNG whose IHDR is damaged',
      make: (r) => { const d = good(mk(r, 'n'), 4); const f = path.join(d, 'h.png'); writeGrayImage(f, gray(0.5), SIDE, SIDE, 'png8'); const b = fs.readFileSync(f); b[12] = 0x78; fs.writeFileSync(f, new Uint8Array(b)); return 'normalDir: n'; },
      at: 'data.normalDir', says: ['h.png', 'IHDR'],
    },
    {
      title: 'a JPEG without a frame header',
      make: (r) => { const d = good(mk(r, 'n'), 4); fs.writeFileSync(path.join(d, 'nosof.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xda, 0, 2, 0xff, 0xd9])); return 'normalDir: n'; },
      at: 'data.normalDir', says: ['nosof.jpg', 'frame header (SOF)'],
    },
    { title: 'a 0-byte file', make: (r) => { const d = good(mk(r, 'n'), 4); fs.writeFileSync(path.join(d, 'zero.png'), ''); return 'normalDir: n'; }, at: 'data.normalDir', says: ['zero.png', 'empty file (0 bytes)'] },
    {
      title: 'a truncated PNG (no IEND)',
      make: (r) => { const d = good(mk(r, 'n'), 4); const f = path.join(d, 'cut.png'); writeGrayImage(f, gray(0.3), SIDE, SIDE, 'png8'); cut(f); return 'normalDir: n'; },
      at: 'data.normalDir', says: ['cut.png', 'truncated', 'IEND'],
    },
    {
      title: 'a truncated JPEG (no EOI), in the abnormal folder',
      make: (r) => { good(mk(r, 'n'), 4); const a = mk(r, 'a'); const f = path.join(a, 'cut.jpg'); writeGrayImage(f, gray(0.3), SIDE, SIDE, 'jpeg'); cut(f); return 'normalDir: n, abnormalDir: a'; },
      at: 'data.abnormalDir', says: ['cut.jpg', 'truncated', 'FF D9'],
    },
    { title: 'a symlink loop as the folder', make: (r) => { fs.symlinkSync('loop', path.join(r, 'loop')); return 'normalDir: loop'; }, at: 'data.normalDir', says: ['symlink loop'] },
    { title: 'a symlink loop in the folder', make: (r) => { const d = good(mk(r, 'n'), 4); fs.symlinkSync('self.png', path.join(d, 'self.png')); return 'normalDir: n'; }, at: 'data.normalDir', says: ['self.png', 'symlink loop'] },
    { title: 'a folder outside the workspace', make: (r) => `normalDir: ${path.relative(r, outside)}`, at: 'data.normalDir', says: ['outside the workspace'] },
    {
      title: 'an image larger than the cap (by its header)',
      make: (r) => {
        const d = good(mk(r, 'n'), 4);
        const f = path.join(d, 'huge.png');
        writeGrayImage(f, gray(0.5), SIDE, SIDE, 'png8');
        const b = fs.readFileSync(f);
        b.writeUInt32BE(20000, 16); // width
        b.writeUInt32BE(20000, 20); // height: 400 megapixels
        fs.writeFileSync(f, new Uint8Array(b));
        return 'normalDir: n';
      },
      at: 'data.normalDir', says: ['huge.png', '400 megapixels'],
    },
    {
      title: 'mvtec: a defect image without its mask',
      make: (r) => {
        good(mk(r, 'mv', 'c', 'train', 'good'), 4); good(mk(r, 'mv', 'c', 'test', 'good'), 2); good(mk(r, 'mv', 'c', 'test', 'dent'), 2);
        writeGrayImage(path.join(mk(r, 'mv', 'c', 'ground_truth', 'dent'), 'g0_mask.png'), gray(0), SIDE, SIDE, 'png8');
        return 'dataset: mvtec, root: mv, category: c';
      },
      at: 'data.category', says: ['dent/g1.png has no mask'],
    },
    {
      title: 'mvtec: train/good a symlink to a folder outside the workspace',
      make: (r) => { mk(r, 'mv', 'c', 'train'); good(mk(r, 'mv', 'c', 'test', 'good'), 2); fs.symlinkSync(outside, path.join(r, 'mv', 'c', 'train', 'good')); return 'dataset: mvtec, root: mv, category: c'; },
      at: 'data.category', says: ['train/good', 'outside the workspace'],
    },
  ];

  const outside = path.join(path.dirname(ws), `${path.basename(ws)}-outside`);
  before(() => { good(mk(outside), 4); });
  after(() => fs.rmSync(outside, { recursive: true, force: true }));

  function experimentIn(dir: string, data: string): { file: string; text: string } {
    const dataset = data.startsWith('dataset:') ? '' : 'dataset: folder, ';
    // percentile: these folders test a handful of images, too few for the default mixture threshold.
    const text = `name: folder-check\nseed: 1\ndata: { ${dataset}${data} }\ncorruption: { fraction: 0.2 }\nmodel:\n  architecture: fcn-simple\nevaluation: { threshold: { strategy: percentile } }\n`;
    const file = path.join(dir, 'check.aelab.yaml');
    fs.writeFileSync(file, text);
    return { file, text };
  }

  it('a good folder with masks passes, and its PNG and JPEG headers read back', async () => {
    const dir = mk('good');
    good(mk('good', 'n'), 6); good(mk('good', 'a'), 2); const m = mk('good', 'm');
    for (const i of [0, 1]) writeGrayImage(path.join(m, `g${i}_mask.png`), gray(0), SIDE, SIDE, 'png8');
    const { file, text } = experimentIn(dir, 'normalDir: n, abnormalDir: a, maskDir: m');
    assert.deepEqual(validateExperiment(text, file, datasetAccessFor(file, ws)).problems.map(formatProblem), []);
    const cli = await runCli(ws, ['validate', file]);
    assert.equal(cli.code, EXIT.ok, cli.err);
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'n', 'g0.png')));
    assert.deepEqual(parseImageHeader(bytes, true), { header: { format: 'PNG', width: SIDE, height: SIDE, channels: 1 } });
    assert.equal(truncationProblem('PNG', bytes.subarray(bytes.length - 32)), undefined);
    const jpg = path.join(dir, 'x.jpg');
    writeGrayImage(jpg, gray(0.5), 12, SIDE, 'jpeg');
    const jpeg = new Uint8Array(fs.readFileSync(jpg));
    assert.deepEqual(parseImageHeader(jpeg, true), { header: { format: 'JPEG', width: 12, height: SIDE, channels: 3 } });
    fs.rmSync(jpg);
  });

  for (const c of CASES) {
    it(`${c.title}: ${c.at}`, async () => {
      const dir = mk(c.title.replace(/[^a-z0-9]+/gi, '-'));
      const { file, text } = experimentIn(dir, c.make(dir));
      const before = snapshot(ws);
      // The editor's path: validateExperiment with the Node reader and the workspace root.
      const result = validateExperiment(text, file, datasetAccessFor(file, ws));
      const errors = result.problems.filter((p) => p.severity === 'error');
      assert.equal(result.ok, false);
      const [p] = errors;
      assert.equal(p.path, c.at, errors.map(formatProblem).join('\n'));
      const lastKey = c.at.split('.').pop() as string;
      const line = text.split('\n')[p.line - 1];
      assert.ok(line.includes(`${lastKey}:`) && p.column > line.indexOf(`${lastKey}:`), `${formatProblem(p)}: not at ${lastKey}: in "${line}"`);
      for (const part of c.says) assert.ok(p.message.includes(part), `"${p.message}" lacks "${part}"`);
      // The CLI: exit 1, the same located line.
      const cli = await runCli(ws, ['validate', file]);
      assert.equal(cli.code, EXIT.invalidInput, cli.out);
      assert.ok(`${cli.out}\n${cli.err}`.includes(`:${p.line}:${p.column}: ${p.message}`), `${cli.out}\n${cli.err}`);
      // The engine's loader refuses the same input with the same first message, at the same key.
      const experiment = result.experiment ?? (validateExperiment(text, file).experiment as ResolvedExperiment);
      await assert.rejects(loadDataset(experiment.data, dir, { workspaceRoot: ws, seed: 1 }), (err: unknown) => {
        assert.ok(err instanceof InputError, String(err));
        assert.equal(err.key?.join('.'), c.at);
        assert.equal(err.message, p.message);
        return true;
      });
      assert.deepEqual(snapshot(ws), before, 'validate and the refused load wrote nothing');
    });
  }

  it('the images\' size meets the model: cnn on 10x10 folder images at model.architecture, fine once data.imageSize is 12x12', async () => {
    const dir = mk('cnn');
    const n = mk('cnn', 'n');
    for (let i = 0; i < 5; i++) writeGrayImage(path.join(n, `g${i}.png`), new Float32Array(100).fill(i / 5), 10, 10, 'png8');
    const write = (data: string) => {
      const text = `name: cnn-size\ndata: { dataset: folder, ${data} }\ncorruption: { fraction: 0.2 }\nmodel:\n  architecture: cnn\nevaluation: { threshold: { strategy: percentile } }\n`;
      const file = path.join(dir, 'cnn.aelab.yaml');
      fs.writeFileSync(file, text);
      return validateExperiment(text, file, datasetAccessFor(file, ws)).problems.filter((p) => p.severity === 'error');
    };
    const [p, ...rest] = write('normalDir: n');
    assert.deepEqual([p.path, p.line, rest.length], ['model.architecture', 5, 0], formatProblem(p));
    assert.match(p.message, /divisible by 4.*10x10/);
    assert.deepEqual(write('normalDir: n, imageSize: [12, 12]').map(formatProblem), []);
  });

  it('a sweep reads each image once per seed, not once per point; a bad file is located in every point', () => {
    const dir = mk('sweep');
    good(mk('sweep', 'n'), 5);
    const text = `name: sweep-check\ndata: { dataset: folder, normalDir: n }\ncorruption: { fraction: 0.2 }\nmodel:\n  architecture: fcn-simple\nevaluation: { threshold: { strategy: percentile } }\nsweep:\n  parameters:\n    corruption.level: [0.1, 0.2, 0.3]\n  seeds: [1, 2]\n`;
    const file = path.join(dir, 'sweep.aelab.yaml');
    fs.writeFileSync(file, text);
    const access = datasetAccessFor(file, ws);
    const read: string[] = [];
    const folders = { ...access.reader.folders, readEnds: (f: string, head: number, tail: number) => { read.push(path.basename(f)); return access.reader.folders.readEnds(f, head, tail); } };
    const counted = { ...access, reader: { ...access.reader, folders } };
    const r = expandSweep(text, file, [], { dataset: counted });
    assert.equal(r.plan?.points.length, 6, JSON.stringify(r.problems));
    // The base file (seed 42 by default) and seeds 1 and 2: three plans of five files each.
    assert.deepEqual([read.length, new Set(read).size], [15, 5]);
    fs.writeFileSync(path.join(dir, 'n', 'g9.png'), '');
    const bad = expandSweep(text, file, [], { dataset: datasetAccessFor(file, ws) });
    assert.equal(bad.ok, false);
    assert.ok(bad.problems.some((p) => p.path === 'data.normalDir' && p.message.includes('g9.png: empty file (0 bytes)')), bad.problems.map(formatProblem).join('\n'));
  });

  it('the editor\'s caching reader reads each image once while it is unchanged, and again once it changes', () => {
    const dir = mk('cached');
    const n = good(mk('cached', 'n'), 4);
    const { file, text } = experimentIn(dir, 'normalDir: n');
    const read: string[] = [];
    const base = { ...nodeFolderReader, readEnds: (f: string, head: number, tail: number) => { read.push(path.basename(f)); return nodeFolderReader.readEnds(f, head, tail); } };
    const reader = { ...nodeDatasetReader, folders: cachingFolderReader(base) };
    // A new access per validation, as the editor's diagnostics make one (plans are kept per access).
    const access = () => datasetAccessFor(file, ws, reader);
    for (let i = 0; i < 3; i++) assert.deepEqual(validateExperiment(text, file, access()).problems.map(formatProblem), []);
    assert.deepEqual(read.sort(), ['g0.png', 'g1.png', 'g2.png', 'g3.png'], 'three validations, one read per image');
    // A changed file (new size) and a new file are read again, and their problems are found.
    cut(path.join(n, 'g2.png'));
    fs.writeFileSync(path.join(n, 'g4.png'), '');
    read.length = 0;
    const problems = validateExperiment(text, file, access()).problems.map(formatProblem).join('\n');
    assert.deepEqual(read.sort(), ['g2.png', 'g4.png']);
    assert.match(problems, /g2\.png.*truncated/);
    assert.match(problems, /g4\.png: empty file \(0 bytes\)/);
  });

  it('lists at most 50 file problems, then how many more', () => {
    const dir = mk('many');
    const n = good(mk('many', 'n'), 4);
    for (let i = 0; i < 70; i++) fs.writeFileSync(path.join(n, `z${String(i).padStart(2, '0')}.png`), '');
    const { file, text } = experimentIn(dir, 'normalDir: n');
    const problems = validateExperiment(text, file, datasetAccessFor(file, ws)).problems;
    assert.equal(problems.length, 51, problems.map(formatProblem).join('\n'));
    assert.ok(problems.slice(0, 50).every((p) => p.message.includes('empty file (0 bytes)')));
    assert.match(problems[50].message, /^20 more problem\(s\) with the image files not listed$/);
  });
});
