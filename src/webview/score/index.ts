// Score panel webview: images scored with a run's model (Score Images with Model...), sorted by
// score with the flagged ones marked, each with original / reconstruction / difference
// thumbnails (asked for a page at a time), the score histogram with the threshold marker, a
// strategy picker over the run's thresholds, per-file warnings, and CSV export of the list.
import uPlot from 'uplot';
import { histogram } from '../../core/histogram';
import { assertNever } from '../../core/protocol';
import type { HostToScoreWebview, ScoredImageThumbnails, ScoreWebviewToHost } from '../../core/protocol';
import { greyToRgba, heatToRgba, scaleMaximum } from '../results/heatmap';
import { Chart, chartCard, drawVerticalLine, themedAxes } from '../shared/charts';
import { clear, h, pixelCanvas, showNotice } from '../shared/dom';
import { fmtScore } from '../shared/format';
import { onThemeChange, readTheme, withAlpha } from '../shared/theme';
import { connectToHost, HostChannel } from '../shared/vscodeApi';
import { PAGE_SIZE, pageCount, pageOf, rowsCsv, ScoreRow, sortedRows } from './scoreList';

type InitMessage = Extract<HostToScoreWebview, { type: 'init' }>;

interface ScoreViewState {
  page: number;
  strategy?: string;
  /** The run and the files and folders scored: what a window reload scores again. */
  runDir?: string;
  inputs?: string[];
}

const BINS = 40;

