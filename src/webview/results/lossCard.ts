// Training and validation loss per epoch: live while the run trains, best epoch and early stop
// marked, drag to zoom (double-click resets), log-scale toggle.
import uPlot from 'uplot';
import type { EpochMetrics, RunSummary } from '../../core/runFormat';
import { Chart, chartCard, drawVerticalLine, epochAxes } from '../shared/charts';
import { controlChecked, h } from '../shared/dom';
import type { ThemeColors } from '../shared/theme';

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

  constructor(private theme: ThemeColors, private logScale: boolean, private readonly onLogChange: (log: boolean) => void, private readonly exportPng: (u: uPlot, title: string) => void) {
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
    const png = h('vscode-button', { appearance: 'secondary', id: 'loss-png', title: 'Save the chart as PNG' }, 'PNG');
    png.addEventListener('click', () => this.chart && this.exportPng(this.chart.plot, 'Loss per epoch'));
    card.tools.append(log, png);
    card.footer.append(this.status);
  }

  get plot(): uPlot | undefined {
    return this.chart?.plot;
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.rebuild();
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
    return [this.metrics.map((m) => m.epoch), this.metrics.map((m) => positive(m.trainLoss)), this.metrics.map((m) => positive(m.valLoss))];
  }

  rebuild(): void {
    this.chart?.destroy();
    const t = this.theme;
    const planned = Math.max(this.epochsPlanned, this.metrics.length, 2);
    this.chart = new Chart(this.body, {
      scales: {
        // Fixed to the planned epochs so a live run fills the chart from left to right.
        x: { time: false, range: (_u, min, max) => [Math.min(1, min || 1), Math.max(planned, max || 1)] },
        y: this.logScale ? { distr: 3 } : {},
      },
      axes: epochAxes(t, 'loss'),
      series: [
        { label: 'epoch' },
        { label: 'train', stroke: t.train, width: 2, points: { show: true, size: 5 } },
        // Dashed as well as coloured: the two stay apart in any theme.
        { label: 'validation', stroke: t.validation, width: 2, dash: [6, 3], points: { show: true, size: 5 } },
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [(u) => this.drawMarkers(u)] },
    }, this.data());
  }

  private drawMarkers(u: uPlot): void {
    const m = lossMarkers(this.metrics, this.summary);
    if (m.bestEpoch) drawVerticalLine(u, m.bestEpoch, this.theme.palette[2], { dash: [4, 3], label: this.summary ? 'best' : 'best so far', labelRow: 0 });
    if (m.stoppedAt) drawVerticalLine(u, m.stoppedAt, this.theme.anomalous, { dash: [2, 2], label: 'early stop', labelRow: 1 });
  }

  destroy(): void {
    this.chart?.destroy();
  }
}
