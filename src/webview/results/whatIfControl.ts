// "What if the noise were different?": a corruption type and level for the run's test set. The
// host re-corrupts it with the run's seed and re-scores it with the run's model; the panel then
// shows those scores, labelled as not saved, until *Back to the run* or *Save as run*.
import { DEFAULT_CORRUPTION_LEVELS } from '../../core/corruptionLevels';
import type { PanelRunData, WhatIfCorruptionChoice, WhatIfResult } from '../../core/protocol';
import { controlValue, h, setControlValue } from '../shared/dom';

type CorruptionType = WhatIfCorruptionChoice['type'];
const TYPES = Object.keys(DEFAULT_CORRUPTION_LEVELS) as CorruptionType[];

/** "what-if: blur 1.0" */
export function whatIfLabel(c: WhatIfCorruptionChoice): string {
  return `what-if: ${c.type} ${Number.isInteger(c.level) ? c.level.toFixed(1) : String(c.level)}`;
}

/** The run as the panel shows it under a what-if: its scores and numbers replaced, nothing else of it. */
export function whatIfRun(run: PanelRunData, result: WhatIfResult): PanelRunData {
  const { summary } = run;
  return {
    ...run,
    scores: { kind: run.scores?.kind ?? 'mse', values: result.scores, labels: result.labels, classes: result.classes },
    summary: summary && {
      ...summary, auroc: result.auroc, averagePrecision: result.averagePrecision, thresholds: result.thresholds,
      chosen: result.chosen, operatingPoint: result.operatingPoint, anomalyCount: result.operatingPoint.tp + result.operatingPoint.fn,
      warnings: result.warnings.length > 0 ? result.warnings : undefined,
    },
    manualThreshold: undefined, manualThresholdWarning: undefined,
  };
}

export interface WhatIfActions {
  preview(c: WhatIfCorruptionChoice): void;
  save(c: WhatIfCorruptionChoice): void;
  back(): void;
}

/** The control bar; it outlives the panel's re-renders (the panel re-attaches its root). */
export class WhatIfControl {
  readonly root: HTMLElement;
  private readonly type: HTMLElement;
  private readonly level: HTMLElement;
  private readonly status: HTMLElement;
  private readonly saveButton: HTMLElement;
  private readonly backButton: HTMLElement;
  /** The what-if shown now (undefined: the run itself). */
  shown: WhatIfCorruptionChoice | undefined;
  private asked = 0;

  constructor(private readonly actions: WhatIfActions) {
    this.type = h('vscode-dropdown', { id: 'whatif-type', title: 'Corruption type of the test set' },
      ...TYPES.map((t) => h('vscode-option', { value: t }, t)));
    this.level = h('vscode-text-field', { id: 'whatif-level', size: 6, title: 'Corruption level, in the unit of its type' });
    setControlValue(this.level, String(DEFAULT_CORRUPTION_LEVELS.gaussian));
    this.type.addEventListener('change', () => setControlValue(this.level, String(DEFAULT_CORRUPTION_LEVELS[this.chosenType()])));
    const go = h('vscode-button', { id: 'whatif-run', title: 'Re-corrupt the test set with the run\'s seed and re-score it with its model (no training)' }, 'What if…');
    go.addEventListener('click', () => this.ask());
    this.level.addEventListener('keydown', (e) => { if ((e as KeyboardEvent).key === 'Enter') this.ask(); });
    this.saveButton = h('vscode-button', { id: 'whatif-save', appearance: 'secondary', disabled: true, title: 'Keep this what-if as a run that records which model it reused' }, 'Save as run');
    this.saveButton.addEventListener('click', () => { if (this.shown) this.actions.save(this.shown); });
    this.backButton = h('vscode-button', { id: 'whatif-back', appearance: 'secondary', disabled: true }, 'Back to the run');
    this.backButton.addEventListener('click', () => this.actions.back());
    this.status = h('span', { class: 'hint', id: 'whatif-status', role: 'status' });
    this.root = h('div', { class: 'whatif card-tools', id: 'whatif' },
      h('span', {}, 'What if the test noise were'), this.type, this.level, go, this.saveButton, this.backButton, this.status);
  }

  /** The run's own corruption, as the starting choice. */
  setRunCorruption(c: WhatIfCorruptionChoice | undefined): void {
    if (!c || this.shown) return;
    setControlValue(this.type, c.type);
    setControlValue(this.level, String(c.level));
  }

  private chosenType(): CorruptionType {
    const t = controlValue(this.type) as CorruptionType;
    return TYPES.includes(t) ? t : 'gaussian';
  }

  private ask(): void {
    const level = Number(controlValue(this.level));
    if (controlValue(this.level).trim() === '' || !Number.isFinite(level) || level < 0) {
      this.level.classList.add('invalid');
      this.status.textContent = 'The level must be a number >= 0.';
      return;
    }
    this.level.classList.remove('invalid');
    const c = { type: this.chosenType(), level };
    this.asked = performance.now();
    this.status.textContent = `Scoring ${whatIfLabel(c).slice('what-if: '.length)}…`;
    this.actions.preview(c);
  }

  /** The host answered: shown (with the time it took here), or why not. */
  answered(c: WhatIfCorruptionChoice, error: string | undefined): void {
    if (error) {
      this.status.textContent = `What-if failed: ${error}`;
      return;
    }
    this.shown = c;
    const seconds = this.asked ? ` (${((performance.now() - this.asked) / 1000).toFixed(1)} s)` : '';
    this.status.textContent = `${whatIfLabel(c)} — not saved${seconds}`;
    this.saveButton.removeAttribute('disabled');
    this.backButton.removeAttribute('disabled');
  }

  saved(c: WhatIfCorruptionChoice): void {
    this.status.textContent = `Saving ${whatIfLabel(c).slice('what-if: '.length)} as a run (it appears in the tree when scored).`;
  }

  /** Back to the run's own scores. */
  cleared(): void {
    this.shown = undefined;
    this.status.textContent = '';
    this.saveButton.setAttribute('disabled', '');
    this.backButton.setAttribute('disabled', '');
  }
}
