import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, main } from '../../src/cli/main';
import type { RunConfigFile, RunSummary } from '../../src/core/runFormat';
import { renderMarkdown } from '../../src/report/reportDocument';
import type { ReportRun } from '../../src/report/reportRuns';
import { buildStudyReport, oneClassSettings } from '../../src/report/studyReport';
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

  it('--figures svg --per-run representative --samples 2: no PNGs, one run section per setting, the same table', async () => {
    const res = await aelab(root, 'report', study.runsDir, '-o', 'out-small', '--figures', 'svg', '--per-run', 'representative', '--samples', '2');
    assert.equal(res.code, EXIT.ok, res.err);
    assert.match(res.out, /report of 10 run\(s\)/);
    assert.doesNotMatch(res.out, /PNG/);
    const out = path.join(root, 'out-small');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    const figures = fs.readdirSync(path.join(out, 'figures'));
    assert.deepEqual(figures.filter((f) => !f.endsWith('.svg')), [], 'SVG only');
    assert.doesNotMatch(md, /\.png/);
    assert.doesNotMatch(html, /\.png"/);
    // The experiments table is the full report's, cell for cell.
    const full = fs.readFileSync(path.join(root, 'out', 'report.md'), 'utf8');
    assert.deepEqual(markdownTable(md, '## Experiments'), markdownTable(full, '## Experiments'));

    // One section per setting: the run whose AUROC is closest to its setting's mean, its numbers its summary's.
    const runs = study.runDirs.map((dir) => ({ config: readJson<RunConfigFile>(path.join(dir, 'config.json')), summary: readJson<RunSummary>(path.join(dir, 'summary.json')) }));
    const sections = [...md.matchAll(/^### (noise-study|one-class) · (\S+)$/gm)].map((m) => m[2]);
    assert.equal(sections.length, 6, '4 noise-study settings + 2 one-class digits');
    const settingOf = (e: RunConfigFile['experiment']) => JSON.stringify([e.name, e.model.architecture, e.corruption.level, e.data.normalClasses]);
    for (const runId of sections) {
      const run = runs.find((r) => r.summary.runId === runId);
      assert.ok(run, runId);
      const group = runs.filter((r) => settingOf(r.config.experiment) === settingOf(run.config.experiment));
      const mean = group.reduce((a, r) => a + r.summary.auroc, 0) / group.length;
      for (const other of group) assert.ok(Math.abs(run.summary.auroc - mean) <= Math.abs(other.summary.auroc - mean), `${runId} is the closest to its mean`);
      const section = md.slice(md.indexOf(`· ${runId}`)).split('\n### ')[0];
      assert.match(section, new RegExp(`AUROC ${run.summary.auroc.toFixed(4)}, average precision ${run.summary.averagePrecision.toFixed(4)}`));
      if (group.length > 1) assert.match(section, new RegExp(`Representative of ${group.length} runs[^\n]*${group.find((r) => r !== run)?.summary.runId}`));
      // Two normal and two anomalous samples, four images each.
      const samples = figures.find((f) => f.includes(runId) && f.endsWith('-samples.svg'));
      assert.ok(samples, `${runId} has a sample grid`);
      assert.equal(fs.readFileSync(path.join(out, 'figures', samples), 'utf8').match(/<image /g)?.length, 4 * 4);
      const sweep = figures.find((f) => f.includes(runId) && f.endsWith('-threshold-sweep.svg')) as string;
      assert.doesNotMatch(fs.readFileSync(path.join(out, 'figures', sweep), 'utf8'), /<circle/, 'dense curves without markers');
    }
    const bytes = (dir: string) => fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.ok(bytes(path.join(out, 'figures')) * 3 < bytes(path.join(root, 'out', 'figures')), 'figures under a third of the full report\'s');
  });

  it('--per-run summary: no run sections, only the table and the across-run charts; bad options write nothing', async () => {
    const res = await aelab(root, 'report', study.runsDir, '-o', 'out-summary', '--per-run', 'summary', '--figures', 'svg');
    assert.equal(res.code, EXIT.ok, res.err);
    const out = path.join(root, 'out-summary');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    assert.doesNotMatch(md, /^### (noise-study|one-class) · /m);
    assert.match(md, /No per-run sections \(`--per-run summary`\): the 10 run\(s\) are the rows/);
    const full = fs.readFileSync(path.join(root, 'out', 'report.md'), 'utf8');
    assert.deepEqual(markdownTable(md, '## Experiments'), markdownTable(full, '## Experiments'));
    const figures = fs.readdirSync(path.join(out, 'figures'));
    assert.ok(figures.length > 0);
    assert.ok(figures.every((f) => !/2026\d{4}-/.test(f)), `only across-run figures: ${figures.join(', ')}`);

    for (const [flag, value, message] of [['--figures', 'jpg', /--figures jpg: expected svg or svg\+png/], ['--per-run', 'some', /--per-run some: expected all, representative, summary/], ['--samples', '17', /--samples 17: expected a whole number from 0 to 16/], ['--samples', '2.5', /--samples 2\.5/]] as const) {
      const bad = await aelab(root, 'report', study.runsDir, '-o', 'bad-option', flag, value);
      assert.equal(bad.code, EXIT.invalidInput, `${flag} ${value}`);
      assert.match(bad.err, message);
      assert.ok(!fs.existsSync(path.join(root, 'bad-option')));
    }
  });

  it('one-class runs of two settings are two bar series beside the published ones, never averaged together', () => {
    const oneClass = study.runDirs.slice(-2).map((dir) => {
      const config = readJson<RunConfigFile>(path.join(dir, 'config.json'));
      return { dir, runId: path.basename(dir), experiment: config.experiment, summary: readJson<RunSummary>(path.join(dir, 'summary.json')) };
    });
    const epochs = oneClass[0].experiment.training.epochs;
    const longer = oneClass.map((r) => ({ ...r, runId: `${r.runId}-long`, experiment: { ...r.experiment, training: { ...r.experiment.training, epochs: epochs + 7 } }, summary: { ...r.summary, auroc: 0.5 } }));
    const settings = oneClassSettings([...oneClass, ...longer]);
    assert.deepEqual(settings.map((s) => s.name), ['this study (1), mean over seeds', 'this study (2), mean over seeds']);
    assert.deepEqual(settings.map((s) => s.setting), [`\`training.epochs\` ${epochs}`, `\`training.epochs\` ${epochs + 7}`]);
    assert.deepEqual(settings.map((s) => s.runs.map((r) => r.runId)), [oneClass.map((r) => r.runId), longer.map((r) => r.runId)]);
    assert.deepEqual(oneClassSettings(oneClass).map((s) => s.name), ['this study, mean over seeds']);
    const report = buildStudyReport({ runs: [...oneClass, ...longer] as unknown as ReportRun[], skipped: [], title: 'one-class' }, new Date(0), { figures: 'svg', perRun: 'summary', samples: 0 });
    const bars = report.figures.find((f) => f.title.startsWith('Per-digit AUROC'));
    assert.ok(bars);
    for (const s of settings) assert.ok(bars.svg.includes(s.name), s.name);
    // Under the chart, each numbered setting is spelled out.
    const text = renderMarkdown(report.blocks);
    for (const s of settings) assert.ok(text.includes(`**${s.name}** (2 runs): ${s.setting}.`), s.setting);
    assert.ok(bars.svg.includes('One-Class Deep SVDD (published)'));
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
