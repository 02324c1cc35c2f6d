import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/main';
import type { RunConfigFile, RunSummary } from '../../src/core/runFormat';
import { writeStudyFixture } from '../browser/studyFixture';

async function aelab(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s), interactive: false, cwd });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const readJson = <T>(file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** Rows of the first Markdown table after `heading`, as cells. */
function markdownTable(md: string, heading: string): string[][] {
  const lines = md.slice(md.indexOf(heading)).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i].slice(2, -2).split(' | '));
  return rows;
}

function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('aelab report', function () {
  this.timeout(120_000);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aelab-report-'));
  const study = writeStudyFixture(root, 150);

  it('writes report.md, report.html and every figure as SVG and 2x PNG; the table is the runs\' summaries', async () => {
    const res = await aelab(root, 'report', study.runsDir, '-o', 'out');
    assert.equal(res.code, EXIT.ok, res.err);
    assert.match(res.out, /report of 10 run\(s\)/);
    const out = path.join(root, 'out');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; img-src data:;/);
    assert.doesNotMatch(html, /<script|src="http|href="http/);

    // Grouped over seeds: each row's AUROC is the mean ± sample std of its runs' summary.json values.
    const rows = markdownTable(md, '## Experiments');
    const header = rows[0];
    const col = (name: string) => header.indexOf(name);
    assert.equal(rows.length - 2, 6, '4 noise-study settings x 2 seeds + 2 one-class runs');
    const runs = study.runDirs.map((dir) => ({ config: readJson<RunConfigFile>(path.join(dir, 'config.json')), summary: readJson<RunSummary>(path.join(dir, 'summary.json')) }));
    for (const row of rows.slice(2)) {
      const members = runs.filter((r) => r.config.experiment.name === row[col('experiment')]
        && String(r.config.experiment.model.architecture) === row[col('model.architecture')]
        && String(r.config.experiment.corruption.level) === row[col('corruption.level')]
        && (r.config.experiment.data.normalClasses ? JSON.stringify(r.config.experiment.data.normalClasses) : '') === row[col('data.normalClasses')]);
      assert.equal(String(members.length), row[col('runs')]);
      const values = members.map((m) => m.summary.auroc);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const expected = values.length > 1 ? `${mean.toFixed(4)} ± ${Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)).toFixed(4)}` : mean.toFixed(4);
      assert.equal(row[col('AUROC')], expected);
      const f1 = members.map((m) => m.summary.operatingPoint.f1);
      assert.equal(row[col('F1')].split(' ')[0], (f1.reduce((a, b) => a + b, 0) / f1.length).toFixed(4));
    }
    // Questions with no varied runs say so.
    assert.match(md, /### SSIM vs MSE[\s\S]*?Only one setting of training\.loss/);
    assert.match(md, /### One class[\s\S]*?Published, not measured here: One-Class Deep SVDD/);

    const figures = fs.readdirSync(path.join(out, 'figures'));
    const svgs = figures.filter((f) => f.endsWith('.svg'));
    assert.ok(svgs.length >= 10 * 5, `5 figures per run at least, got ${svgs.length}`);
    for (const svg of svgs) {
      assert.ok(md.includes(`](figures/${svg})`), `${svg} is in report.md`);
      const width = Number(/<svg [^>]*width="(\d+)"/.exec(fs.readFileSync(path.join(out, 'figures', svg), 'utf8'))?.[1]);
      assert.equal(pngSize(path.join(out, 'figures', svg.replace(/\.svg$/, '.png'))).width, 2 * width, `${svg}: PNG at 2x`);
    }
  });

  it('reads an experiment file\'s sweep points, else its runs; skips runs that did not complete', async () => {
    fs.writeFileSync(path.join(root, 'noise.aelab.yaml'), 'name: noise-study\n');
    const all = await aelab(root, 'report', 'noise.aelab.yaml', '--runs-dir', study.runsDir, '-o', 'out-file');
    assert.equal(all.code, EXIT.ok, all.err);
    assert.match(all.out, /report of 8 run\(s\)/);

    // A sweep folder: only its points' runs; a point whose run was cancelled is skipped.
    const sweep = path.join(study.runsDir, '.sweeps', 'noise-study');
    fs.mkdirSync(path.join(sweep, 'points'), { recursive: true });
    const cancelled = path.join(root, 'cancelled-run');
    fs.mkdirSync(cancelled);
    fs.writeFileSync(path.join(cancelled, 'status.json'), JSON.stringify({ formatVersion: 1, runId: 'x', state: 'cancelled', startedAt: '2026-01-01T00:00:00Z' }));
    [study.runDirs[0], study.runDirs[3], cancelled].forEach((runDir, index) => fs.writeFileSync(path.join(sweep, 'points', `${index}.json`), JSON.stringify({ index, runDir, state: 'completed' })));
    const swept = await aelab(root, 'report', 'noise.aelab.yaml', '--runs-dir', study.runsDir, '-o', 'out-sweep');
    assert.equal(swept.code, EXIT.ok, swept.err);
    assert.match(swept.out, /report of 2 run\(s\) \(1 not completed, skipped\)/);
    assert.match(fs.readFileSync(path.join(root, 'out-sweep', 'report.md'), 'utf8'), /## Skipped runs[\s\S]*cancelled-run`: cancelled/);
  });

  it('bad input: a clear message, exit 1, nothing written', async () => {
    const missing = await aelab(root, 'report', 'nope', '-o', 'bad1');
    assert.equal(missing.code, EXIT.invalidInput);
    assert.match(missing.err, /nope: no such file or folder/);
    fs.mkdirSync(path.join(root, 'empty'));
    const empty = await aelab(root, 'report', 'empty', '-o', 'bad2');
    assert.equal(empty.code, EXIT.invalidInput);
    assert.match(empty.err, /empty: holds no run folders/);
    fs.writeFileSync(path.join(root, 'broken.aelab.yaml'), 'name: b\ntraining:\n  epochs: 0\n');
    const broken = await aelab(root, 'report', 'broken.aelab.yaml', '-o', 'bad3');
    assert.equal(broken.code, EXIT.invalidInput);
    assert.match(broken.err, /broken\.aelab\.yaml:3:11: /);
    const noOut = await aelab(root, 'report', study.runsDir);
    assert.equal(noOut.code, EXIT.invalidInput);
    assert.match(noOut.err, /needs -o DIR/);
    for (const d of ['bad1', 'bad2', 'bad3']) assert.ok(!fs.existsSync(path.join(root, d)), `${d} not created`);
  });
});
