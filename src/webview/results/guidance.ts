// Plain advice under the header of a run whose numbers would otherwise leave a newcomer stuck:
// scores that barely separate the classes, or a good separation with a threshold that misses.
import type { RunSummary } from '../../core/runFormat';

export function runGuidance(summary: RunSummary | undefined): string[] {
  if (!summary || !Number.isFinite(summary.auroc)) return [];
  const auroc = summary.auroc.toFixed(2);
  const f1 = summary.operatingPoint.f1;
  const best = summary.thresholds.find((t) => t.strategy === 'max-f1');
  if (summary.auroc < 0.75) {
    return [
      `The anomaly scores barely tell normal from anomalous images (AUROC ${auroc}; 0.5 is chance), so no threshold can do well yet.`,
      'To improve the model: train longer (training.epochs) or on more images (data.trainLimit), or use model.architecture: cnn.',
      'To check the pipeline first: make the anomalies easier to see (a higher corruption.level).',
    ];
  }
  if (f1 < 0.5) {
    return [
      `The scores separate the classes well (AUROC ${auroc}), but the ${summary.chosen} threshold catches few anomalies (F1 ${f1.toFixed(2)}).`,
      `Compare the strategies below${best ? ` (max F1 reaches its best F1 at ${Number(best.value.toPrecision(4))}, using the labels)` : ''}, drag the threshold on the histogram, or try another evaluation.threshold.strategy.`,
    ];
  }
  return [];
}
