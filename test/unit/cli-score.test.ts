// `aelab score`: a run trained here on an MVTec folder scores image files and folders with the
// run's preprocessing (the same scores as the run stored for the same images), resizes other
// sizes, reports unreadable files per file and still exits 0, and writes CSV + JSON.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/main';
import { validateExperiment } from '../../src/core/config';
import { readRun, readScores } from '../../src/core/runFolder';
import type { RunSummary } from '../../src/core/runFormat';
import { resizeBilinear } from '../../src/core/imageResize';
import { loadDataset } from '../../src/engine/datasets';
import { decodeImageFile } from '../../src/engine/images/decode';
import { runExperiment } from '../../src/engine/run';
import { writeGrayImage, writeMvtecFromMnist } from '../../scripts/imageFolderFixtures';

async function aelab(cwd: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), interactive: false, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function parseCsv(text: string): Map<string, { score: number; flagged: boolean }> {
  const [header, ...rows] = text.trim().split('\n');
  assert.equal(header, 'path,score,flagged');
  return new Map(rows.map((r) => {
    const [p, score, flagged] = r.split(',');
    return [p, { score: Number(score), flagged: flagged === 'true' }];
  }));
}

describe('aelab score', function () {
  this.timeout(120_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-score-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let runDir = '';
  const data = { dataset: 'mvtec' as const, validationSplit: 0.2, root: 'mvtec', category: 'digits' };

  before(async () => {
    await writeMvtecFromMnist(path.join(dir, 'mvtec'), 'digits', { train: 100, testGood: 12, testDefect: 6 });
    const file = path.join(dir, 'score.aelab.yaml');
    const result = validateExperiment(`name: scoring\nseed: 2\ndata: { dataset: mvtec, root: mvtec, category: digits, validationSplit: 0.2 }\ncorruption: { fraction: 0 }\nmodel: { architecture: fcn-simple }\ntraining: { epochs: 2, batchSize: 16, learningRate: 0.01 }\n`, file);
    assert.ok(result.ok && result.experiment, JSON.stringify(result.problems));
    const outcome = await runExperiment({ experiment: result.experiment, experimentPath: file, runsDir: path.join(dir, 'runs'), backend: 'wasm', threads: 1 });
    assert.equal(outcome.state, 'completed', outcome.error);
    runDir = outcome.runDir;
  });

  it('gives each test image the score the run stored, flagged at the run\'s chosen threshold', async () => {
    const r = await aelab(dir, 'score', runDir, 'mvtec/digits/test');
    assert.equal(r.code, EXIT.ok, r.err);
    const rows = parseCsv(r.out);
    const ds = await loadDataset(data, dir, { seed: 2 });
    const stored = readScores(runDir).scores;
    const summary = readRun(runDir).summary;
    assert.ok(summary);
    const chosen = summary.thresholds.find((t) => t.strategy === summary.chosen)?.value ?? NaN;
    assert.equal(rows.size, 24);
    ds.test.files?.forEach((file, i) => {
      const row = rows.get(path.relative(dir, file));
      assert.ok(row, `no row for ${file}`);
      assert.ok(Math.abs(row.score - stored[i]) < 1e-6, `${file}: ${row.score} vs stored ${stored[i]}`);
      assert.equal(row.flagged, row.score >= chosen);
    });
    assert.match(r.err, /24 image\(s\) scored .* at threshold .*\([\w-]+ \(the run's chosen strategy\)\); 0 warning/);
  });

  it('resizes other sizes, warns per unreadable file, exits 0, and writes CSV and JSON', async () => {
    const extra = path.join(dir, 'new');
    fs.mkdirSync(extra);
    const original = path.join(dir, 'mvtec/digits/test/good/000.png');
    const small = decodeImageFile(original, 1);
    writeGrayImage(path.join(extra, 'big.png'), resizeBilinear(small.pixels, 28, 28, 1, 56, 56), 56, 56, 'png8');
    fs.writeFileSync(path.join(extra, 'empty.png'), new Uint8Array(0));
    fs.writeFileSync(path.join(extra, 'junk.jpg'), new TextEncoder().encode('junk'));
    fs.symlinkSync('loop.png', path.join(extra, 'loop.png'));
    const r = await aelab(dir, 'score', runDir, 'new', original, 'missing.png', '--threshold', '0', '--out', 'out/scores.csv');
    assert.equal(r.code, EXIT.ok, r.err);
    for (const bad of ['empty.png: empty file', 'junk.jpg: not a PNG or JPEG', 'loop.png: a symlink loop', 'missing.png: does not exist']) assert.ok(r.err.includes(bad), `stderr lacks "${bad}":\n${r.err}`);
    const rows = parseCsv(r.out);
    assert.deepEqual([...rows.keys()], ['new/big.png', 'mvtec/digits/test/good/000.png']);
    assert.ok([...rows.values()].every((row) => row.flagged), 'threshold 0 flags every image');
    // Up 2x and back down bilinearly blurs a little: close to the original score, not equal.
    const [big, same] = [...rows.values()].map((row) => row.score);
    assert.ok(Math.abs(big - same) < 0.3 * same, `${big} vs ${same}`);
    assert.equal(fs.readFileSync(path.join(dir, 'out/scores.csv'), 'utf8'), r.out + '\n');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'out/scores.json'), 'utf8'));
    assert.equal(json.threshold, 0);
    assert.equal(json.images.length, 2);
    assert.equal(json.warnings.length, 4);
  });

  it('refuses bad arguments and a folder with nothing readable', async () => {
    assert.equal((await aelab(dir, 'score', runDir, 'new', '--threshold', 'x')).code, EXIT.invalidInput);
    assert.equal((await aelab(dir, 'score', runDir, 'new', '--threshold', '1', '--strategy', 'fpr')).code, EXIT.invalidInput);
    assert.equal((await aelab(dir, 'score', runDir, 'new', '--strategy', 'best')).code, EXIT.invalidInput);
    assert.equal((await aelab(dir, 'score', 'no-such-run', 'new')).code, EXIT.invalidInput);
    fs.mkdirSync(path.join(dir, 'nothing'));
    const none = await aelab(dir, 'score', runDir, 'nothing');
    assert.equal(none.code, EXIT.invalidInput);
    assert.match(none.err, /no image could be scored/);
    const fpr = await aelab(dir, 'score', runDir, 'mvtec/digits/test/good', '--strategy', 'fpr');
    assert.equal(fpr.code, EXIT.ok);
    assert.match(fpr.err, /at threshold .* \(fpr\)/);
    // The label-free mixture threshold the run stored (every run fits it to its test scores).
    const mixture = await aelab(dir, 'score', runDir, 'mvtec/digits/test/good', '--strategy', 'mixture');
    assert.equal(mixture.code, EXIT.ok, mixture.err);
    const stored = (JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary).thresholds.find((t) => t.strategy === 'mixture');
    assert.ok(stored, 'the run stored a mixture threshold');
    assert.ok(mixture.err.includes(`at threshold ${stored.value} (mixture)`), mixture.err);
  });
});
