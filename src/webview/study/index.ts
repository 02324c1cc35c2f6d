// Study panel webview: the experiments table of many runs (per run, or per setting over seeds
// with mean ± std; sortable, filterable, hideable columns; changed parameters highlighted;
// CSV / Markdown / LaTeX of exactly what is shown), a metric-vs-parameter chart (x parameter,
// y metric, series parameter, mean and a min-max band over seeds) and, for one-class runs, the
// per-digit AUROC beside published results. Charts are the same SVG the report writes.
import { assertNever } from '../../core/protocol';
import type { HostToStudyWebview, StudyPanelState, StudyRunData, StudyWebviewToHost } from '../../core/protocol';
import { barChart, lineChart } from '../../core/svg/charts';
import type { ChartTheme } from '../../core/svg/svgBasics';
import { metricVsParameter } from '../../core/study/metricVsParameter';
import { PUBLISHED_OMITTED, PUBLISHED_ONE_CLASS_MNIST } from '../../core/study/publishedBaselines';
import { buildStudyTable, describe, MetricKey, shownTable, STUDY_METRICS, StudyTable, TableView } from '../../core/study/studyTable';
import { toCsv, toLatex, toMarkdown } from '../../core/study/tableExport';
import { clear, h, showNotice } from '../shared/dom';
import { onThemeChange, readTheme } from '../shared/theme';
import { connectToHost, HostChannel } from '../shared/vscodeApi';

interface StudyViewState extends StudyPanelState, TableView {
  groupBySeed: boolean;
  x?: string;
  y: MetricKey;
  series?: string;
}

function chartTheme(): ChartTheme {
  const t = readTheme();
  const family = t.font.replace(/^\d+px\s*/, '');
  return { background: t.background, foreground: t.foreground, grid: t.grid, fontFamily: family, series: t.palette, normal: t.normal, anomalous: t.anomalous, threshold: t.threshold };
}

