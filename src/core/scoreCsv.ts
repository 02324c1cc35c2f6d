// The CSV of `aelab score` and of the Score panel's export: header `path,score,flagged`, one row
// per image, paths quoted when they hold a comma, quote or newline. Pure: the webview uses it too.

export interface ScoreCsvRow {
  path: string;
  score: number;
  flagged: boolean;
}

export function scoreCsv(rows: readonly ScoreCsvRow[]): string {
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return ['path,score,flagged', ...rows.map((r) => `${quote(r.path)},${r.score},${r.flagged}`)].join('\n') + '\n';
}
