// Read-only Markdown views of run folders (Open Results until the panels exist; Compare Runs).
// vscode-free.
import type { RunContents } from '../../core/runFolder';
import { formatDuration, formatLoss, formatMetric, formatStrategy } from './format';

function row(cells: (string | number)[]): string {
  return `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
}

function table(header: string[], rows: (string | number)[][]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

export function runTitle(run: RunContents): string {
  const name = run.config?.experimentName ?? run.summary?.experimentName ?? '?';
  return `${name} / ${run.status.runId}`;
}

export function renderRunMarkdown(run: RunContents): string {
  const out: string[] = [`# ${runTitle(run)}`, ''];
  const s = run.status;
  const state = run.stale ? 'failed (its process is gone)' : s.state;
  out.push(`- **State:** ${state}${s.error ? ` — ${s.error}` : ''}`);
  out.push(`- **Started:** ${s.startedAt}${s.endedAt ? `, **ended:** ${s.endedAt}` : ''}`);
  if (run.config) {
    const x = run.config.experiment;
    out.push(`- **Experiment file:** ${run.config.experimentPath ?? '–'}`);
    out.push(`- **Model:** ${x.model.architecture}, loss ${x.training.loss}, ${x.training.optimizer} lr ${x.training.learningRate}, batch ${x.training.batchSize}, ${x.training.epochs} epoch(s)`);
    out.push(`- **Data:** ${x.data.dataset}${x.data.trainLimit ? `, ${x.data.trainLimit} training images` : ''}${x.data.testLimit ? `, ${x.data.testLimit} test images` : ''}; corruption ${x.corruption.type} level ${x.corruption.level} on ${x.corruption.fraction * 100}% of the test set`);
    out.push(`- **Backend:** ${run.config.backend} (tfjs ${run.config.versions.tfjs}, node ${run.config.versions.node}, aelab ${run.config.versions.aelab})`);
  }
  out.push(`- **Folder:** ${run.dir}`);
  out.push('');
  const m = run.summary;
  if (m) {
    const op = m.operatingPoint;
    out.push('## Detection', '');
    out.push(table(['AUROC', 'AUPRC', 'threshold', 'strategy', 'precision', 'recall', 'F1', 'accuracy', 'FPR'], [[
      formatMetric(m.auroc, 4), formatMetric(m.averagePrecision, 4), op.threshold.toPrecision(4), formatStrategy(m),
      formatMetric(op.precision), formatMetric(op.recall), formatMetric(op.f1), formatMetric(op.accuracy), formatMetric(op.fpr),
    ]]));
    out.push('', '## Confusion matrix', '');
    out.push(table(['', 'predicted anomaly', 'predicted normal'], [['anomaly', op.tp, op.fn], ['normal', op.fp, op.tn]]));
    out.push('', `${m.testCount} test images, ${m.anomalyCount} anomalous. Mean score normal ${m.meanScoreNormal.toPrecision(4)}, anomalous ${m.meanScoreAnomalous.toPrecision(4)} (ratio ${m.scoreRatio.toFixed(2)}).`);
    out.push('', '## Thresholds', '');
    out.push(table(['strategy', 'value', 'uses labels', 'how'], m.thresholds.map((t) => [t.strategy + (t.strategy === m.chosen ? ' (chosen)' : ''), t.value.toPrecision(4), t.usesLabels ? 'yes' : 'no', t.description])));
    out.push('', `Trained ${m.epochsRun} epoch(s)${m.stoppedEarly ? ' (stopped early)' : ''}, best epoch ${m.bestEpoch}; training ${formatDuration(m.trainSeconds)}, total ${formatDuration(m.totalSeconds)} on ${m.backend}${m.trainingThreads === 2 ? ' (two threads)' : ''}.`);
  }
  if (run.metrics.length > 0) {
    out.push('', '## Epochs', '');
    out.push(table(['epoch', 'train loss', 'validation loss', 'seconds'], run.metrics.map((e) => [e.epoch, formatLoss(e.trainLoss), formatLoss(e.valLoss), e.seconds.toFixed(1)])));
  }
  out.push('');
  return out.join('\n');
}

/** Side by side: one row per run; config differences listed below the table. */
export function renderComparisonMarkdown(runs: readonly RunContents[]): string {
  const out: string[] = ['# Run comparison', ''];
  out.push(table(
    ['run', 'state', 'AUROC', 'AUPRC', 'F1', 'precision', 'recall', 'threshold', 'epochs', 'best val loss', 'train time', 'backend'],
    runs.map((r) => {
      const m = r.summary;
      const best = r.metrics.length ? Math.min(...r.metrics.map((e) => e.valLoss)) : undefined;
      return [
        runTitle(r), r.stale ? 'failed' : r.status.state, formatMetric(m?.auroc, 4), formatMetric(m?.averagePrecision, 4), m ? `${formatMetric(m.operatingPoint.f1)} (${formatStrategy(m)})` : '–',
        formatMetric(m?.operatingPoint.precision), formatMetric(m?.operatingPoint.recall), m ? `${m.operatingPoint.threshold.toPrecision(4)} (${m.chosen})` : '–',
        m?.epochsRun ?? r.metrics.length, formatLoss(best), m ? formatDuration(m.trainSeconds) : '–', m?.backend ?? r.config?.backend ?? '–',
      ];
    }),
  ));
  const diffs = configDifferences(runs);
  out.push('', '## Settings that differ', '');
  if (diffs.length === 0) out.push('The runs share every setting.');
  else out.push(table(['setting', ...runs.map(runTitle)], diffs.map((d) => [d.path, ...d.values])));
  out.push('');
  return out.join('\n');
}

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(value));
  }
}

export function configDifferences(runs: readonly RunContents[]): { path: string; values: string[] }[] {
  const flat = runs.map((r) => {
    const m = new Map<string, string>();
    if (r.config) flatten(r.config.experiment, '', m);
    return m;
  });
  const keys = new Set(flat.flatMap((m) => [...m.keys()]));
  const diffs: { path: string; values: string[] }[] = [];
  for (const key of [...keys].sort()) {
    if (key === 'description') continue;
    const values = flat.map((m) => m.get(key) ?? '–');
    if (new Set(values).size > 1) diffs.push({ path: key, values });
  }
  return diffs;
}
