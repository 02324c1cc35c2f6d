// What the Results webview knows about its run, and the one moving part: the threshold. Every
// view subscribes; a marker drag changes the threshold once per animation frame.
import { SortedScores } from '../../core/metrics';
import type { PanelImageSource, PanelRunData, ResultsPanelState } from '../../core/protocol';
import type { OperatingPoint, ThresholdResult } from '../../core/runFormat';
import type { SampleMode } from './sampleSelection';

/** The persisted view state: survives hiding the panel and reloading the window. */
export interface ResultsViewState extends ResultsPanelState {
  threshold?: number;
  bins: number;
  logY: boolean;
  logX: boolean;
  lossLog: boolean;
  sampleMode: SampleMode;
  perGroup: number;
  seed: number;
}

export function defaultViewState(runDir: string): ResultsViewState {
  return { runDir, bins: 60, logY: false, logX: false, lossLog: false, sampleMode: 'random', perGroup: 4, seed: 1 };
}

export type ThresholdListener = (threshold: number, point: OperatingPoint) => void;

export class ResultsModel {
  readonly sorted: SortedScores | undefined;
  private current: number;
  private readonly onMove: ThresholdListener[] = [];
  private readonly onCommit: ThresholdListener[] = [];
  /** Thresholds saved to the experiment file from this panel (shown as the manual marker). */
  savedManual: number | undefined;

  constructor(readonly run: PanelRunData, readonly images: PanelImageSource, initialThreshold?: number) {
    const s = run.scores;
    this.sorted = s ? new SortedScores(s.values, s.labels) : undefined;
    const chosen = run.summary?.operatingPoint.threshold;
    const fallback = this.sorted ? (this.sorted.min + this.sorted.max) / 2 : 0;
    this.current = initialThreshold ?? (chosen !== undefined && Number.isFinite(chosen) ? chosen : fallback);
    this.savedManual = run.manualThreshold;
  }

  get threshold(): number {
    return this.current;
  }

  get point(): OperatingPoint | undefined {
    return this.sorted?.operatingPoint(this.current);
  }

  /** Every strategy's threshold, plus the manual one saved from this panel. */
  get strategies(): ThresholdResult[] {
    const list = [...(this.run.summary?.thresholds ?? [])];
    if (this.savedManual !== undefined) {
      const saved: ThresholdResult = { strategy: 'manual', value: this.savedManual, usesLabels: false, description: 'saved with "Use this threshold"' };
      const i = list.findIndex((t) => t.strategy === 'manual');
      if (i >= 0) list[i] = saved;
      else list.push(saved);
    }
    return list;
  }

  onThresholdMove(listener: ThresholdListener): void {
    this.onMove.push(listener);
  }

  onThresholdCommit(listener: ThresholdListener): void {
    this.onCommit.push(listener);
  }

  /** Moves the threshold: listeners redraw (every frame while dragging). */
  move(threshold: number): void {
    if (!this.sorted || !Number.isFinite(threshold)) return;
    this.current = threshold;
    const point = this.sorted.operatingPoint(threshold);
    for (const l of this.onMove) l(threshold, point);
  }

  /** The threshold settled (drag ended, value typed, strategy picked): slower views follow. */
  commit(threshold = this.current): void {
    if (threshold !== this.current) this.move(threshold);
    const point = this.point;
    if (!point) return;
    for (const l of this.onCommit) l(this.current, point);
  }
}
