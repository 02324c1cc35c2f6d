// The sample grid: rows of original | corrupted input | reconstruction | difference heatmap for
// normal and anomalous test images, chosen by mode (random, highest, lowest, false positives,
// false negatives, or the images behind a clicked confusion cell or histogram bar). The webview
// picks the indices (it has the scores); the host sends the pixels of just those images.
import type { PanelTestImage } from '../../core/protocol';
import { controlValue, h, pixelCanvas } from '../shared/dom';
import { fmtCount, fmtScore } from '../shared/format';
import { differencePlane, greyToRgba, heatColor, heatToRgba, outlined, scaleMaximum } from './heatmap';
import type { ResultsModel, ResultsViewState } from './model';
import { SAMPLE_MODES, SampleGroups, SampleMode, selectSamples } from './sampleSelection';

export interface ImageProvider {
  request(indices: number[]): Promise<{ width: number; height: number; images: PanelTestImage[] }>;
}

const PER_GROUP_CHOICES = [4, 8, 12, 16];

export class SamplesCard {
  readonly root: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly status: HTMLElement;
  private readonly mode: HTMLElement;
  private selection: { indices: number[]; label: string } | undefined;
  private generation = 0;

  constructor(private readonly model: ResultsModel, private readonly view: ResultsViewState, private readonly images: ImageProvider, private readonly onSettingsChange: () => void) {
    this.mode = h('vscode-dropdown', { id: 'sample-mode', title: 'Which images to show' });
    for (const m of SAMPLE_MODES) this.mode.append(h('vscode-option', { value: m.mode, selected: m.mode === view.sampleMode }, m.label));
    this.mode.addEventListener('change', () => {
      view.sampleMode = controlValue(this.mode) as SampleMode;
      onSettingsChange();
      void this.refresh();
    });
    const perGroup = h('vscode-dropdown', { id: 'sample-count', title: 'Images per group' });
    for (const n of PER_GROUP_CHOICES) perGroup.append(h('vscode-option', { value: String(n), selected: n === view.perGroup }, `${n} per group`));
    perGroup.addEventListener('change', () => {
      view.perGroup = Number(controlValue(perGroup)) || 4;
      onSettingsChange();
      void this.refresh();
    });
    const shuffle = h('vscode-button', { appearance: 'secondary', id: 'sample-shuffle', title: 'Another seeded random pick' }, 'Shuffle');
    shuffle.addEventListener('click', () => {
      view.seed++;
      onSettingsChange();
      void this.refresh();
    });
    this.status = h('span', { class: 'hint', id: 'samples-status' });
    this.grid = h('div', { class: 'sample-grid', id: 'sample-grid' });
    this.root = h('section', { class: 'card wide', id: 'samples-card' },
      h('header', { class: 'card-header' }, h('h3', { class: 'card-title' }, 'Samples'), h('div', { class: 'card-tools' }, this.mode, perGroup, shuffle)),
      this.status,
      this.grid);
  }

  /** The images behind a clicked confusion cell or histogram bar. */
  showSelection(indices: number[], label: string): void {
    this.selection = { indices, label };
    this.view.sampleMode = 'selection';
    (this.mode as unknown as { value: string }).value = 'selection';
    this.onSettingsChange();
    void this.refresh();
    // The grid is far below what was clicked: bring it into view so the click visibly did something.
    const smooth = !window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
    this.root.scrollIntoView({ behavior: smooth ? 'smooth' : 'auto', block: 'start' });
  }

  /** Threshold settled: only the threshold-dependent modes change. */
  onThresholdCommit(): void {
    if (this.view.sampleMode === 'false-positives' || this.view.sampleMode === 'false-negatives') void this.refresh();
  }

  async refresh(): Promise<void> {
    const scores = this.model.run.scores;
    const source = this.model.images;
    if (!scores || source.kind === 'none') {
      this.status.textContent = scores ? 'This run stored no images.' : '';
      return;
    }
    const generation = ++this.generation;
    const groups = selectSamples({
      scores: scores.values,
      labels: scores.labels,
      threshold: this.model.threshold,
      mode: this.view.sampleMode,
      perGroup: this.view.perGroup,
      seed: this.view.seed,
      selection: this.selection?.indices ?? [],
      available: source.kind === 'samples' ? source.sampleIndices : undefined,
    });
    const wanted = [...groups.normal, ...groups.anomalous];
    this.status.textContent = this.describe(groups);
    this.grid.dataset.mode = this.view.sampleMode;
    this.grid.dataset.state = 'loading';
    if (wanted.length === 0) {
      this.grid.replaceChildren(h('p', { class: 'hint' }, 'No images match.'));
      this.grid.dataset.state = 'ready';
      return;
    }
    try {
      const { width, height, images } = await this.images.request(wanted);
      if (generation !== this.generation) return; // a newer request superseded this one
      this.render(groups, width, height, new Map(images.map((im) => [im.index, im])));
    } catch (err) {
      if (generation !== this.generation) return;
      this.grid.replaceChildren(h('p', { class: 'error' }, `Cannot load the images: ${(err as Error).message}`));
    }
    this.grid.dataset.state = 'ready';
  }