class StudyApp {
  private channel!: HostChannel<StudyWebviewToHost, StudyViewState>;
  private runs: StudyRunData[] = [];
  private skipped: { runDir: string; reason: string }[] = [];
  private view: StudyViewState = { runDirs: [], groupBySeed: true, y: 'auroc', hidden: [] };
  private renders = 0;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    this.channel = connectToHost<StudyWebviewToHost, HostToStudyWebview, StudyViewState>((m) => this.onMessage(m), { type: 'ready' });
    if (this.channel.savedState) this.view = { ...this.view, ...this.channel.savedState };
    onThemeChange(() => this.render());
    let lastWidth = 0;
    new ResizeObserver(() => {
      if (Math.abs(this.root.clientWidth - lastWidth) < 8) return;
      lastWidth = this.root.clientWidth;
      if (this.runs.length) this.renderCharts();
    }).observe(this.root);
  }

  private onMessage(message: HostToStudyWebview): void {
    switch (message.type) {
      case 'init':
        this.runs = message.runs;
        this.skipped = message.skipped;
        this.view.runDirs = message.runs.map((r) => r.runDir).concat(message.skipped.map((s) => s.runDir));
        this.render();
        return;
      case 'notice':
        showNotice(message.message, message.level);
        return;
      default:
        assertNever(message);
    }
  }

  private table(): StudyTable {
    return buildStudyTable(this.runs, { groupBySeed: this.view.groupBySeed });
  }

  private update(change: Partial<StudyViewState>): void {
    this.view = { ...this.view, ...change };
    this.channel.saveState(this.view);
    this.render();
  }

  private render(): void {
    clear(this.root);
    const table = this.table();
    const shown = shownTable(table, this.view);
    const params = table.columns.filter((c) => c.kind === 'param');
    const toolbar = h('div', { class: 'study-toolbar' },
      h('label', {}, h('input', { type: 'checkbox', id: 'group-by-seed', checked: this.view.groupBySeed, onchange: (e: Event) => this.update({ groupBySeed: (e.target as HTMLInputElement).checked }) }), ' group over seeds (mean ± std)'),
      h('input', { type: 'search', id: 'filter', placeholder: 'filter rows', value: this.view.filter ?? '', onchange: (e: Event) => this.update({ filter: (e.target as HTMLInputElement).value }) }),
      h('button', { id: 'export-csv', onclick: () => this.save('csv', toCsv(shownTable(this.table(), this.view))) }, 'CSV'),
      h('button', { id: 'export-md', onclick: () => this.save('markdown', toMarkdown(shownTable(this.table(), this.view))) }, 'Markdown'),
      h('button', { id: 'export-tex', onclick: () => this.save('latex', toLatex(shownTable(this.table(), this.view))) }, 'LaTeX'),
      h('button', { id: 'generate-report', onclick: () => this.channel.post({ type: 'generateReport' }) }, 'Generate Report'),
    );
    const hidden = new Set(this.view.hidden ?? []);
    const columnToggles = h('div', { id: 'columns', class: 'study-columns' }, 'Columns: ',
      ...table.columns.filter((c) => c.kind !== 'label').map((c) => h('label', {}, h('input', {
        type: 'checkbox', 'data-key': c.key, checked: !hidden.has(c.key),
        onchange: (e: Event) => this.update({ hidden: (e.target as HTMLInputElement).checked ? [...hidden].filter((k) => k !== c.key) : [...hidden, c.key] }),
      }), ` ${c.label}`)));
    const head = h('tr', {}, ...shown.columns.map((c) => {
      const sorted = this.view.sort?.key === c.key;
      return h('th', { 'data-key': c.key, class: `sortable${c.kind === 'param' ? ' param' : ''}`, title: 'Sort', 'aria-sort': sorted ? (this.view.sort?.descending ? 'descending' : 'ascending') : undefined,
        onclick: () => this.update({ sort: { key: c.key, descending: sorted ? !this.view.sort?.descending : c.kind === 'metric' } }) },
      c.label, sorted ? (this.view.sort?.descending ? ' ▼' : ' ▲') : '');
    }));
    const rows = shown.rows.map((row, r) => h('tr', { 'data-runs': row.runIds.join(' ') }, ...shown.columns.map((c, k) => {
      const text = shown.cells[r][k];
      const numeric = c.kind === 'metric' || c.kind === 'count';
      const cell = h('td', { 'data-key': c.key, class: [numeric ? 'num' : '', row.changed.includes(c.key) ? 'changed' : ''].filter(Boolean).join(' ') || undefined }, text);
      if (c.kind === 'label' && row.runIds.length === 1) {
        const run = this.runs.find((x) => x.runId === row.runIds[0]);
        if (run) cell.replaceChildren(h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); this.channel.post({ type: 'openRun', runDir: run.runDir }); } }, text));
      }
      return cell;
    })));
    const chartControls = h('div', { class: 'study-toolbar' },
      'x ', this.select('chart-x', params.map((c) => c.key), this.view.x ?? params[0]?.key, (v) => this.update({ x: v })),
      ' y ', this.select('chart-y', STUDY_METRICS.map((m) => m.key), this.view.y, (v) => this.update({ y: v as MetricKey })),
      ' series ', this.select('chart-series', ['', ...params.map((c) => c.key)], this.view.series ?? '', (v) => this.update({ series: v || undefined })),
    );
    this.root.append(
      h('div', { id: 'notice', class: 'notice' }),
      h('h2', {}, `Experiments (${this.runs.length} run${this.runs.length === 1 ? '' : 's'})`),
      toolbar, columnToggles,
      h('table', { id: 'experiments', class: 'study-table' }, h('thead', {}, head), h('tbody', {}, ...rows)),
      ...(this.skipped.length ? [h('p', { class: 'muted' }, `Not shown (not completed): ${this.skipped.map((s) => `${s.runDir} (${s.reason})`).join(', ')}`)] : []),
      h('h2', {}, 'Metric against parameter'), chartControls, h('div', { id: 'chart', class: 'study-chart' }),
      h('div', { id: 'one-class' }),
    );
    this.renderCharts();
    document.body.dataset.rendered = String(++this.renders);
  }

  private select(id: string, options: string[], value: string | undefined, onChange: (v: string) => void): HTMLSelectElement {
    const el = h('select', { id, onchange: (e: Event) => onChange((e.target as HTMLSelectElement).value) },
      ...options.map((o) => h('option', { value: o, selected: o === value }, o === '' ? '(none)' : STUDY_METRICS.find((m) => m.key === o)?.label ?? o)));
    return el;
  }

  private renderCharts(): void {
    const chart = document.getElementById('chart');
    if (!chart) return;
    const width = Math.max(560, Math.floor(this.root.clientWidth) - 4);
    const theme = chartTheme();
    const params = this.table().columns.filter((c) => c.kind === 'param').map((c) => c.key);
    const x = this.view.x && params.includes(this.view.x) ? this.view.x : params[0];
    if (!x) {
      chart.textContent = 'The runs share every setting: there is no parameter to plot against.';
    } else {
      const series = this.view.series && this.view.series !== x ? this.view.series : undefined;
      const data = metricVsParameter(this.runs, { x, metric: this.view.y, series, band: 'min-max' });
      const label = STUDY_METRICS.find((m) => m.key === this.view.y)?.label ?? this.view.y;
      chart.dataset.x = x;
      chart.dataset.y = this.view.y;
      chart.dataset.series = series ?? '';
      chart.innerHTML = lineChart({ title: `${label} against ${x}`, xLabel: data.xLabel, yLabel: data.yLabel, series: data.series, xCategories: data.xCategories, width, height: 360, theme });
    }
    const oneClass = document.getElementById('one-class');
    const digitRuns = this.runs.filter((r) => r.experiment.data.normalClasses?.length === 1);
    if (oneClass && digitRuns.length > 0) {
      const measured = Array.from({ length: 10 }, (_, d) => {
        const values = digitRuns.filter((r) => r.experiment.data.normalClasses?.[0] === d).map((r) => r.summary.auroc * 100);
        return values.length ? describe(values).mean : undefined;
      });
      oneClass.innerHTML = barChart({
        title: 'Per-digit AUROC (%): one-class runs beside published results', categories: Array.from({ length: 10 }, (_, d) => String(d)), xLabel: 'normal digit', yLabel: 'AUROC %', yMin: 50, yMax: 100, width, theme,
        groups: [{ name: 'these runs (mean over seeds)', values: measured }, ...PUBLISHED_ONE_CLASS_MNIST.map((b) => ({ name: b.method, values: b.aurocPercentByDigit, published: true }))],
      });
      oneClass.append(...PUBLISHED_ONE_CLASS_MNIST.map((b) => h('p', { class: 'muted citation' }, `Published, not measured here: ${b.method}. ${b.source}. ${b.protocol}.`)), h('p', { class: 'muted' }, PUBLISHED_OMITTED));
    }
  }

  private save(kind: 'csv' | 'markdown' | 'latex', text: string): void {
    const ext = { csv: 'csv', markdown: 'md', latex: 'tex' }[kind];
    this.channel.post({ type: 'saveFile', file: { kind, suggestedName: `study-${this.runs.length}-runs.${ext}`, text } });
  }
}

export function startStudyPanel(): void {
  const root = document.getElementById('app');
  if (root) new StudyApp(root).start();
}
