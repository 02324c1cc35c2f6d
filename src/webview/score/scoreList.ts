// The Score panel's list, pure: images sorted by score (highest first, file order among ties),
// flagged at a threshold, in pages, and its CSV (the columns of `aelab score`).
import { SCORE_PAGE_SIZE } from '../../core/protocol';
import { scoreCsv } from '../../core/scoreCsv';

export const PAGE_SIZE = SCORE_PAGE_SIZE;

export interface ScoreRow {
  /** Index into the result's files. */
  index: number;
  file: string;
  path: string;
  score: number;
  flagged: boolean;
}

/** Every scored image, highest score first, flagged when score >= threshold (as `aelab score`). */
export function sortedRows(files: readonly string[], displayPaths: readonly string[], scores: ArrayLike<number>, threshold: number): ScoreRow[] {
  return files
    .map((file, index) => ({ index, file, path: displayPaths[index] ?? file, score: scores[index], flagged: scores[index] >= threshold }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

export function pageCount(rows: number): number {
  return Math.max(1, Math.ceil(rows / PAGE_SIZE));
}

export function pageOf<T>(rows: readonly T[], page: number): T[] {
  return rows.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
}

/** The list as CSV, in the order shown. */
export function rowsCsv(rows: readonly ScoreRow[]): string {
  return scoreCsv(rows.map((r) => ({ path: r.path, score: r.score, flagged: r.flagged })));
}
