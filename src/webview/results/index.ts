// Results panel webview entry: one run's loss curves, error distribution with the draggable
// threshold, the numbers at that threshold, ROC/PR curves, strategies and the sample grid.
import uPlot from 'uplot';
import { assertNever } from '../../core/protocol';
import type { BatchLossPoint, HostToResultsWebview, PanelImageSource, PanelRunData, PanelTestImage, ResultsWebviewToHost } from '../../core/protocol';
import { ChartFormat, chartPngBase64, chartSvg } from '../shared/charts';
import { h, showNotice } from '../shared/dom';
import { fmtRate, fmtSeconds } from '../shared/format';
import { onThemeChange, readTheme, ThemeColors } from '../shared/theme';
import { connectToHost, HostChannel } from '../shared/vscodeApi';
import { CurveCards } from './curveCards';
import { metricsCsv, scoresCsv } from './exports';
import { HistogramCard } from './histogramCard';
import { runGuidance } from './guidance';
import { LossCard } from './lossCard';
import { MetricsCard } from './metricsCard';
import { defaultViewState, ResultsModel, ResultsViewState } from './model';
import { indicesInCell } from './sampleSelection';
import { SamplesCard } from './samplesCard';
import { WhatIfControl, whatIfLabel, whatIfRun } from './whatIfControl';

/** Timings the browser tests read (open time; cost of each threshold move). */
interface PanelPerf {
  renderedAt?: number;
  thresholdUpdates: number[];
}
declare global {
  interface Window { aelabPerf?: PanelPerf }
}
const perf: PanelPerf = { thresholdUpdates: [] };
window.aelabPerf = perf;

interface PendingImages {
  resolve(value: { width: number; height: number; images: PanelTestImage[] }): void;
  reject(error: Error): void;
}

class ResultsApp {
  private channel!: HostChannel<ResultsWebviewToHost, ResultsViewState>;
  private view: ResultsViewState | undefined;
  private theme: ThemeColors = readTheme();
  private model: ResultsModel | undefined;
  private loss: LossCard | undefined;
  private histogram: HistogramCard | undefined;
  private curves: CurveCards | undefined;
  private metrics: MetricsCard | undefined;
  private samples: SamplesCard | undefined;
  private header: HTMLElement | undefined;
  /** The run folder was deleted: show what was loaded, say so, offer no exports or writes. */
  private removedDir: string | undefined;
  /** Live per-batch losses (kept across re-renders: the run completing re-renders the panel). */
  private batchLoss: BatchLossPoint[] = [];
  private nextRequest = 1;
  private readonly pending = new Map<number, PendingImages>();
  /** The run as loaded (with its own scores and images), while a what-if is shown instead. */
  private base: { run: PanelRunData; images: PanelImageSource } | undefined;
  /** The what-if shown now: "what-if: blur 1.0". */
  private whatIf: string | undefined;
  private readonly whatIfControl = new WhatIfControl({
    preview: (corruption) => this.channel.post({ type: 'whatIf', corruption }),
    save: (corruption) => this.channel.post({ type: 'saveWhatIf', corruption }),
    back: () => {
      this.whatIfControl.cleared();
      if (this.base) this.render(this.base.run, this.base.images);
    },
  });

  constructor(private readonly root: HTMLElement) {}

  start(): void {
    this.channel = connectToHost<ResultsWebviewToHost, HostToResultsWebview, ResultsViewState>((m) => this.onMessage(m), { type: 'ready' });
    onThemeChange(() => {
      this.theme = readTheme();
      this.loss?.setTheme(this.theme);
      this.histogram?.setTheme(this.theme);
      this.curves?.setTheme(this.theme);
    });
  }

