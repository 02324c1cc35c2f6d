// Training and validation loss per epoch: live while the run trains (with the per-batch training
// loss, smoothed, so the chart fills from the first batch), best epoch and early stop marked,
// drag to zoom (double-click resets), log-scale and wall-time toggles.
import uPlot from 'uplot';
import type { BatchLossPoint } from '../../core/protocol';
import type { EpochMetrics, RunSummary } from '../../core/runFormat';
import { Chart, chartCard, ChartFormat, exportButtons, drawVerticalLine, epochAxes, themedAxes } from '../shared/charts';
import { controlChecked, h } from '../shared/dom';
import { ThemeColors, withAlpha } from '../shared/theme';

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing): the first values are
 * not pulled towards 0. `weight` 0 returns the values unchanged.
 */
export function smoothLoss(values: readonly number[], weight = 0.9): number[] {
  const out: number[] = [];
  let ema = 0;
  let norm = 0;
  for (const v of values) {
    ema = weight * ema + (1 - weight) * v;
    norm = weight * norm + (1 - weight);
    out.push(ema / norm);
  }
  return out;
}

/** One x array for the epoch points and the batch points (uPlot aligns every series on it). */
export function alignLossSeries(
  epochs: readonly { x: number; train: number | null; val: number | null }[],
  batches: readonly { x: number; loss: number }[],
): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  const rows = [
    ...epochs.map((e) => ({ x: e.x, train: e.train, val: e.val, batch: null as number | null })),
    ...batches.map((b) => ({ x: b.x, train: null, val: null, batch: b.loss as number | null })),
  ].sort((a, b) => a.x - b.x);
  return [rows.map((r) => r.x), rows.map((r) => r.train), rows.map((r) => r.val), rows.map((r) => r.batch)];
}

export interface LossMarkers {
  bestEpoch?: number;
  /** Epoch where early stopping ended training. */
  stoppedAt?: number;
}

/** Best epoch (lowest validation loss; the summary's when the run finished) and early stop. */
export function lossMarkers(metrics: readonly EpochMetrics[], summary: RunSummary | undefined): LossMarkers {
  if (summary) return { bestEpoch: summary.bestEpoch || undefined, stoppedAt: summary.stoppedEarly ? summary.epochsRun : undefined };
  let best: EpochMetrics | undefined;
  for (const m of metrics) if (Number.isFinite(m.valLoss) && (!best || m.valLoss < best.valLoss)) best = m;
  return { bestEpoch: best?.epoch };
}

export class LossCard {
  readonly root: HTMLElement;
  private chart: Chart | undefined;
  private readonly body: HTMLElement;
  private readonly status: HTMLElement;
  private metrics: EpochMetrics[] = [];
  private summary: RunSummary | undefined;
  private epochsPlanned = 0;
  private batches: BatchLossPoint[] = [];
  private wallTime = false;

  constructor(private theme: ThemeColors, private logScale: boolean, private readonly onLogChange: (log: boolean) => void, private readonly exportChart: (u: uPlot, title: string, format: ChartFormat) => void) {
    const card = chartCard('loss', 'Loss per epoch');
    this.root = card.root;
    this.body = card.body;
    this.status = h('span', { class: 'hint', id: 'loss-status' });
    const log = h('vscode-checkbox', { id: 'loss-log', checked: logScale }, 'log scale');
    log.addEventListener('change', () => {
      this.logScale = controlChecked(log);
      this.onLogChange(this.logScale);
      this.rebuild();
    });
    const time = h('vscode-checkbox', { id: 'loss-time', title: 'Seconds of training on the x axis instead of epochs' }, 'wall time');
    time.addEventListener('change', () => {
      this.wallTime = controlChecked(time);
      this.rebuild();
    });
    card.tools.append(log, time, ...exportButtons('loss', (format) => this.chart && this.exportChart(this.chart.plot, 'Loss per epoch', format)));
    card.footer.append(this.status);
  }

  get plot(): uPlot | undefined {
    return this.chart?.plot;
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.rebuild();
  }

