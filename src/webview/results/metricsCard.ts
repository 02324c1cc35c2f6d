// The numbers at the current threshold (confusion matrix, precision, recall, F1, accuracy, FPR),
// updated every frame while the marker moves; the threshold field; "Use this threshold"; and
// the table of every strategy's threshold side by side.
import type { OperatingPoint, ThresholdResult } from '../../core/runFormat';
import { controlValue, h, setControlValue, setText } from '../shared/dom';
import { fmtCount, fmtRate, fmtScore, roundThreshold } from '../shared/format';
import type { ResultsModel } from './model';
import type { ConfusionCell } from './sampleSelection';

export interface MetricsCallbacks {
  setThreshold(threshold: number): void;
  useThreshold(threshold: number): void;
  showCell(cell: ConfusionCell): void;
}

const METRICS: readonly { key: keyof OperatingPoint; label: string }[] = [
  { key: 'precision', label: 'Precision' },
  { key: 'recall', label: 'Recall' },
  { key: 'f1', label: 'F1' },
  { key: 'accuracy', label: 'Accuracy' },
  { key: 'fpr', label: 'False-positive rate' },
];

const STRATEGY_NAMES: Record<string, string> = {
  manual: 'manual',
  percentile: 'percentile',
  'mean-std': 'mean + k·std',
  'max-f1': 'max F1',
  fpr: 'target FPR',
  mixture: 'score mixture',
};

export class MetricsCard {
  readonly root: HTMLElement;
  readonly strategiesRoot: HTMLElement;
  private readonly cells = new Map<ConfusionCell, HTMLElement>();
  private readonly values = new Map<string, HTMLElement>();
  private readonly field: HTMLElement;
  private readonly saved: HTMLElement;
  private readonly fieldError: HTMLElement;
  private readonly note: HTMLElement;
  private readonly strategyBody: HTMLElement;

  constructor(private readonly model: ResultsModel, private readonly cb: MetricsCallbacks) {
    const cell = (c: ConfusionCell, title: string) => {
      const td = h('td', { class: `cell cell-${c}`, id: `cell-${c}`, tabindex: 0, title: `${title}: click to show these images` });
      // The clicked cell stays marked: the grid it fills is further down the panel.
      const show = () => {
        for (const [other, el] of this.cells) el.classList.toggle('selected', other === c);
        cb.showCell(c);
      };
      td.addEventListener('click', show);
      td.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') show(); });
      this.cells.set(c, td);
      return td;
    };
    const matrix = h('table', { class: 'confusion', id: 'confusion' },
      h('thead', {}, h('tr', {}, h('th', {}), h('th', { scope: 'col' }, 'predicted normal'), h('th', { scope: 'col' }, 'predicted anomaly'))),
      h('tbody', {},
        h('tr', {}, h('th', { scope: 'row' }, 'normal'), cell('tn', 'true negatives'), cell('fp', 'false positives')),
        h('tr', {}, h('th', { scope: 'row' }, 'anomaly'), cell('fn', 'false negatives'), cell('tp', 'true positives'))));

    const list = h('dl', { class: 'metrics', id: 'metrics' });
    for (const m of METRICS) {
      const dd = h('dd', { id: `metric-${m.key}` });
      this.values.set(m.key, dd);
      list.append(h('dt', {}, m.label), dd);
    }

    this.field = h('vscode-text-field', { id: 'threshold-field', size: 12, title: 'Type a threshold and press Enter' }, 'Threshold');
    this.fieldError = h('div', { class: 'error', id: 'threshold-error', role: 'alert' });
    const apply = () => {
      const typed = controlValue(this.field).trim();
      const v = typed === '' ? NaN : Number(typed);
      if (Number.isFinite(v)) {
        // The field shows the threshold rounded: applying what it shows must not move it.
        if (v !== roundThreshold(this.model.threshold)) cb.setThreshold(v);
        return;
      }
      // Keep the last valid threshold, and show it in the field again.
      const kept = roundThreshold(this.model.threshold);
      this.fieldError.textContent = `"${typed}" is not a number (e.g. 0.012 or 1.2e-2): the threshold stays at ${kept}.`;
      this.field.classList.add('invalid');
      setControlValue(this.field, String(kept));
    };
    this.field.addEventListener('change', apply);
    // The error stays until the next edit (the kept value put back in the field also fires change).
    this.field.addEventListener('input', () => {
      this.fieldError.textContent = '';
      this.field.classList.remove('invalid');
    });
    this.field.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') apply(); });
    const use = h('vscode-button', { id: 'use-threshold', title: 'Write this threshold into the experiment file (strategy: manual)' }, 'Use this threshold');
    use.addEventListener('click', () => cb.useThreshold(roundThreshold(this.model.threshold)));
    const chosen = model.run.summary?.operatingPoint.threshold;
    const reset = h('vscode-button', { appearance: 'secondary', id: 'reset-threshold', title: 'Back to the threshold the run chose' }, `Reset to ${model.run.summary?.chosen ?? 'chosen'}`);
    reset.addEventListener('click', () => chosen !== undefined && cb.setThreshold(chosen));
    this.saved = h('div', { class: 'hint', id: 'threshold-saved' });
    this.note = h('div', { class: 'threshold-note', id: 'threshold-note', role: 'status' });
    if (!model.run.experimentPath) use.setAttribute('disabled', '');

    this.root = h('section', { class: 'card', id: 'metrics-card' },
      h('header', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'At this threshold')),
      h('div', { class: 'threshold-row' }, this.field, use, reset),
      this.fieldError,
      this.saved,
      this.note,
      h('div', { class: 'metrics-row' }, h('div', { class: 'table-scroll' }, matrix), list));

