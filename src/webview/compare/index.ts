// Compare panel webview entry: two or more runs side by side. Overlaid loss curves, overlaid
// ROC curves or score distributions, and a table of runs x (architecture, loss, corruption,
// epochs, AUROC, AP, F1 at a chosen threshold, training time). No cap on the number of runs.
import uPlot from 'uplot';
import { SortedScores } from '../../core/metrics';
import { assertNever } from '../../core/protocol';
import type { CompareWebviewToHost, ComparePanelState, HostToCompareWebview, PanelRunData } from '../../core/protocol';
import { Chart, chartCard, ChartFormat, chartPngBase64, chartSvg, epochAxes, exportButtons, themedAxes } from '../shared/charts';
import { toCsv } from '../shared/csv';
import { controlChecked, controlValue, h, showNotice } from '../shared/dom';
import { fmtRate, fmtSeconds } from '../shared/format';
import { onThemeChange, readTheme, ThemeColors } from '../shared/theme';
import { connectToHost, HostChannel } from '../shared/vscodeApi';
import { alignedLoss, F1Choice, f1At, resampledRoc, rocGrid, runLabels, sharedDistributions } from './compareData';

interface CompareViewState extends ComparePanelState {
  lossLog: boolean;
  curves: 'roc' | 'distributions';
  f1: F1Choice;
  sortBy?: string;
  sortDesc?: boolean;
}

const F1_CHOICES: readonly { value: F1Choice; label: string }[] = [
  { value: 'chosen', label: "each run's chosen threshold" },
  { value: 'percentile', label: 'percentile' },
  { value: 'mean-std', label: 'mean + k·std' },
  { value: 'fpr', label: 'target FPR' },
  { value: 'mixture', label: 'score mixture' },
  { value: 'max-f1', label: 'max F1 (uses test labels)' },
  { value: 'manual', label: 'manual' },
];

interface Row {
  run: PanelRunData;
  label: string;
  color: string;
  f1?: number;
}

