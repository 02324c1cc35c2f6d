// Error distribution: normal and anomalous score histograms overlaid, with the draggable
// threshold marker and a named marker per strategy. Drag on the plot to zoom (bins are
// recomputed for the zoomed range), double-click to zoom out, click a bar to see its images.
import uPlot from 'uplot';
import { histogram, Histogram, indicesInBin } from '../../core/histogram';
import { Chart, chartCard, ChartFormat, exportButtons, drawVerticalLine, markerLabelSpan, themedAxes } from '../shared/charts';
import { assignLabelRows } from '../shared/labelRows';
import { controlChecked, controlValue, h, setText } from '../shared/dom';
import { fmtScore } from '../shared/format';
import { ThemeColors, withAlpha } from '../shared/theme';
import type { ResultsModel, ResultsViewState } from './model';

export interface HistogramCallbacks {
  /** Live drag: called at most once per animation frame. */
  onDrag(threshold: number): void;
  onDragEnd(threshold: number): void;
  onBinClick(indices: number[], label: string): void;
  onSettingsChange(): void;
  exportChart(u: uPlot, title: string, format: ChartFormat): void;
}

const BIN_CHOICES = [20, 40, 60, 100, 150, 250];

export class HistogramCard {
  readonly root: HTMLElement;
  private chart: Chart | undefined;
  private readonly body: HTMLElement;
  private handle: HTMLElement | undefined;
  private zoom: [number, number] | undefined;
  private hist: Histogram | undefined;
  private pending: number | undefined;
  private frame = 0;
  private offScale: { left: HTMLElement; right: HTMLElement } | undefined;
  private readonly hint: HTMLElement;

  constructor(private readonly model: ResultsModel, private theme: ThemeColors, private readonly view: ResultsViewState, private readonly cb: HistogramCallbacks) {
    const card = chartCard('histogram', 'Error distribution');
    this.root = card.root;
    this.root.classList.add('wide');
    this.body = card.body;

    const bins = h('vscode-dropdown', { id: 'bins', title: 'Number of bins' });
    for (const b of BIN_CHOICES) bins.append(h('vscode-option', { value: String(b), selected: b === view.bins }, `${b} bins`));
    bins.addEventListener('change', () => {
      view.bins = Number(controlValue(bins)) || view.bins;
      this.rebuild();
      cb.onSettingsChange();
    });
    const logY = h('vscode-checkbox', { id: 'hist-log-y', checked: view.logY }, 'log y');
    logY.addEventListener('change', () => {
      view.logY = controlChecked(logY);
      this.rebuild();
      cb.onSettingsChange();
    });
    const logX = h('vscode-checkbox', { id: 'hist-log-x', checked: view.logX, title: 'Logarithmic score axis (positive scores only)' }, 'log x');
    logX.addEventListener('change', () => {
      view.logX = controlChecked(logX);
      this.zoom = undefined;
      this.rebuild();
      cb.onSettingsChange();
    });
    card.tools.append(bins, logY, logX, ...exportButtons('histogram', (format) => this.chart && cb.exportChart(this.chart.plot, 'Error distribution', format)));
    this.hint = h('span', { class: 'hint', id: 'histogram-hint' });
    card.footer.append(this.hint);
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.rebuild();
  }

  get plot(): uPlot | undefined {
    return this.chart?.plot;
  }

  private canLogX(): boolean {
    return this.view.logX && (this.model.sorted?.max ?? 0) > 0;
  }

  private computeHistogram(): Histogram {
    const s = this.model.run.scores;
    if (!s) return { edges: [0, 1], normal: [0], anomalous: [0] };
    const log = this.canLogX();
    return histogram(s.values, s.labels, { bins: this.view.bins, log, min: this.zoom?.[0], max: this.zoom?.[1] });
  }

  private data(hist: Histogram): uPlot.AlignedData {
    // Stepped series hold the value of x[i] until x[i + 1]: one value per edge, the last repeated.
    const ys = (counts: number[]) => {
      const out: (number | null)[] = counts.map((c) => (this.view.logY && c === 0 ? null : c));
      out.push(out[out.length - 1]);
      return out;
    };
    return [hist.edges, ys(hist.normal), ys(hist.anomalous)];
  }

  rebuild(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.handle = undefined;
    this.offScale = undefined;
    if (!this.model.run.scores) return;
    const hist = this.computeHistogram();
    this.hist = hist;
    const t = this.theme;
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const options: Omit<uPlot.Options, 'width' | 'height'> = {
      scales: {
        // Exactly the bins' range: uPlot pads a log axis out to whole decades otherwise.
        x: { time: false, distr: this.canLogX() ? 3 : 1, range: () => [hist.edges[0], hist.edges[hist.edges.length - 1]] },
        y: this.view.logY ? { distr: 3 } : { range: (_u, _min, max) => [0, Math.max(1, max) * 1.08] },
      },
      axes: themedAxes(t, `anomaly score (${this.model.run.scores.kind})`, 'test images'),
      series: [
        { label: 'score' },
        { label: 'normal', stroke: t.normal, fill: withAlpha(t.normal, 0.3), width: 1, paths: stepped, points: { show: false } },
        { label: 'anomalous', stroke: t.anomalous, fill: withAlpha(t.anomalous, 0.3), width: 1, paths: stepped, points: { show: false } },
      ],
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      legend: { show: true, live: false },
      hooks: {
        draw: [(u) => this.drawMarkers(u)],
        setSelect: [(u) => this.onSelect(u)],
      },
    };
    this.chart = new Chart(this.body, options, this.data(hist));
    this.installInteraction(this.chart.plot);
    this.update(); // uPlot drew once before the handle and the off-scale badges existed
  }