    this.strategyBody = h('tbody', {});
    this.strategiesRoot = h('section', { class: 'card', id: 'strategies-card' },
      h('header', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Threshold strategies')),
      h('div', { class: 'table-scroll' }, h('table', { class: 'strategies', id: 'strategies' },
        h('thead', {}, h('tr', {}, ...['strategy', 'threshold', 'precision', 'recall', 'F1', 'FPR', 'flagged', 'labels used', ''].map((c) => h('th', { scope: 'col' }, c)))),
        this.strategyBody)));
    this.renderStrategies();
  }

  renderStrategies(): void {
    const body = this.strategyBody;
    body.replaceChildren();
    const chosen = this.model.run.summary?.chosen;
    for (const s of this.model.strategies) body.append(this.strategyRow(s, s.strategy === chosen));
  }

  private strategyRow(s: ThresholdResult, chosen: boolean): HTMLElement {
    const p = this.model.sorted?.operatingPoint(s.value);
    const go = h('vscode-button', { appearance: 'icon', title: `Move the marker to ${s.strategy}`, 'aria-label': `Move the marker to ${s.strategy}` }, '→');
    go.addEventListener('click', () => this.cb.setThreshold(s.value));
    return h('tr', { 'data-strategy': s.strategy, class: chosen ? 'chosen' : undefined, title: s.description },
      h('td', {}, STRATEGY_NAMES[s.strategy] ?? s.strategy, chosen ? ' (chosen)' : ''),
      h('td', { class: 'num' }, fmtScore(s.value)),
      h('td', { class: 'num' }, fmtRate(p?.precision)),
      h('td', { class: 'num' }, fmtRate(p?.recall)),
      h('td', { class: 'num' }, fmtRate(p?.f1)),
      h('td', { class: 'num' }, fmtRate(p?.fpr)),
      h('td', { class: 'num' }, p ? fmtCount(p.tp + p.fp) : '–'),
      h('td', {}, s.usesLabels ? 'yes' : 'no'),
      h('td', {}, go));
  }

  /** Per frame: text only where it changed. */
  update(threshold: number, p: OperatingPoint): void {
    for (const c of ['tp', 'tn', 'fp', 'fn'] as const) setText(this.cells.get(c) as HTMLElement, fmtCount(p[c]));
    for (const m of METRICS) setText(this.values.get(m.key) as HTMLElement, fmtRate(p[m.key]));
    if (document.activeElement !== this.field) setControlValue(this.field, String(roundThreshold(threshold)));
    setText(this.note, this.edgeNote(p));
  }

  /** Plain words for the two ends of the scale, where the metrics alone read as a broken model. */
  private edgeNote(p: OperatingPoint): string {
    const s = this.model.sorted;
    if (!s || s.count === 0) return '';
    if (p.tp + p.fp === 0) return `No test image reaches this threshold (the highest test score is ${fmtScore(s.max)}), so nothing is flagged: precision, recall and F1 are 0.`;
    if (p.tn + p.fn === 0) return `Every test image reaches this threshold (the lowest test score is ${fmtScore(s.min)}), so every image is flagged as an anomaly.`;
    return '';
  }

  showSaved(value: number, file: string): void {
    this.saved.textContent = `Saved threshold ${fmtScore(value)} (strategy manual) to ${file}.`;
    this.renderStrategies();
  }
}