class CompareApp {
  private channel!: HostChannel<CompareWebviewToHost, CompareViewState>;
  private runs: PanelRunData[] = [];
  private sorted: (SortedScores | undefined)[] = [];
  private view: CompareViewState | undefined;
  private theme: ThemeColors = readTheme();
  private charts: Chart[] = [];
  /** Run folders of this comparison that were deleted (said in the header, not drawn). */
  private missing: string[] = [];

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    this.channel = connectToHost<CompareWebviewToHost, HostToCompareWebview, CompareViewState>((m) => this.onMessage(m), { type: 'ready' });
    onThemeChange(() => {
      this.theme = readTheme();
      this.render();
    });
  }

  private onMessage(message: HostToCompareWebview): void {
    switch (message.type) {
      case 'init':
        this.missing = message.missing ?? [];
        this.runs = message.runs;
        this.sorted = this.runs.map((r) => (r.scores ? new SortedScores(r.scores.values, r.scores.labels) : undefined));
        this.render();
        return;
      case 'runUpdated': {
        const i = this.runs.findIndex((r) => r.runDir === message.run.runDir);
        if (i < 0) return;
        this.runs[i] = message.run;
        this.sorted[i] = message.run.scores ? new SortedScores(message.run.scores.values, message.run.scores.labels) : undefined;
        this.render();
        return;
      }
      case 'runRemoved': {
        const i = this.runs.findIndex((r) => r.runDir === message.runDir);
        if (i < 0) return;
        this.runs.splice(i, 1);
        this.sorted.splice(i, 1);
        this.missing.push(message.runDir);
        this.render();
        return;
      }
      case 'notice':
        showNotice(message.message, message.level);
        return;
      default:
        assertNever(message);
    }
  }

  private state(): CompareViewState {
    const runDirs = this.runs.map((r) => r.runDir);
    const saved = this.view ?? this.channel.savedState;
    this.view = { lossLog: false, curves: 'roc', f1: 'chosen', ...saved, runDirs };
    return this.view;
  }

  private save(): void {
    if (this.view) this.channel.saveState(this.view);
  }

  private render(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    const view = this.state();
    this.save();
    const labels = runLabels(this.runs);
    const rows: Row[] = this.runs.map((run, i) => ({ run, label: labels[i], color: this.theme.palette[i % this.theme.palette.length], f1: f1At(run, view.f1, this.sorted[i]) }));

    const header = h('header', { class: 'run-header' }, h('div', { class: 'run-title' }, h('h2', { id: 'compare-title' }, `Comparing ${this.runs.length} run${this.runs.length === 1 ? '' : 's'}`)));
    const notice = h('div', { class: 'notice', id: 'notice', role: 'status' });
    if (this.missing.length > 0) {
      notice.className = 'notice error';
      notice.textContent = `${this.missing.length === 1 ? 'A run' : `${this.missing.length} runs`} of this comparison no longer exist${this.missing.length === 1 ? 's' : ''} (deleted): ${this.missing.join(', ')}.`;
    }
    const grid = h('main', { class: 'grid compare-grid' });
    this.root.replaceChildren(header, notice, grid);
    grid.append(this.table(rows, view));
    const loss = chartCard('compare-loss', 'Loss per epoch (solid: train, dashed: validation)');
    const curves = chartCard('compare-curves', view.curves === 'roc' ? 'ROC curves' : 'Score distributions (solid: normal, dashed: anomalous)');
    grid.append(loss.root, curves.root);

    const lossLog = h('vscode-checkbox', { id: 'compare-loss-log', checked: view.lossLog }, 'log scale');
    lossLog.addEventListener('change', () => { view.lossLog = controlChecked(lossLog); this.render(); });
    loss.tools.append(lossLog, ...exportButtons('compare-loss', (format) => this.exportChart(lossChart.plot, 'Loss per epoch', format)));
    const mode = h('vscode-dropdown', { id: 'compare-curves-mode' },
      h('vscode-option', { value: 'roc', selected: view.curves === 'roc' }, 'ROC curves'),
      h('vscode-option', { value: 'distributions', selected: view.curves === 'distributions' }, 'Score distributions'));
    mode.addEventListener('change', () => { view.curves = controlValue(mode) === 'distributions' ? 'distributions' : 'roc'; this.render(); });
    curves.tools.append(mode, ...exportButtons('compare-curves', (format) => this.exportChart(curvesChart.plot, view.curves === 'roc' ? 'ROC curves' : 'Score distributions', format)));

    const lossChart = this.lossChart(loss.body, rows, view.lossLog);
    const curvesChart = view.curves === 'roc' ? this.rocChart(curves.body, rows) : this.distributionChart(curves.body, rows);
    if (view.curves === 'distributions' && new Set(this.runs.filter((r) => r.scores).map((r) => r.scores?.kind)).size > 1) {
      curves.footer.append(h('span', { class: 'hint' }, 'The runs use different scores (mse and ssim): their distributions share an axis but not a unit.'));
    }
    document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
  }

  private table(rows: Row[], view: CompareViewState): HTMLElement {
    const f1 = h('vscode-dropdown', { id: 'compare-f1', title: 'Threshold for the F1 column' });
    for (const c of F1_CHOICES) f1.append(h('vscode-option', { value: c.value, selected: c.value === view.f1 }, c.label));
    f1.addEventListener('change', () => { view.f1 = controlValue(f1) as F1Choice; this.render(); });
    const csv = h('vscode-button', { appearance: 'secondary', id: 'compare-csv' }, 'CSV');

    type Column = { key: string; title: string; value: (r: Row) => string | number | undefined; text?: (r: Row) => string; num?: boolean };
    const columns: Column[] = [
      { key: 'run', title: 'run', value: (r) => r.label },
      { key: 'state', title: 'state', value: (r) => (r.run.stale ? 'failed' : r.run.state) },
      { key: 'architecture', title: 'architecture', value: (r) => r.run.setup?.architecture },
      { key: 'loss', title: 'loss', value: (r) => r.run.setup?.loss },
      { key: 'corruption', title: 'corruption', value: (r) => r.run.setup?.corruption },
      { key: 'contamination', title: 'training contamination', value: (r) => r.run.setup?.trainContamination ?? 'none' },
      { key: 'epochs', title: 'epochs', value: (r) => r.run.summary?.epochsRun ?? r.run.metrics.length, text: (r) => `${r.run.summary?.epochsRun ?? r.run.metrics.length}${r.run.setup ? `/${r.run.setup.epochsPlanned}` : ''}${r.run.summary?.stoppedEarly ? ' (early stop)' : ''}`, num: true },
      { key: 'auroc', title: 'AUROC', value: (r) => r.run.summary?.auroc, text: (r) => fmtRate(r.run.summary?.auroc), num: true },
      { key: 'ap', title: 'AP', value: (r) => r.run.summary?.averagePrecision, text: (r) => fmtRate(r.run.summary?.averagePrecision), num: true },
      { key: 'f1', title: 'F1', value: (r) => r.f1, text: (r) => fmtRate(r.f1), num: true },
      { key: 'time', title: 'training time', value: (r) => r.run.summary?.trainSeconds, text: (r) => fmtSeconds(r.run.summary?.trainSeconds), num: true },
    ];
    const sorted = [...rows];
    const sortColumn = columns.find((c) => c.key === view.sortBy);
    if (sortColumn) {
      sorted.sort((a, b) => {
        const x = sortColumn.value(a), y = sortColumn.value(b);
        const cmp = x === undefined ? 1 : y === undefined ? -1 : typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return view.sortDesc ? -cmp : cmp;
      });
    }
    csv.addEventListener('click', () => {
      const text = toCsv([...columns.map((c) => c.key), 'runDir'], sorted.map((r) => [...columns.map((c) => c.value(r)), r.run.runDir]));
      this.channel.post({ type: 'saveFile', file: { kind: 'csv', suggestedName: `compare-${this.runs.length}-runs.csv`, text } });
    });
    const head = h('tr', {}, ...columns.map((c) => {
      const th = h('th', { scope: 'col', 'data-sort': c.key, title: 'Sort' }, c.title, view.sortBy === c.key ? (view.sortDesc ? ' ▾' : ' ▴') : '');
      th.addEventListener('click', () => {
        view.sortDesc = view.sortBy === c.key ? !view.sortDesc : c.num === true;
        view.sortBy = c.key;
        this.render();
      });
      return th;
    }));
    const body = h('tbody', {}, ...sorted.map((r) => {
      const link = h('a', { class: 'run-link', title: `Open the results of ${r.run.runDir}`, tabindex: 0 }, r.label);
      link.addEventListener('click', () => this.channel.post({ type: 'openRun', runDir: r.run.runDir }));
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = r.color; // CSSOM: the CSP forbids style attributes
      return h('tr', { 'data-run': r.run.runDir },
        h('td', {}, swatch, link),
        ...columns.slice(1).map((c) => h('td', { class: c.num ? 'num' : undefined }, c.text ? c.text(r) : String(c.value(r) ?? '–'))));
    }));
    return h('section', { class: 'card wide', id: 'compare-table-card' },
      h('header', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Runs'), h('div', { class: 'card-tools' }, h('span', { class: 'hint' }, 'F1 at'), f1, csv)),
      h('div', { class: 'table-scroll' }, h('table', { class: 'runs-table', id: 'compare-table' }, h('thead', {}, head), body)));
  }

  private lossChart(container: HTMLElement, rows: Row[], log: boolean): Chart {
    const { epochs, train, validation } = alignedLoss(rows.map((r) => r.run));
    const positive = (col: (number | null)[]) => (log ? col.map((v) => (v !== null && v > 0 ? v : null)) : col);
    const series: uPlot.Series[] = [{ label: 'epoch' }];
    const data: uPlot.AlignedData = [epochs];
    rows.forEach((r, i) => {
      series.push({ label: `${r.label} train`, stroke: r.color, width: 2, points: { show: epochs.length < 40 } });
      series.push({ label: `${r.label} validation`, stroke: r.color, width: 2, dash: [6, 4], points: { show: false } });
      (data as (number | null)[][]).push(positive(train[i]), positive(validation[i]));
    });
    const chart = new Chart(container, {
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: epochAxes(this.theme, 'loss'),
      series,
      cursor: { drag: { x: true, y: false } },
    }, data);
    this.charts.push(chart);
    return chart;
  }

  private rocChart(container: HTMLElement, rows: Row[]): Chart {
    const grid = rocGrid();
    const series: uPlot.Series[] = [{ label: 'FPR' }];
    const data: (number | null)[][] = [grid];
    for (const r of rows) {
      const tpr = resampledRoc(r.run, grid);
      if (!tpr) continue;
      series.push({ label: `${r.label} (AUROC ${fmtRate(r.run.summary?.auroc)})`, stroke: r.color, width: 2, points: { show: false } });
      data.push(tpr);
    }
    series.push({ label: 'chance', stroke: this.theme.grid, dash: [4, 4], points: { show: false } });
    data.push(grid);
    const chart = new Chart(container, {
      scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1.02] } },
      axes: themedAxes(this.theme, 'false-positive rate', 'true-positive rate'),
      series,
      cursor: { drag: { x: true, y: true, uni: 20 } },
    }, data as uPlot.AlignedData);
    this.charts.push(chart);
    return chart;
  }

  private distributionChart(container: HTMLElement, rows: Row[]): Chart {
    const d = sharedDistributions(rows.map((r) => r.run), 80, false);
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const series: uPlot.Series[] = [{ label: 'score' }];
    const data: (number | null)[][] = [d.edges];
    const close = (v: number[]) => [...v, v[v.length - 1]];
    rows.forEach((r, i) => {
      const normal = d.normal[i], anomalous = d.anomalous[i];
      if (!normal || !anomalous) return;
      series.push({ label: `${r.label} normal`, stroke: r.color, width: 1.5, paths: stepped, points: { show: false } });
      series.push({ label: `${r.label} anomalous`, stroke: r.color, width: 1.5, dash: [5, 3], paths: stepped, points: { show: false } });
      data.push(close(normal), close(anomalous));
    });
    const chart = new Chart(container, {
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(0.01, max) * 1.05] } },
      axes: themedAxes(this.theme, 'anomaly score', 'fraction of the group'),
      series,
      cursor: { drag: { x: true, y: false } },
    }, data as uPlot.AlignedData);
    this.charts.push(chart);
    return chart;
  }

  private exportChart(u: uPlot, title: string, format: ChartFormat): void {
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const suggestedName = `compare-${slug}.${format}`;
    if (format === 'svg') this.channel.post({ type: 'saveFile', file: { kind: 'svg', suggestedName, text: chartSvg(u, title, this.theme) } });
    else void chartPngBase64(u, title, this.theme).then((base64) => this.channel.post({ type: 'saveFile', file: { kind: 'png', suggestedName, base64 } }));
  }
}

/** Starts the panel (main.mts registers the toolkit components first). */
export function startComparePanel(): void {
  const root = document.getElementById('app');
  if (root) new CompareApp(root).start();
}
