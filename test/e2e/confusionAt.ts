// Helper of the UI end-to-end test (test/e2e/run.mjs): the confusion counts core computes over a
// run folder's scores.bin / labels.bin at given thresholds, printed as JSON on stdout.
//
//   npx tsx test/e2e/confusionAt.ts <run folder> <threshold> [<threshold>...]
//   -> {"count":200,"anomalies":40,"points":[{"threshold":0.1,"tp":..,"tn":..,"fp":..,"fn":..,"f1":..}]}
import { confusionAt, operatingPoint } from '../../src/core/metrics';
import { readScores } from '../../src/core/runFolder';

function main(argv: string[]): void {
  const [runDir, ...thresholds] = argv;
  if (!runDir || thresholds.length === 0) throw new Error('usage: confusionAt.ts <run folder> <threshold> [<threshold>...]');
  const { scores, labels } = readScores(runDir);
  const points = thresholds.map((text) => {
    const threshold = Number(text);
    if (!Number.isFinite(threshold)) throw new Error(`not a threshold: ${text}`);
    const counts = confusionAt(scores, labels, threshold);
    return { threshold, ...counts, f1: operatingPoint(counts, threshold).f1 };
  });
  const anomalies = labels.reduce((n, l) => n + (l ? 1 : 0), 0);
  process.stdout.write(`${JSON.stringify({ count: scores.length, anomalies, points })}\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`confusionAt: ${(err as Error).message}\n`);
  process.exit(1);
}