  private describe(g: SampleGroups): string {
    const mode = SAMPLE_MODES.find((m) => m.mode === this.view.sampleMode)?.label ?? this.view.sampleMode;
    const what = this.view.sampleMode === 'selection' ? (this.selection?.label ?? 'nothing selected yet: click a confusion-matrix cell or a histogram bar') : mode;
    const limited = this.model.images.kind === 'samples' ? ' (this run stored only its sample images)' : '';
    return `${what}: ${g.normal.length} of ${fmtCount(g.normalMatches)} normal, ${g.anomalous.length} of ${fmtCount(g.anomalousMatches)} anomalous${limited}`;
  }

  private render(groups: SampleGroups, width: number, height: number, byIndex: Map<number, PanelTestImage>): void {
    const all = [...groups.normal, ...groups.anomalous].flatMap((i) => (byIndex.has(i) ? [byIndex.get(i) as PanelTestImage] : []));
    const diffs = new Map(all.map((im) => [im.index, differencePlane(im.input, im.reconstruction)]));
    const scaleMax = scaleMaximum([...diffs.values()]);
    const sections: HTMLElement[] = [this.legend(scaleMax)];
    for (const [name, indices] of [['Normal', groups.normal], ['Anomalous', groups.anomalous]] as const) {
      if (indices.length === 0) continue;
      const rows = indices.flatMap((i) => {
        const im = byIndex.get(i);
        return im ? [this.row(im, diffs.get(i) as Uint8Array, width, height, scaleMax)] : [];
      });
      sections.push(h('div', { class: 'sample-group', 'data-group': name.toLowerCase() },
        h('h4', {}, name),
        h('table', { class: 'samples' },
          h('thead', {}, h('tr', {}, ...['image', 'original', 'corrupted input', 'reconstruction', 'difference'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, ...rows))));
    }
    this.grid.replaceChildren(...sections);
  }

  private row(im: PanelTestImage, diff: Uint8Array, width: number, height: number, scaleMax: number): HTMLElement {
    const scores = this.model.run.scores;
    const score = scores?.values[im.index] ?? NaN;
    const label = scores?.labels[im.index] ?? 0;
    const digit = scores?.classes?.[im.index];
    const flagged = score >= this.model.threshold;
    const info = h('td', { class: 'sample-info' },
      h('div', {}, `#${im.index}`),
      digit !== undefined ? h('div', {}, `digit ${digit}`) : null,
      h('div', {}, `score ${fmtScore(score)}`),
      h('div', { class: flagged ? 'flag anomaly' : 'flag normal' }, flagged ? 'flagged' : 'not flagged'));
    return h('tr', { class: 'sample', 'data-index': im.index, 'data-label': label, 'data-score': score },
      info,
      h('td', {}, pixelCanvas(outlined(greyToRgba(im.original), im.mask, width, height), width, height, 'original')),
      h('td', {}, pixelCanvas(greyToRgba(im.input), width, height, 'input')),
      h('td', {}, pixelCanvas(greyToRgba(im.reconstruction), width, height, 'reconstruction')),
      h('td', {}, pixelCanvas(outlined(heatToRgba(diff, scaleMax), im.mask, width, height), width, height, 'difference')));
  }

  private legend(scaleMax: number): HTMLElement {
    const canvas = document.createElement('canvas');
    canvas.width = 128;
    canvas.height = 1;
    canvas.className = 'legend-ramp';
    const ctx = canvas.getContext('2d');
    if (ctx) {
      const img = ctx.createImageData(128, 1);
      for (let x = 0; x < 128; x++) {
        const [r, g, b] = heatColor(x / 127);
        img.data.set([r, g, b, 255], 4 * x);
      }
      ctx.putImageData(img, 0, 0);
    }
    return h('div', { class: 'heat-legend', id: 'heat-legend' },
      h('span', {}, '|input − reconstruction|: 0'), canvas, h('span', {}, (scaleMax / 255).toFixed(1)));
  }
}