  private drawMarkers(u: uPlot): void {
    this.positionHandle(u);
    const markers = [
      { value: this.model.threshold, label: `threshold ${fmtScore(this.model.threshold)}`, color: this.theme.threshold, width: 2, dash: undefined as number[] | undefined, offset: 11 },
      ...this.model.strategies.map((s, i) => ({ value: s.value, label: s.strategy, color: this.theme.palette[(i + 2) % this.theme.palette.length], width: 1, dash: [4, 3], offset: 3 })),
    ];
    // Labels stack only where they would touch each other or the handle's grip.
    const spans = markers.map((m) => markerLabelSpan(u, m.value, m.label, m.offset));
    const placed = spans.map((s, i) => ({ s, i })).filter((p): p is { s: { left: number; right: number }; i: number } => p.s !== undefined);
    const gripX = u.valToPos(this.model.threshold, 'x');
    const rows = assignLabelRows(placed.map((p) => p.s), Number.isFinite(gripX) ? [{ left: gripX - 6, right: gripX + 6 }] : []);
    const rowOf = new Map(placed.map((p, k) => [p.i, rows[k]]));
    // The threshold last, on top of the strategy lines.
    for (let i = markers.length - 1; i >= 0; i--) {
      const m = markers[i];
      drawVerticalLine(u, m.value, m.color, { dash: m.dash, width: m.width, label: m.label, labelRow: rowOf.get(i) ?? 0, labelLeft: spans[i]?.left });
    }
    this.showOffScale(u, markers);
  }

  /** Markers beyond the plotted range: a badge at that edge with their values; a click brings them into view. */
  private showOffScale(u: uPlot, markers: { value: number; label: string }[]): void {
    if (!this.offScale) return;
    const [lo, hi] = [u.scales.x.min ?? -Infinity, u.scales.x.max ?? Infinity];
    const thresholdOff = this.model.threshold < lo ? 'left' : this.model.threshold > hi ? 'right' : undefined;
    for (const side of ['left', 'right'] as const) {
      const off = markers.filter((m) => Number.isFinite(m.value) && (side === 'left' ? m.value < lo : m.value > hi));
      // Runs every frame while dragging: touch the DOM only where something changed.
      const badge = this.offScale[side];
      const values = off.map((m) => m.value).join(',');
      if (badge.hidden !== (off.length === 0)) badge.hidden = off.length === 0;
      if (badge.dataset.values === values) continue;
      const text = off.map((m) => (m.label.startsWith('threshold') ? m.label : `${m.label} ${fmtScore(m.value)}`)).join(' · ');
      badge.textContent = side === 'left' ? `‹ ${text}` : `${text} ›`;
      badge.title = `Beyond the plotted scores: click to bring ${off.length === 1 ? 'it' : 'them'} into view`;
      badge.dataset.values = values;
    }
    setText(this.hint, thresholdOff
      ? `The threshold lies ${thresholdOff === 'right' ? 'above every' : 'below every'} plotted score: click the marker at the ${thresholdOff} edge to bring it into view.`
      : 'Drag the threshold handle; drag on the plot to zoom, double-click to zoom out; click a bar to show its images.');
  }

  /** Widens the plotted range so these values are inside it (with a little room beyond). */
  private bringIntoView(values: number[]): void {
    const s = this.model.sorted;
    if (!s || values.length === 0) return;
    let lo = Math.min(this.zoom?.[0] ?? s.min, ...values);
    let hi = Math.max(this.zoom?.[1] ?? s.max, ...values);
    if (this.canLogX() && lo <= 0) {
      this.view.logX = false; // a threshold at or below 0 has no place on a log axis
      const logX = this.root.querySelector('#hist-log-x') as unknown as { checked: boolean } | null;
      if (logX) logX.checked = false;
    }
    const room = (hi - lo) * 0.03;
    if (Math.max(...values) >= hi) hi += room;
    if (Math.min(...values) <= lo) lo = this.canLogX() ? lo * 0.97 : lo - room;
    this.zoom = [lo, hi];
    this.rebuild();
    this.cb.onSettingsChange();
  }