  private onMessage(message: HostToResultsWebview): void {
    switch (message.type) {
      case 'init':
        this.removedDir = undefined;
        if (this.model && this.model.run.runDir !== message.run.runDir) this.batchLoss = [];
        this.whatIfControl.cleared();
        this.render(message.run, message.images);
        return;
      case 'whatIf': {
        const base = this.base;
        if (message.error || !message.result || !base) {
          this.whatIfControl.answered(message.corruption, message.error ?? 'no scores came back');
          return;
        }
        this.whatIfControl.answered(message.corruption, undefined);
        // The stored images are of the run's own corruption: the what-if shows none.
        this.render(whatIfRun(base.run, message.result), { kind: 'none', width: base.images.width, height: base.images.height, sampleIndices: [] }, whatIfLabel(message.corruption));
        return;
      }
      case 'whatIfSaved':
        this.whatIfControl.saved(message.corruption);
        return;
      case 'batchLoss':
        this.batchLoss = message.from === 0 ? [...message.points] : [...this.batchLoss.slice(0, message.from), ...message.points];
        this.loss?.setBatchLoss(message.from, message.points);
        return;
      case 'runRemoved':
        this.removedDir = message.runDir;
        this.renderHeader();
        this.notice(`This run's folder was deleted (${message.runDir}). The panel still shows what it had loaded; exports and "Use this threshold" are off.`, 'error');
        document.getElementById('use-threshold')?.setAttribute('disabled', '');
        if (!this.model) this.root.replaceChildren(h('p', { class: 'error', id: 'notice' }, `The run ${message.runDir} no longer exists.`));
        return;
      case 'progress': {
        if (!this.model) return;
        const run = this.model.run;
        run.state = message.state;
        run.stale = message.stale;
        run.error = message.error;
        run.metrics = message.metrics;
        this.loss?.setData(run.metrics, run.summary, run.setup?.epochsPlanned ?? 0);
        this.renderHeader();
        const pending = document.getElementById('pending-text');
        if (pending) pending.textContent = this.pendingText(run);
        return;
      }
      case 'images': {
        const p = this.pending.get(message.requestId);
        this.pending.delete(message.requestId);
        if (!p) return;
        if (message.error) p.reject(new Error(message.error));
        else p.resolve(message);
        return;
      }
      case 'thresholdSaved':
        if (this.model) this.model.savedManual = message.value;
        this.metrics?.showSaved(message.value, message.experimentPath);
        this.histogram?.update();
        return;
      case 'notice':
        this.notice(message.message, message.level);
        return;
      default:
        assertNever(message);
    }
  }

  private saveState(): void {
    if (!this.view) return;
    // A what-if's threshold belongs to scores that are not saved.
    if (this.model?.run.scores && !this.whatIf) this.view.threshold = this.model.threshold;
    this.channel.saveState(this.view);
  }

  private notice(text: string, level: 'info' | 'error'): void {
    showNotice(text, level);
  }

  private destroyCards(): void {
    this.loss?.destroy();
    this.histogram?.destroy();
    this.curves?.destroy();
    this.loss = this.histogram = this.curves = this.metrics = this.samples = undefined;
  }

