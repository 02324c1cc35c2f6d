#!/usr/bin/env node
// `npm run study`: runs every experiment in examples/ (the steps of the MNIST study) with the CLI,
// one after another, then prints a Markdown table of what each run measured (docs/STUDY.md
// records one such table). Extra arguments go to every `aelab run` (e.g. --set training.epochs=1).
//   npm run study -- [--runs-dir DIR] [--only cnn,fcn-simple] [--set path=value]...
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    'runs-dir': { type: 'string', default: join(root, '.aelab', 'study-runs') },
    only: { type: 'string' },
    set: { type: 'string', multiple: true, default: [] },
  },
});
const runsDir = resolve(values['runs-dir']);
const only = values.only ? new Set(values.only.split(',')) : undefined;
const examples = readdirSync(join(root, 'examples'))
  .filter((f) => f.endsWith('.aelab.yaml'))
  .filter((f) => !only || only.has(f.replace('.aelab.yaml', '')))
  .sort();

const rows = [];
for (const file of examples) {
  const started = Date.now();
  process.stderr.write(`\n== ${file}\n`);
  const args = [join(root, 'bin', 'aelab.js'), 'run', join(root, 'examples', file), '--runs-dir', runsDir, ...values.set.flatMap((s) => ['--set', s])];
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stderr.write(result.stdout);
  const folder = /run folder: (.+)$/m.exec(result.stdout)?.[1]?.trim();
  if (result.status !== 0 || !folder || !existsSync(join(folder, 'summary.json'))) {
    rows.push({ file, error: `exit ${result.status}` });
    continue;
  }
  const summary = JSON.parse(readFileSync(join(folder, 'summary.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')).experiment;
  rows.push({ file, summary, config, wall: (Date.now() - started) / 1000 });
}

const f = (n, d = 3) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(d) : '–');
console.log('| example | model | loss | training data | test anomalies | epochs | AUROC | AP | threshold (strategy) | precision | recall | F1 | train s |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  if (r.error) {
    console.log(`| ${r.file} | failed: ${r.error} |`);
    continue;
  }
  const { summary: s, config: c } = r;
  const op = s.operatingPoint;
  const model = c.model.architecture + (c.model.bottleneck ? ` + ${c.model.bottleneck}-unit bottleneck` : '');
  const train = (c.data.normalClasses ? `digits ${c.data.normalClasses.join(',')}` : 'all digits')
    + (c.data.trainContamination ? `, ${c.data.trainContamination.fraction * 100}% corrupted` : '');
  const anomalies = c.corruption.fraction > 0 ? `${c.corruption.fraction * 100}% ${c.corruption.type} ${c.corruption.level}` : 'other digits';
  console.log(`| ${r.file.replace('.aelab.yaml', '')} | ${model} | ${c.training.loss} | ${train} | ${anomalies} | ${s.epochsRun} | ${f(s.auroc, 4)} | ${f(s.averagePrecision, 4)} | ${f(op.threshold, 5)} (${s.chosen}) | ${f(op.precision)} | ${f(op.recall)} | ${f(op.f1)} | ${f(s.trainSeconds, 0)} |`);
}
process.exitCode = rows.some((r) => r.error) ? 1 : 0;
