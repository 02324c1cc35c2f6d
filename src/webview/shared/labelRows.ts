// Marker labels on a chart: each label goes into the first row where it touches no label already
// placed (nor a reserved span of the top row, such as the threshold handle's grip), so labels of
// nearby markers stack instead of overlapping and labels far apart share the top row.

export interface LabelSpan {
  left: number;
  right: number;
}

function overlaps(a: LabelSpan, b: LabelSpan, gap: number): boolean {
  return a.left < b.right + gap && b.left < a.right + gap;
}

/** The row of each span (same order as given); `gap` pixels are kept between neighbours. */
export function assignLabelRows(spans: readonly LabelSpan[], reservedTopRow: readonly LabelSpan[] = [], gap = 4): number[] {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a].left - spans[b].left);
  const rows: LabelSpan[][] = [[...reservedTopRow]];
  const result = new Array<number>(spans.length).fill(0);
  for (const i of order) {
    let row = rows.findIndex((placed) => placed.every((p) => !overlaps(p, spans[i], gap)));
    if (row < 0) row = rows.push([]) - 1;
    rows[row].push(spans[i]);
    result[i] = row;
  }
  return result;
}