  private onSelect(u: uPlot): void {
    if (u.select.width < 4) return;
    const a = u.posToVal(u.select.left, 'x');
    const b = u.posToVal(u.select.left + u.select.width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (b > a) {
      this.zoom = [a, b];
      this.rebuild();
    }
  }

  private installInteraction(u: uPlot): void {
    const over = u.over;
    let down: { x: number; y: number } | undefined;
    over.addEventListener('mousedown', (e) => { down = { x: e.clientX, y: e.clientY }; });
    // A click selects a bar, but only once it is clear it was not the start of a double-click.
    let pendingClick: ReturnType<typeof setTimeout> | undefined;
    over.addEventListener('click', (e) => {
      if (!down || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 3 || !this.hist) return;
      const value = u.posToVal(e.clientX - over.getBoundingClientRect().left, 'x');
      clearTimeout(pendingClick);
      pendingClick = setTimeout(() => this.selectBinAt(value), e.detail > 1 ? 0 : 220);
      if (e.detail > 1) clearTimeout(pendingClick);
    });
    over.addEventListener('dblclick', () => {
      clearTimeout(pendingClick);
      this.zoom = undefined;
      this.rebuild();
    });

    const handle = h('div', {
      class: 'threshold-handle', id: 'threshold-handle', role: 'slider', tabindex: 0,
      'aria-label': 'Threshold', title: 'Drag to move the threshold (arrow keys step)',
    }, h('div', { class: 'threshold-grip' }));
    over.append(handle);
    this.handle = handle;
    const badge = (side: 'left' | 'right') => {
      const b = h('button', { class: `offscale offscale-${side}`, id: `threshold-offscale-${side}`, type: 'button' });
      b.hidden = true;
      b.addEventListener('mousedown', (e) => e.stopPropagation());
      b.addEventListener('dblclick', (e) => e.stopPropagation());
      b.addEventListener('click', (e) => {
        e.stopPropagation();
        this.bringIntoView((b.dataset.values ?? '').split(',').filter(Boolean).map(Number));
      });
      over.append(b);
      return b;
    };
    this.offScale = { left: badge('left'), right: badge('right') };
    const valueAt = (clientX: number): number => {
      const x = clientX - over.getBoundingClientRect().left;
      const v = u.posToVal(Math.max(0, Math.min(over.clientWidth, x)), 'x');
      return v;
    };
    handle.addEventListener('mousedown', (e) => e.stopPropagation());
    handle.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      handle.setPointerCapture(e.pointerId);
      handle.classList.add('dragging');
    });
    handle.addEventListener('pointermove', (e) => {
      if (!handle.hasPointerCapture(e.pointerId)) return;
      this.schedule(valueAt(e.clientX));
    });
    const end = (e: PointerEvent) => {
      if (!handle.hasPointerCapture(e.pointerId)) return;
      handle.releasePointerCapture(e.pointerId);
      handle.classList.remove('dragging');
      this.flush();
      this.cb.onDragEnd(this.model.threshold);
    };
    handle.addEventListener('pointerup', end);
    handle.addEventListener('pointercancel', end);
    handle.addEventListener('keydown', (e) => {
      if (!this.hist) return;
      const step = (this.hist.edges[this.hist.edges.length - 1] - this.hist.edges[0]) / (this.view.bins * (e.shiftKey ? 1 : 5));
      const delta = e.key === 'ArrowLeft' ? -step : e.key === 'ArrowRight' ? step : 0;
      if (!delta) return;
      e.preventDefault();
      this.cb.onDrag(this.model.threshold + delta);
      this.cb.onDragEnd(this.model.threshold);
    });
  }

  private selectBinAt(value: number): void {
    const s = this.model.run.scores;
    if (!this.hist || !s) return;
    const edges = this.hist.edges;
    let bin = -1;
    for (let i = 0; i < edges.length - 1; i++) if (value >= edges[i] && value <= edges[i + 1]) { bin = i; break; }
    if (bin < 0) return;
    this.cb.onBinClick(indicesInBin(s.values, edges, bin, s.labels), `scores in [${fmtScore(edges[bin])}, ${fmtScore(edges[bin + 1])})`);
  }

  /** Coalesces pointer moves into one threshold change per animation frame. */
  private schedule(threshold: number): void {
    this.pending = threshold;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.pending === undefined) return;
    const t = this.pending;
    this.pending = undefined;
    this.cb.onDrag(t);
  }

  /** Called when the threshold moved: redraw the markers from cached paths, move the handle. */
  update(): void {
    const u = this.chart?.plot;
    if (!u) return;
    u.redraw(false, false); // the draw hook moves the handle too
  }

  private positionHandle(u = this.chart?.plot): void {
    if (!u || !this.handle) return;
    const x = u.valToPos(this.model.threshold, 'x');
    const width = u.bbox.width / (u.ctx.canvas.width / Math.max(1, u.width));
    const visible = Number.isFinite(x) && x >= 0 && x <= width;
    this.handle.style.display = visible ? '' : 'none';
    this.handle.style.left = `${x}px`;
    this.handle.setAttribute('aria-valuenow', String(this.model.threshold));
    this.handle.setAttribute('aria-valuetext', fmtScore(this.model.threshold));
  }

  destroy(): void {
    this.chart?.destroy();
  }
}
