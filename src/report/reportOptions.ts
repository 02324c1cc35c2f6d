// What a report keeps. The defaults write everything; the smaller settings exist so a report of a
// whole study (dozens of runs) stays small enough to commit while still answering its questions.

/** Which figure files go beside report.md (report.html always inlines the SVGs). */
export type ReportFigureFiles = 'svg' | 'svg+png';

/**
 * Which runs get a section of their own (settings, metrics, loss, histogram, confusion matrix,
 * threshold sweep, sample grid): every run; one representative run per setting (seeds grouped);
 * or none (the experiments table and the across-run charts only).
 */
export type ReportPerRun = 'all' | 'representative' | 'summary';

export interface ReportOptions {
  figures: ReportFigureFiles;
  perRun: ReportPerRun;
  /** Sample-grid rows per group (normal, anomalous); 0 leaves the grid out. */
  samples: number;
}

export const DEFAULT_REPORT_OPTIONS: ReportOptions = { figures: 'svg+png', perRun: 'all', samples: 4 };

export const REPORT_FIGURE_FILES: readonly ReportFigureFiles[] = ['svg', 'svg+png'];
export const REPORT_PER_RUN: readonly ReportPerRun[] = ['all', 'representative', 'summary'];
export const MAX_SAMPLE_ROWS = 16;
