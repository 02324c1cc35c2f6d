// Which test images the sample grid shows. Pure: unit-tested in test/unit/panel-logic.test.ts.
import { rngFor } from '../../core/rng';

export type SampleMode = 'random' | 'highest' | 'lowest' | 'false-positives' | 'false-negatives' | 'selection';

export const SAMPLE_MODES: readonly { mode: SampleMode; label: string }[] = [
  { mode: 'random', label: 'Random (seeded)' },
  { mode: 'highest', label: 'Highest score' },
  { mode: 'lowest', label: 'Lowest score' },
  { mode: 'false-positives', label: 'False positives' },
  { mode: 'false-negatives', label: 'False negatives' },
  { mode: 'selection', label: 'Clicked cell or bin' },
];

export interface SampleQuery {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  threshold: number;
  mode: SampleMode;
  /** Images per group (normal, anomalous). */
  perGroup: number;
  seed: number;
  /** For `selection`: the indices behind the clicked confusion cell or histogram bin. */
  selection?: readonly number[];
  /** Only these indices have images (a run without images.bin); undefined: all do. */
  available?: readonly number[];
}

export interface SampleGroups {
  normal: number[];
  anomalous: number[];
  /** How many images matched in each group before the cut to perGroup. */
  normalMatches: number;
  anomalousMatches: number;
}

const byScoreDesc = (scores: ArrayLike<number>) => (a: number, b: number) => scores[b] - scores[a] || a - b;
const byScoreAsc = (scores: ArrayLike<number>) => (a: number, b: number) => scores[a] - scores[b] || a - b;

function seededPick(indices: readonly number[], k: number, seed: number, stream: string): number[] {
  const rng = rngFor(seed, stream);
  return Array.from(rng.sample(indices.length, k), (i) => indices[i]);
}

/**
 * The images to show for a mode. false-positives are normals scoring >= threshold (highest
 * first: the most confident mistakes); false-negatives are anomalies scoring below it (lowest
 * first). Those modes fill only one group, with up to twice perGroup images.
 */
export function selectSamples(q: SampleQuery): SampleGroups {
  const pool = q.available ?? null;
  const candidates: { normal: number[]; anomalous: number[] } = { normal: [], anomalous: [] };
  const consider = (i: number) => {
    if (q.labels[i] !== 0) candidates.anomalous.push(i);
    else candidates.normal.push(i);
  };
  const source: Iterable<number> = q.mode === 'selection' ? (q.selection ?? []) : (pool ?? range(q.scores.length));
  const allowed = pool && q.mode === 'selection' ? new Set(pool) : null;
  for (const i of source) {
    if (allowed && !allowed.has(i)) continue;
    const s = q.scores[i];
    if (q.mode === 'false-positives' && !(q.labels[i] === 0 && s >= q.threshold)) continue;
    if (q.mode === 'false-negatives' && !(q.labels[i] !== 0 && !(s >= q.threshold))) continue;
    consider(i);
  }
  const k = q.perGroup;
  const pick = (list: number[], group: 'normal' | 'anomalous'): number[] => {
    switch (q.mode) {
      case 'random':
      case 'selection':
        return seededPick(list, k, q.seed, `grid-${q.mode}-${group}`);
      case 'highest':
        return list.sort(byScoreDesc(q.scores)).slice(0, k);
      case 'lowest':
        return list.sort(byScoreAsc(q.scores)).slice(0, k);
      case 'false-positives':
        return list.sort(byScoreDesc(q.scores)).slice(0, 2 * k);
      case 'false-negatives':
        return list.sort(byScoreAsc(q.scores)).slice(0, 2 * k);
    }
  };
  const normalMatches = candidates.normal.length;
  const anomalousMatches = candidates.anomalous.length;
  return { normal: pick(candidates.normal, 'normal'), anomalous: pick(candidates.anomalous, 'anomalous'), normalMatches, anomalousMatches };
}

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}

export type ConfusionCell = 'tp' | 'tn' | 'fp' | 'fn';

/** Test indices in one cell of the confusion matrix at a threshold (score >= threshold: anomaly). */
export function indicesInCell(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number, cell: ConfusionCell): number[] {
  const out: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i] >= threshold;
    const anomaly = labels[i] !== 0;
    const c: ConfusionCell = anomaly ? (flagged ? 'tp' : 'fn') : (flagged ? 'fp' : 'tn');
    if (c === cell) out.push(i);
  }
  return out;
}
