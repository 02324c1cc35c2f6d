// The corruption and threshold tables of docs/STUDY.md, from one trained run: the run's saved
// model scores the test set once per corruption (gaussian at several sigmas, every type at its
// default level; same seed streams as a run), and every threshold strategy is computed as a run
// would (core/thresholds.ts), plus the 99th percentile for reference. One training, so the rows
// differ only by the corruption.
//
//   npx tsx bench/threshold-study.ts <run folder of examples/cnn.aelab.yaml> [--cache DIR]
//
// --cache keeps each scenario's scores (scores-<name>.bin) so a rerun only recomputes thresholds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CORRUPTION_LEVELS } from '../src/core/corruptionLevels';
import type { CorruptionType, ResolvedExperiment } from '../src/core/experiment.generated';
import { confusionAt, operatingPoint, rocAuc } from '../src/core/metrics';
import type { RunConfigFile } from '../src/core/runFormat';
import { computeThresholds, percentile } from '../src/core/thresholds';
import { initBackend } from '../src/engine/backend';
import { CORRUPTION_TYPES } from '../src/engine/corruption';
import { loadDataset } from '../src/engine/datasets';
import { loadModel } from '../src/engine/modelIo';
import { asFloats, prepareData } from '../src/engine/prepareData';
import { scoreImages } from '../src/engine/score';

interface Scenario { name: string; type: CorruptionType; level: number }

const scenarios: Scenario[] = [
  ...[0.05, 0.1, 0.2, 0.4].map((level) => ({ name: `gaussian-${level}`, type: 'gaussian' as const, level })),
  ...CORRUPTION_TYPES.filter((t) => t !== 'gaussian').map((type) => ({ name: `${type}-default`, type, level: DEFAULT_CORRUPTION_LEVELS[type] })),
];

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { cache: { type: 'string' } } });
  const runDir = positionals[0];
  if (!runDir) throw new Error('usage: tsx bench/threshold-study.ts <run folder> [--cache DIR]');
  const config = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as RunConfigFile;
  await initBackend('wasm');
  const model = await loadModel(path.join(runDir, 'model'));
  const base = config.experiment;
  const dataset = await loadDataset(base.data, path.dirname(config.experimentPath ?? '.'));
  const cache = values.cache;
  if (cache) fs.mkdirSync(cache, { recursive: true });
  const f = (x: number) => x.toFixed(3);
  console.log('| corruption | level | mean abs change | nearly identical | AUROC | F1 percentile 99.9 | F1 percentile 99 | F1 mixture | F1 max-f1 (labels) | mixture threshold / max-f1 threshold |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  let validation: Float32Array | undefined;
  for (const s of scenarios) {
    const experiment: ResolvedExperiment = { ...base, corruption: { ...base.corruption, type: s.type, level: s.level } };
    const data = prepareData(dataset, experiment);
    const cacheFile = cache && path.join(cache, `scores-${s.name}.bin`);
    let scores: Float32Array;
    if (cacheFile && fs.existsSync(cacheFile)) {
      scores = new Float32Array(new Uint8Array(fs.readFileSync(cacheFile)).buffer);
    } else {
      scores = scoreImages(model, data.testInput, data.testCount, data.width, data.height, base.evaluation.score);
      if (cacheFile) fs.writeFileSync(cacheFile, new Uint8Array(scores.buffer));
    }
    validation ??= scoreImages(model, asFloats(data.validation), data.validationCount, data.width, data.height, base.evaluation.score);
    const thresholds = computeThresholds(base.evaluation.threshold, validation, scores, data.testLabels);
    const f1At = (t: number) => operatingPoint(confusionAt(scores, data.testLabels, t), t).f1;
    const at = (strategy: string) => thresholds.find((r) => r.strategy === strategy)?.value ?? NaN;
    const change = data.testCorruptionChange;
    console.log(`| ${s.type} | ${s.level} | ${change.meanAbsChange.toFixed(4)} | ${change.nearlyIdentical} | ${rocAuc(scores, data.testLabels).toFixed(4)} | ${f(f1At(at('percentile')))} | ${f(f1At(percentile(validation, 99)))} | ${f(f1At(at('mixture')))} | ${f(f1At(at('max-f1')))} | ${at('mixture').toPrecision(3)} / ${at('max-f1').toPrecision(3)} |`);
  }
  model.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