class ScoreApp {
  private channel!: HostChannel<ScoreWebviewToHost, ScoreViewState>;
  private init: InitMessage | undefined;
  private view: ScoreViewState = { page: 0 };
  private rows: ScoreRow[] = [];
  private readonly thumbnails = new Map<string, ScoredImageThumbnails>();
  private size = { width: 0, height: 0 };
  private requestId = 0;
  private pending = new Set<string>();
  private chart: Chart | undefined;
  private renders = 0;

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    this.channel = connectToHost<ScoreWebviewToHost, HostToScoreWebview, ScoreViewState>((m) => this.onMessage(m), { type: 'ready' });
    if (this.channel.savedState) this.view = { ...this.view, ...this.channel.savedState };
    onThemeChange(() => this.render());
  }

  private onMessage(message: HostToScoreWebview): void {
    switch (message.type) {
      case 'init':
        this.init = message;
        this.size = { width: message.result.width, height: message.result.height };
        for (const t of message.result.thumbnails) this.thumbnails.set(t.file, t);
        if (!message.thresholds.some((t) => t.strategy === this.view.strategy)) this.view.strategy = undefined;
        this.view = { ...this.view, runDir: message.result.runDir, inputs: message.inputs };
        this.channel.saveState(this.view);
        this.render();
        return;
      case 'thumbnails':
        if (message.requestId !== this.requestId) return;
        this.pending.clear();
        if (message.error) showNotice(`Thumbnails: ${message.error}`, 'error');
        for (const t of message.images) this.thumbnails.set(t.file, t);
        this.renderList();
        return;
      case 'notice':
        showNotice(message.message, message.level);
        return;
      default:
        assertNever(message);
    }
  }

  /** The threshold shown: the strategy picked, else the one the scoring used. */
  private threshold(): { strategy: string; value: number } {
    const init = this.init as InitMessage;
    const picked = init.thresholds.find((t) => t.strategy === this.view.strategy);
    return picked ?? { strategy: init.result.thresholdSource, value: init.result.threshold };
  }

  private update(change: Partial<ScoreViewState>): void {
    this.view = { ...this.view, ...change };
    this.channel.saveState(this.view);
    this.render();
  }

  private render(): void {
    const init = this.init;
    if (!init) return;
    const { result } = init;
    const threshold = this.threshold();
    this.rows = sortedRows(result.files, init.displayPaths, result.scores, threshold.value);
    this.view.page = Math.min(this.view.page, pageCount(this.rows.length) - 1);
    const flagged = this.rows.filter((r) => r.flagged).length;
    this.chart?.destroy();
    this.chart = undefined;
    clear(this.root);

    const strategy = h('select', { id: 'strategy', title: 'Threshold strategy of the run', onchange: (e: Event) => this.update({ strategy: (e.target as HTMLSelectElement).value }) },
      ...init.thresholds.map((t) => h('option', { value: t.strategy, selected: t.strategy === (this.view.strategy ?? init.chosen) }, `${t.strategy}${t.strategy === init.chosen ? ' (chosen)' : ''}: ${fmtScore(t.value)}`)));
    const header = h('header', { class: 'run-header' },
      h('div', { class: 'run-title' }, h('h2', {}, `Scored with ${init.runLabel}`), h('span', { class: 'state', id: 'run-state' }, 'scored')),
      h('p', { id: 'score-summary' }, `${this.rows.length} image(s) scored (${result.scoreKind}, ${result.height}x${result.width}), ${flagged} flagged at threshold ${fmtScore(threshold.value)} (${threshold.strategy}); ${result.warnings.length} warning(s)`),
      h('div', { class: 'study-toolbar' },
        init.thresholds.length > 0 ? h('label', {}, 'Threshold: ', strategy) : null,
        h('button', { id: 'export-csv', title: 'Save the list as CSV (path,score,flagged)', onclick: () => this.exportCsv() }, 'Export CSV')),
      h('div', { id: 'notice', class: 'notice' }));
    const warnings = result.warnings.length > 0
      ? h('details', { id: 'score-warnings', class: 'card wide', open: true }, h('summary', {}, `${result.warnings.length} file(s) not scored`),
        h('ul', {}, ...result.warnings.map((w) => h('li', { class: 'warning' }, w))))
      : null;
    const card = chartCard('score-histogram', 'Score distribution');
    card.root.classList.add('wide');
    const list = h('section', { class: 'card wide', id: 'score-list' });
    this.root.append(header, ...(warnings ? [warnings] : []), card.root, list);
    this.drawHistogram(card.body, card.footer, threshold.value);
    this.renderList();
    document.body.dataset.rendered = String(++this.renders);
  }

  private drawHistogram(body: HTMLElement, footer: HTMLElement, threshold: number): void {
    const scores = this.init?.result.scores;
    if (!scores || scores.length === 0) return;
    const t = readTheme();
    // Wide enough that the threshold is on the axis even when every score is on one side of it.
    // (A loop, not Math.min(...scores): a large folder exceeds the argument limit.)
    let min = threshold;
    let max = threshold;
    for (const v of scores) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const hist = histogram(scores, undefined, { bins: BINS, min, max });
    const counts = [...hist.normal, hist.normal[hist.normal.length - 1]];
    const stepped = uPlot.paths.stepped?.({ align: 1 });
    const scoreKind = this.init?.result.scoreKind ?? 'mse';
    this.chart = new Chart(body, {
      scales: { x: { time: false, range: () => [hist.edges[0], hist.edges[hist.edges.length - 1]] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.08] } },
      axes: themedAxes(t, `anomaly score (${scoreKind})`, 'images'),
      series: [{ label: 'score' }, { label: 'images', stroke: t.normal, fill: withAlpha(t.normal, 0.3), width: 1, paths: stepped, points: { show: false } }],
      legend: { show: false },
      cursor: { show: false },
      hooks: {
        draw: [(u) => {
          drawVerticalLine(u, threshold, t.threshold, { width: 2, label: `threshold ${fmtScore(threshold)}` });
          this.placeMarker(u, threshold);
        }],
      },
    }, [hist.edges, counts]);
    footer.append(h('span', { class: 'hint' }, 'Images at or right of the line are flagged.'));
  }

  /** A DOM marker over the drawn threshold line: its position and value are readable (tests, screen readers). */
  private placeMarker(u: uPlot, threshold: number): void {
    let marker = u.over.querySelector<HTMLElement>('#threshold-marker');
    if (!marker) {
      marker = h('div', { id: 'threshold-marker', class: 'threshold-marker', role: 'img' });
      u.over.append(marker);
    }
    marker.setAttribute('aria-label', `threshold ${fmtScore(threshold)}`);
    marker.setAttribute('aria-valuenow', String(threshold));
    marker.style.left = `${u.valToPos(threshold, 'x')}px`;
  }

  private renderList(): void {
    const list = this.root.querySelector<HTMLElement>('#score-list');
    if (!list || !this.init) return;
    clear(list);
    const pages = pageCount(this.rows.length);
    const page = this.view.page;
    const shown = pageOf(this.rows, page);
    const missing = shown.filter((r) => !this.thumbnails.has(r.file) && !this.pending.has(r.file)).map((r) => r.file);
    if (missing.length > 0) this.requestThumbnails(missing);
    const pager = h('div', { class: 'card-tools', id: 'pager' },
      h('button', { id: 'page-prev', disabled: page === 0, onclick: () => this.update({ page: page - 1 }) }, 'Previous'),
      h('span', { id: 'page-label' }, `images ${page * PAGE_SIZE + 1}-${page * PAGE_SIZE + shown.length} of ${this.rows.length} (page ${page + 1} of ${pages})`),
      h('button', { id: 'page-next', disabled: page >= pages - 1, onclick: () => this.update({ page: page + 1 }) }, 'Next'));
    const planes = shown.map((r) => this.thumbnails.get(r.file)?.difference).filter((p): p is Uint8Array => p !== undefined);
    const scaleMax = scaleMaximum(planes);
    const head = h('tr', {}, h('th', {}, '#'), h('th', {}, 'image'), h('th', { class: 'num' }, 'score'), h('th', {}, 'flagged'), h('th', {}, 'original'), h('th', {}, 'reconstruction'), h('th', {}, 'difference'));
    const body = shown.map((r, k) => {
      const thumbs = this.thumbnails.get(r.file);
      const cell = (plane: 'original' | 'reconstruction' | 'difference') => h('td', {}, thumbs
        ? pixelCanvas(plane === 'difference' ? heatToRgba(thumbs.difference, scaleMax) : greyToRgba(thumbs[plane]), this.size.width, this.size.height, plane)
        : h('span', { class: 'muted' }, '…'));
      return h('tr', { class: r.flagged ? 'score-row flagged' : 'score-row', 'data-path': r.path, 'data-score': String(r.score), 'data-flagged': String(r.flagged) },
        h('td', { class: 'num' }, page * PAGE_SIZE + k + 1),
        h('td', { class: 'score-path', title: r.file }, r.path),
        h('td', { class: 'num' }, fmtScore(r.score)),
        h('td', {}, r.flagged ? h('span', { class: 'flag', title: 'score >= threshold' }, '⚑ flagged') : ''),
        cell('original'), cell('reconstruction'), cell('difference'));
    });
    list.append(h('header', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Images by score'), pager),
      h('table', { class: 'score-table', id: 'score-table' }, h('thead', {}, head), h('tbody', {}, ...body)));
  }

  private requestThumbnails(files: string[]): void {
    this.requestId++;
    this.pending = new Set(files);
    this.channel.post({ type: 'requestThumbnails', requestId: this.requestId, files });
  }

  private exportCsv(): void {
    const name = (this.init?.runLabel ?? 'run').replace(/[^\w.-]+/g, '-');
    this.channel.post({ type: 'saveFile', file: { kind: 'csv', suggestedName: `scores-${name}.csv`, text: rowsCsv(this.rows) } });
  }
}


export function startScorePanel(): void {
  const root = document.getElementById('app');
  if (root) new ScoreApp(root).start();
}