  /** `whatIf`: the label of a what-if's scores shown instead of the run's own. */
  private render(run: PanelRunData, images: PanelImageSource, whatIf?: string): void {
    this.whatIf = whatIf;
    if (!whatIf) this.base = { run, images };
    this.destroyCards();
    for (const p of this.pending.values()) p.reject(new Error('the panel reloaded'));
    this.pending.clear();
    const saved = this.channel.savedState;
    // Settings carry over when the panel shows another run (the preview tab); the threshold does not.
    const prior = this.view?.runDir === run.runDir ? this.view : saved?.runDir === run.runDir ? saved : this.view ? { ...this.view, threshold: undefined } : {};
    const view: ResultsViewState = { ...defaultViewState(run.runDir), ...prior, runDir: run.runDir };
    this.view = view;
    // A saved threshold belongs to this run's scores; a run that just completed starts at its chosen one.
    const model = new ResultsModel(run, images, run.scores && !whatIf ? view.threshold : undefined);
    this.model = model;

    this.header = h('header', { class: 'run-header', id: 'run-header' });
    const notice = h('div', { class: 'notice', id: 'notice', role: 'status' });
    const grid = h('main', { class: 'grid' });
    // What-if needs a run with scores and a model of its own or borrowed (completed).
    const canWhatIf = run.state === 'completed' && run.scores !== undefined && this.removedDir === undefined;
    this.root.replaceChildren(this.header, ...(canWhatIf ? [this.whatIfControl.root] : []), notice, grid);
    const own = /^(\S+) (\S+) on /.exec(run.setup?.corruption ?? '');
    if (own && !whatIf) this.whatIfControl.setRunCorruption({ type: own[1] as never, level: Number(own[2]) });
    this.renderHeader();

    const exportChart = (u: uPlot, title: string, format: ChartFormat) => this.exportChart(u, title, format);
    this.loss = new LossCard(this.theme, view.lossLog, (log) => { view.lossLog = log; this.saveState(); }, exportChart);
    grid.append(this.loss.root);
    if (this.batchLoss.length > 0 && this.view?.runDir === run.runDir) this.loss.setBatchLoss(0, this.batchLoss);

    if (!run.scores || !model.sorted) {
      grid.append(h('section', { class: 'card', id: 'pending-card' }, h('p', { class: 'hint', id: 'pending-text' }, this.pendingText(run))));
      this.loss.setData(run.metrics, run.summary, run.setup?.epochsPlanned ?? 0);
      this.saveState();
      this.markRendered();
      return;
    }

    this.metrics = new MetricsCard(model, {
      setThreshold: (t) => { model.move(t); model.commit(); },
      useThreshold: (t) => {
        model.move(t);
        model.commit();
        this.channel.post({ type: 'useThreshold', value: t });
      },
      showCell: (cell) => {
        const s = run.scores;
        if (s) this.samples?.showSelection(indicesInCell(s.values, s.labels, model.threshold, cell), `${cell.toUpperCase()} at threshold ${model.threshold.toPrecision(4)}`);
      },
    });
    this.histogram = new HistogramCard(model, this.theme, view, {
      onDrag: (t) => model.move(t),
      onDragEnd: () => model.commit(),
      onBinClick: (indices, label) => {
        for (const td of Array.from(document.querySelectorAll('#confusion td.selected'))) td.classList.remove('selected');
        this.samples?.showSelection(indices, label);
      },
      onSettingsChange: () => this.saveState(),
      exportChart,
    });
    this.curves = new CurveCards(model, this.theme, exportChart);
    this.samples = new SamplesCard(model, view, { request: (indices) => this.requestImages(indices) }, () => this.saveState());
    grid.classList.add('results-grid');
    grid.append(this.metrics.root, this.histogram.root, ...this.curves.roots, this.metrics.strategiesRoot, this.samples.root);
    // A threshold chosen on a what-if's scores is not this run's to write.
    if (whatIf) document.getElementById('use-threshold')?.setAttribute('disabled', '');

    model.onThresholdMove((t, p) => {
      const start = performance.now();
      this.metrics?.update(t, p);
      this.histogram?.update();
      this.curves?.update();
      // uPlot draws in a microtask queued by redraw(): measure after it, so drawing counts.
      queueMicrotask(() => {
        perf.thresholdUpdates.push(performance.now() - start);
        if (perf.thresholdUpdates.length > 2000) perf.thresholdUpdates.shift();
      });
    });
    model.onThresholdCommit(() => {
      this.samples?.onThresholdCommit();
      this.saveState();
    });

    // Charts size themselves from their containers: build them once the cards are in the page.
    this.loss.setData(run.metrics, run.summary, run.setup?.epochsPlanned ?? 0);
    this.histogram.rebuild();
    this.curves.build();
    const point = model.point;
    if (point) this.metrics.update(model.threshold, point);
    this.saveState();
    void this.samples.refresh();
    this.markRendered();
  }

  private pendingText(run: PanelRunData): string {
    return run.state === 'running' && !run.stale
      ? 'Training… the error distribution, metrics and samples appear here when the run completes.'
      : `This run has no scores (it ${run.stale ? 'crashed' : run.state === 'completed' ? 'completed without scoring' : `was ${run.state}`}).`;
  }

  private markRendered(): void {
    perf.renderedAt = performance.now();
    document.body.dataset.rendered = String((Number(document.body.dataset.rendered) || 0) + 1);
  }

