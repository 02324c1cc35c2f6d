// `--set path=value` overrides applied to the parsed document before it is checked.
import { isAlias, isMap, isSeq, parseDocument, type Document } from 'yaml';
import { findPair, locate, overrideProblem } from './locate';
import { Override, Problem, ValidationResult, displayPath } from './problems';
import { byPosition, check, hasErrors, parse, schemaProblemsBesideSyntaxErrors } from './validate';
import type { DatasetAccess } from './dataChecks';


export const OVERRIDE_HELP = 'expected path=value, e.g. training.epochs=1 or data.normalClasses=[0,1]';

export function parseOverride(text: string, index: number): { override?: Override; value?: unknown; problem?: Problem } {
  const stub: Override = { index, text, segs: [], pathStart: 0, pathEnd: text.length, lastSegStart: 0, valueStart: 0, valueEnd: text.length };
  const fail = (start: number, end: number, message: string) => ({ problem: overrideProblem(stub, start, end, message, '') });
  const eq = text.indexOf('=');
  if (eq < 0) return fail(0, text.length, `malformed override "${text}": no "=" (${OVERRIDE_HELP})`);
  const pathText = text.slice(0, eq);
  if (pathText.trim() === '') return fail(0, eq + 1, `malformed override "${text}": no path before "=" (${OVERRIDE_HELP})`);
  const segs: string[] = [];
  let offset = 0;
  let lastSegStart = 0;
  let pathStart = -1;
  let pathEnd = 0;
  for (const piece of pathText.split('.')) {
    const lead = piece.length - piece.trimStart().length;
    const seg = piece.trim();
    if (seg === '' || /\s/.test(seg)) {
      return fail(offset, offset + Math.max(piece.length, 1), `malformed override "${text}": ${seg === '' ? 'empty key' : `key "${seg}" contains spaces`} in the path (${OVERRIDE_HELP})`);
    }
    if (pathStart < 0) pathStart = offset + lead;
    lastSegStart = offset + lead;
    pathEnd = offset + lead + seg.length;
    segs.push(seg);
    offset += piece.length + 1;
  }
  const valueRaw = text.slice(eq + 1);
  const valueStart = eq + 1 + (valueRaw.length - valueRaw.trimStart().length);
  const valueEnd = eq + 1 + valueRaw.trimEnd().length;
  if (valueStart >= valueEnd) return fail(eq, eq + 1, `malformed override "${text}": no value after "=" (${OVERRIDE_HELP})`);
  const override: Override = { index, text, segs, pathStart, pathEnd, lastSegStart, valueStart, valueEnd };
  const valueDoc = parseDocument(valueRaw, { prettyErrors: false });
  const bad = valueDoc.errors[0];
  if (bad) {
    const s = eq + 1 + bad.pos[0];
    return { problem: overrideProblem(override, Math.min(s, valueEnd - 1), Math.min(Math.max(eq + 1 + bad.pos[1], s + 1), valueEnd), `invalid value in override "${text}": ${bad.message}`, displayPath(segs)) };
  }
  try {
    return { override, value: valueDoc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return { problem: overrideProblem(override, valueStart, valueEnd, `invalid value in override "${text}": ${(err as Error).message}`, displayPath(segs)) };
  }
}

/** The first part of `segs` that exists in the document but is not a collection, if any. */
export function blockingScalar(doc: Document, segs: readonly string[]): number {
  let node: unknown = doc.contents;
  for (let i = 0; i < segs.length - 1; i++) {
    if (isMap(node)) node = findPair(node, segs[i])?.value;
    else if (isSeq(node)) node = node.items[Number(segs[i])];
    else return -1;
    if (node === undefined) return -1;
    if (isAlias(node) || !(isMap(node) || isSeq(node))) return i;
  }
  return -1;
}

/**
 * Validates an experiment file after applying overrides `path=value` (value parsed as YAML, e.g.
 * `training.epochs=1`, `data.normalClasses=[0,1]`). Problems caused by an override are reported
 * with file `--set`, line = the override's 1-based index, column into the override string.
 * With `dataset`, the dataset's files are checked too.
 */
export function applyOverrides(text: string, fileName: string, overrides: readonly string[], dataset?: DatasetAccess): ValidationResult {
  const parsed = parse(text, fileName);
  if (hasErrors(parsed.problems)) return { ok: false, problems: [...parsed.problems, ...schemaProblemsBesideSyntaxErrors(parsed)].sort(byPosition) };
  const applied: Override[] = [];
  const extra: Problem[] = [];
  overrides.forEach((raw, index) => {
    const { override, value, problem } = parseOverride(raw, index);
    if (problem) extra.push(problem);
    if (!override) return;
    const blocked = blockingScalar(parsed.doc, override.segs);
    if (blocked >= 0) {
      const what = displayPath(override.segs.slice(0, blocked + 1));
      extra.push(overrideProblem(override, override.pathStart, override.pathEnd, `cannot set ${displayPath(override.segs)}: ${what} is not a mapping in ${fileName}`, displayPath(override.segs)));
      return;
    }
    try {
      parsed.doc.setIn(override.segs, parsed.doc.createNode(value));
      applied.push(override);
    } catch (err) {
      extra.push(overrideProblem(override, override.pathStart, override.pathEnd, `cannot set ${displayPath(override.segs)}: ${(err as Error).message}`, displayPath(override.segs)));
    }
  });
  return check(parsed, applied, extra, dataset);
}

/**
 * Parses and validates an experiment file; `fileName` is only used in problems. With `dataset`,
 * the dataset's files are checked too (headers, counts, what the limits leave).
 */
export function validateExperiment(text: string, fileName: string, dataset?: DatasetAccess): ValidationResult {
  return applyOverrides(text, fileName, [], dataset);
}

/**
 * Locates a problem found after validation (an engine InputError that names a key) in the
 * experiment file, the same way validation problems are located (overrides included).
 */
export function locateKeyProblem(text: string, fileName: string, overrides: readonly string[], segs: readonly (string | number)[], message: string): Problem {
  const parsed = parse(text, fileName);
  const applied = overrides.map((raw, index) => parseOverride(raw, index).override).filter((o): o is Override => o !== undefined);
  return locate({ segs: [...segs], anchor: 'value', message, severity: 'error' }, parsed, applied);
}
