// Precision/recall/F1 vs threshold, the ROC curve and the PR curve, each with the current
// operating point. The curves are computed once; a threshold move only redraws the markers.
import uPlot from 'uplot';
import { prCurve, precisionRecallVsThreshold, rocCurve } from '../../core/metrics';
import type { OperatingPoint } from '../../core/runFormat';
import { Chart, chartCard, ChartFormat, exportButtons, drawPoint, drawVerticalLine, themedAxes } from '../shared/charts';
import { h } from '../shared/dom';
import { fmtRate } from '../shared/format';
import type { ThemeColors } from '../shared/theme';
import type { ResultsModel } from './model';

type ExportChart = (u: uPlot, title: string, format: ChartFormat) => void;

interface CurveChart {
  card: ReturnType<typeof chartCard>;
  chart?: Chart;
  title: string;
}

/** ROC points with x ascending (uPlot needs sorted x); the first point (0,0) has threshold +Infinity. */
export function rocSeries(scores: ArrayLike<number>, labels: ArrayLike<number>): [number[], number[]] {
  const c = rocCurve(scores, labels);
  return [c.fpr, c.tpr];
}

/** PR points with recall ascending: prCurve lists thresholds increasing, so recall decreasing. */
export function prSeries(scores: ArrayLike<number>, labels: ArrayLike<number>): [number[], number[]] {
  const c = prCurve(scores, labels);
  return [[...c.recall].reverse(), [...c.precision].reverse()];
}

export class CurveCards {
  readonly roots: HTMLElement[];
  private readonly sweep: CurveChart;
  private readonly roc: CurveChart;
  private readonly pr: CurveChart;

  constructor(private readonly model: ResultsModel, private theme: ThemeColors, private readonly exportChart: ExportChart) {
    const auroc = model.run.summary?.auroc;
    const ap = model.run.summary?.averagePrecision;
    this.sweep = { card: chartCard('sweep', 'Precision, recall, F1 vs threshold'), title: 'Precision, recall, F1 vs threshold' };
    this.roc = { card: chartCard('roc', `ROC · AUROC ${fmtRate(auroc)}`), title: `ROC (AUROC ${fmtRate(auroc)})` };
    this.pr = { card: chartCard('pr', `Precision–recall · AP ${fmtRate(ap)}`), title: `Precision-recall (AP ${fmtRate(ap)})` };
    for (const c of [this.sweep, this.roc, this.pr]) {
      c.card.tools.append(...exportButtons(c.card.root.id, (format) => c.chart && this.exportChart(c.chart.plot, c.title, format)));
    }
    this.roc.card.footer.append(h('span', { class: 'hint', id: 'roc-point' }));
    this.pr.card.footer.append(h('span', { class: 'hint', id: 'pr-point' }));
    this.roots = [this.sweep.card.root, this.roc.card.root, this.pr.card.root];
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.build();
  }

  get plots(): uPlot[] {
    return [this.sweep, this.roc, this.pr].flatMap((c) => (c.chart ? [c.chart.plot] : []));
  }

  build(): void {
    for (const c of [this.sweep, this.roc, this.pr]) c.chart?.destroy();
    const s = this.model.run.scores;
    const sorted = this.model.sorted;
    if (!s || !sorted) return;
    const t = this.theme;
    const line = (label: string, stroke: string, dash?: number[]): uPlot.Series => ({ label, stroke, width: 1.5, dash, points: { show: false } });
    const unit: uPlot.Scale = { range: [0, 1.02] };

    const sweep = precisionRecallVsThreshold(sorted, 300);
    this.sweep.chart = new Chart(this.sweep.card.body, {
      scales: { x: { time: false }, y: unit },
      axes: themedAxes(t, 'threshold', 'rate'),
      series: [{ label: 'threshold' }, line('precision', t.palette[2]), line('recall', t.palette[3]), line('F1', t.palette[4]), line('FPR', t.anomalous, [4, 3])],
      cursor: { drag: { x: true, y: false } },
      hooks: { draw: [(u) => drawVerticalLine(u, this.model.threshold, t.threshold, { width: 2 })] },
    }, [sweep.thresholds, sweep.precision, sweep.recall, sweep.f1, sweep.fpr]);

    const [fpr, tpr] = rocSeries(s.values, s.labels);
    this.roc.chart = new Chart(this.roc.card.body, {
      scales: { x: { time: false, range: [0, 1] }, y: unit },
      axes: themedAxes(t, 'false-positive rate', 'true-positive rate'),
      series: [{ label: 'FPR' }, line('ROC', t.normal), line('chance', t.grid, [4, 4])],
      cursor: { drag: { x: true, y: true, uni: 20 } },
      hooks: { draw: [(u) => this.drawPoint(u, (p) => [p.fpr, p.recall])] },
    }, [fpr, tpr, fpr]);

    const [recall, precision] = prSeries(s.values, s.labels);
    const anomalyRate = sorted.anomalyCount / Math.max(1, sorted.count);
    this.pr.chart = new Chart(this.pr.card.body, {
      scales: { x: { time: false, range: [0, 1] }, y: unit },
      axes: themedAxes(t, 'recall', 'precision'),
      series: [{ label: 'recall' }, line('PR', t.normal), line('no skill', t.grid, [4, 4])],
      cursor: { drag: { x: true, y: true, uni: 20 } },
      hooks: { draw: [(u) => this.drawPoint(u, (p) => [p.recall, p.precision])] },
    }, [recall, precision, recall.map(() => anomalyRate)]);
    this.update();
  }

  private drawPoint(u: uPlot, at: (p: OperatingPoint) => [number, number]): void {
    const p = this.model.point;
    if (!p) return;
    const [x, y] = at(p);
    drawPoint(u, x, y, this.theme.threshold, this.theme.background);
  }

  /** Threshold moved: redraw markers only (cached paths). */
  update(): void {
    for (const u of this.plots) u.redraw(false, false);
    const p = this.model.point;
    if (!p) return;
    const rocText = document.getElementById('roc-point');
    if (rocText) rocText.textContent = `operating point: FPR ${fmtRate(p.fpr)}, TPR ${fmtRate(p.recall)}`;
    const prText = document.getElementById('pr-point');
    if (prText) prText.textContent = `operating point: recall ${fmtRate(p.recall)}, precision ${fmtRate(p.precision)}`;
  }

  destroy(): void {
    for (const c of [this.sweep, this.roc, this.pr]) c.chart?.destroy();
  }
}