  /** Per-batch training losses of a live run: `points` continue the list at `from` (0 replaces it). */
  setBatchLoss(from: number, points: readonly BatchLossPoint[]): void {
    const hadSeries = this.batches.length > 0;
    this.batches = from === 0 ? [...points] : [...this.batches.slice(0, from), ...points];
    if (!hadSeries || !this.chart) this.rebuild();
    else this.chart.plot.setData(this.data(), true);
  }

  /** New epochs (live) or the final summary: cheap setData when the chart exists. */
  setData(metrics: readonly EpochMetrics[], summary: RunSummary | undefined, epochsPlanned: number): void {
    const grew = !this.chart || this.epochsPlanned !== epochsPlanned;
    this.metrics = [...metrics];
    this.summary = summary;
    this.epochsPlanned = epochsPlanned;
    const markers = lossMarkers(this.metrics, summary);
    const parts = [`${this.metrics.length}${epochsPlanned ? ` of ${epochsPlanned}` : ''} epochs`];
    if (markers.bestEpoch) parts.push(`best epoch ${markers.bestEpoch}`);
    if (markers.stoppedAt) parts.push(`stopped early after epoch ${markers.stoppedAt}`);
    this.status.textContent = parts.join(' · ');
    if (grew) this.rebuild();
    else this.chart?.plot.setData(this.data(), true);
  }

  private data(): uPlot.AlignedData {
    const positive = (v: number) => (this.logScale && !(v > 0) ? null : v);
    let elapsed = 0;
    const epochs = this.metrics.map((m) => {
      elapsed += m.seconds;
      return { x: this.wallTime ? elapsed : m.epoch, train: positive(m.trainLoss), val: positive(m.valLoss) };
    });
    const smoothed = smoothLoss(this.batches.map((b) => b.loss));
    const batches = this.batches.map((b, i) => ({ x: this.wallTime ? b.seconds : b.epoch, loss: smoothed[i] })).filter((b) => !this.logScale || b.loss > 0);
    const [x, train, val, batch] = alignLossSeries(epochs, batches);
    return this.batches.length > 0 ? [x, train, val, batch] : [x, train, val];
  }

  rebuild(): void {
    this.chart?.destroy();
    const t = this.theme;
    const planned = Math.max(this.epochsPlanned, this.metrics.length, 2);
    const series: uPlot.Series[] = [
      { label: this.wallTime ? 'seconds' : 'epoch' },
      { label: 'train', stroke: t.train, width: 2, spanGaps: true, points: { show: true, size: 5 } },
      // Dashed as well as coloured: the two stay apart in any theme.
      { label: 'validation', stroke: t.validation, width: 2, dash: [6, 3], spanGaps: true, points: { show: true, size: 5 } },
    ];
    if (this.batches.length > 0) series.push({ label: 'train per batch (smoothed)', stroke: withAlpha(t.train, 0.55), width: 1, spanGaps: true, points: { show: false } });
    const data = this.data();
    this.chart = new Chart(this.body, {
      scales: {
        // Epochs: fixed to the planned epochs so a live run fills the chart from left to right.
        x: this.wallTime
          ? { time: false }
          : { time: false, range: (_u, min, max) => [Math.min(1, min ?? 1), Math.max(planned, max || 1)] },
        y: this.logScale ? { distr: 3 } : {},
      },
      axes: this.wallTime ? themedAxes(t, 'wall time (s)', 'loss') : epochAxes(t, 'loss'),
      series,
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [(u) => this.drawMarkers(u)] },
    }, data);
  }

  private drawMarkers(u: uPlot): void {
    if (this.wallTime) return; // markers name epochs
    const m = lossMarkers(this.metrics, this.summary);
    if (m.bestEpoch) drawVerticalLine(u, m.bestEpoch, this.theme.palette[2], { dash: [4, 3], label: this.summary ? 'best' : 'best so far', labelRow: 0 });
    if (m.stoppedAt) drawVerticalLine(u, m.stoppedAt, this.theme.anomalous, { dash: [2, 2], label: 'early stop', labelRow: 1 });
  }

  destroy(): void {
    this.chart?.destroy();
  }
}
