// Problems in an experiment file: the located form every reader shows, and the internal
// path-plus-anchor form the checks produce before they are located.
import { LineCounter, type Document } from 'yaml';
import type { ResolvedExperiment } from '../experiment.generated';

export const EXPERIMENT_FILE_GLOB = '**/*.aelab.yaml';
/** Problem.file for problems caused by an override; Problem.line is then the override's 1-based index. */
export const OVERRIDE_SOURCE = '--set';

export type Severity = 'error' | 'warning';

export interface Problem {
  /** The experiment file, or `--set` for a problem in an override. */
  file: string;
  /** 1-based. For `--set` problems: which override (1 = the first). */
  line: number;
  /** 1-based. For `--set` problems: the column in the override string. */
  column: number;
  endLine: number;
  /** 1-based, exclusive. */
  endColumn: number;
  message: string;
  /** Dotted path of the setting concerned, e.g. `training.epochs` (`` for the whole file). */
  path: string;
  severity: Severity;
  /** A replacement for the problem's range that fixes it ("did you mean"), when one is clear. */
  fix?: ProblemFix;
}

export interface ProblemFix {
  /** What the fix does, e.g. `Change "optimiser" to "optimizer"`. */
  title: string;
  /** Text replacing the problem's range. */
  replacement: string;
}

export interface ValidationResult {
  /** True when there is no error (warnings allowed). */
  ok: boolean;
  /** The experiment with every default filled in from the schema; set when ok. */
  experiment?: ResolvedExperiment;
  /** Errors and warnings, file problems first, each group in position order. */
  problems: Problem[];
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`;
}


export type Seg = string | number;
/** key: the key itself is wrong; value: the value is wrong; mapping: the mapping at segs lacks something. */
export type Anchor = 'key' | 'value' | 'mapping';

export interface Issue {
  segs: Seg[];
  anchor: Anchor;
  message: string;
  severity: Severity;
  /** Other paths that caused it (the `if` side of if/then rules). */
  related?: Seg[][];
  /** Replacement of the key (anchor key) or value (anchor value) that fixes it. */
  fix?: ProblemFix;
}

export interface Override {
  index: number;
  text: string;
  segs: string[];
  pathStart: number;
  pathEnd: number;
  lastSegStart: number;
  valueStart: number;
  valueEnd: number;
}

export interface Parsed {
  text: string;
  fileName: string;
  doc: Document.Parsed;
  lc: LineCounter;
  problems: Problem[];
}

export function displayPath(segs: readonly Seg[]): string {
  let out = '';
  for (const seg of segs) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function isPrefix(prefix: readonly Seg[], of: readonly Seg[]): boolean {
  return prefix.length <= of.length && prefix.every((s, i) => String(s) === String(of[i]));
}