  private renderHeader(): void {
    const header = this.header;
    const run = this.model?.run;
    if (!header || !run) return;
    const removed = this.removedDir !== undefined;
    const state = removed ? 'deleted' : run.stale ? 'failed (process gone)' : run.state;
    const s = run.summary;
    const setup = run.setup;
    const facts: string[] = [];
    if (setup) {
      facts.push(setup.architecture, `loss ${setup.loss}`, `score ${setup.score}`, setup.corruption);
      if (setup.trainContamination) facts.push(`contaminated training ${setup.trainContamination}`);
      if (setup.normalClasses) facts.push(`normal classes ${setup.normalClasses.join(',')}`);
    }
    const numbers = s
      ? [`AUROC ${fmtRate(s.auroc)}`, `AP ${fmtRate(s.averagePrecision)}`, ...(s.pixelAuroc === undefined ? [] : [`pixel AUROC ${fmtRate(s.pixelAuroc)}`]), `F1 ${fmtRate(s.operatingPoint.f1)} at ${s.chosen}`, `${s.epochsRun} epochs`, `trained ${fmtSeconds(s.trainSeconds)}`, s.trainingThreads === 2 ? `${s.backend}, 2 threads` : s.backend]
      : [`${run.metrics.length}${setup ? `/${setup.epochsPlanned}` : ''} epochs`];
    const exports = h('div', { class: 'card-tools' });
    if (run.scores && !removed && !this.whatIf) {
      const metricsButton = h('vscode-button', { appearance: 'secondary', id: 'export-metrics' }, 'Metrics CSV');
      metricsButton.addEventListener('click', () => this.exportMetrics());
      const scoresButton = h('vscode-button', { appearance: 'secondary', id: 'export-scores' }, 'Scores CSV');
      scoresButton.addEventListener('click', () => this.exportScores());
      exports.append(metricsButton, scoresButton);
    }
    header.replaceChildren(
      h('div', { class: 'run-title' },
        h('h2', {}, `${run.experimentName} / ${run.runId}`),
        h('span', { class: `state state-${removed || run.stale ? 'failed' : run.state}`, id: 'run-state' }, state)),
      ...(this.whatIf ? [h('div', { class: 'advice warning', id: 'whatif-label', role: 'note' }, `${this.whatIf} — not saved. The numbers and charts below are of the test set corrupted this way, scored with this run's model.`)] : []),
      h('div', { class: 'run-facts' }, facts.join(' · ')),
      h('div', { class: 'run-numbers', id: 'run-numbers' }, numbers.join(' · ')),
      ...(run.error ? [h('div', { class: 'error' }, run.error)] : []),
      exports,
      ...this.advice(run));
  }

  /** Guidance for a weak run and the warning about a manual threshold from other data. */
  private advice(run: PanelRunData): HTMLElement[] {
    const lines = runGuidance(run.summary);
    const out: HTMLElement[] = [];
    // The run's own warnings (e.g. corrupted images identical to their originals), with how many.
    for (const w of run.summary?.warnings ?? []) out.push(h('div', { class: 'advice warning run-warning', role: 'note' }, `Warning: ${w}`));
    if (run.manualThresholdWarning) out.push(h('div', { class: 'advice warning', id: 'manual-threshold-warning', role: 'note' }, run.manualThresholdWarning));
    if (lines.length > 0) out.push(h('div', { class: 'advice', id: 'guidance', role: 'note' }, ...lines.map((l) => h('p', {}, l))));
    return out;
  }

  private requestImages(indices: number[]): Promise<{ width: number; height: number; images: PanelTestImage[] }> {
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.channel.post({ type: 'requestImages', requestId, indices });
    });
  }

  private baseName(): string {
    const run = this.model?.run;
    return run ? `${run.experimentName}-${run.runId}` : 'aelab';
  }

  private exportChart(u: uPlot, title: string, format: ChartFormat): void {
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const suggestedName = `${this.baseName()}-${slug}.${format}`;
    if (format === 'svg') this.channel.post({ type: 'saveFile', file: { kind: 'svg', suggestedName, text: chartSvg(u, title, this.theme) } });
    else void chartPngBase64(u, title, this.theme).then((base64) => this.channel.post({ type: 'saveFile', file: { kind: 'png', suggestedName, base64 } }));
  }

  private exportMetrics(): void {
    const m = this.model;
    if (!m?.sorted) return;
    this.channel.post({ type: 'saveFile', file: { kind: 'csv', suggestedName: `${this.baseName()}-metrics.csv`, text: metricsCsv(m.run, m.sorted, m.threshold, m.strategies) } });
  }

  private exportScores(): void {
    const m = this.model;
    if (!m) return;
    this.channel.post({ type: 'saveFile', file: { kind: 'csv', suggestedName: `${this.baseName()}-scores.csv`, text: scoresCsv(m.run, m.threshold) } });
  }
}

/** Starts the panel (main.mts registers the toolkit components first). */
export function startResultsPanel(): void {
  const root = document.getElementById('app');
  if (root) new ResultsApp(root).start();
}
