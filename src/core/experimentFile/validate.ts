// Parsing with positions, YAML syntax problems, and the whole check of a (possibly overridden) document.
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type YAMLError } from 'yaml';
import type { ResolvedExperiment } from '../experiment.generated';
import { Span, docStart, fileProblem, keyText, locate, nodeRange } from './locate';
import { semanticIssues } from './semanticChecks';
import { explainSyntaxError, scalarLooksLikeKey } from './yamlSyntax';
import { datasetIssues, type DatasetAccess } from './dataChecks';
import { corruptionLevel } from '../corruptionLevels';
import { describeValue, issueFromAjv, nonFiniteIssues, validator } from './messages';
import { OVERRIDE_SOURCE, Override, Parsed, Problem, Severity, ValidationResult, displayPath, isPrefix } from './problems';


const TOO_DEEP = 'the YAML nests too deeply to read: an experiment file is at most a few levels deep (name, data.files.trainImages, ...)';

/** Past this many, problems are counted, not listed: 20,000 unknown keys need one line, not 3 MB. */
export const MAX_REPORTED_PROBLEMS = 100;

/** The first MAX_REPORTED_PROBLEMS problems, then one (at the last shown) saying how many more there are. */
function capProblems(problems: Problem[], unlisted = 0): Problem[] {
  const hidden = Math.max(0, problems.length - MAX_REPORTED_PROBLEMS) + unlisted;
  if (hidden === 0) return problems;
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS);
  const last = shown[shown.length - 1];
  return [...shown, { ...last, message: `${hidden} more problem${hidden === 1 ? '' : 's'} not shown (fix the ones above first)`, path: '', severity: 'error' }];
}

/** A key may appear once per mapping: one Set per mapping instead of yaml's pairwise comparison. */
function duplicateKeys(parsed: Parsed): Problem[] {
  const problems: Problem[] = [];
  visit(parsed.doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isNode(pair.key) ? keyText(pair.key) : String(pair.key);
        if (!seen.has(key)) {
          seen.add(key);
          continue;
        }
        const span = isNode(pair.key) ? nodeRange(pair.key) : undefined;
        problems.push(fileProblem(parsed, span ?? [0, 0], `duplicate key "${key}": a key may appear only once in a mapping`, '', 'error'));
        if (problems.length > MAX_REPORTED_PROBLEMS) return visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

export function yamlProblem(parsed: Parsed, e: YAMLError, severity: Severity): Problem {
  const [start, end] = e.pos;
  let message: string;
  let span: Span = [start, end];
  switch (e.code) {
    case 'MULTIPLE_DOCS': {
      const lineEnd = parsed.text.indexOf('\n', start);
      span = [start, lineEnd < 0 ? parsed.text.length : lineEnd];
      message = 'an experiment file holds exactly one YAML document, but a second one starts here (remove this "---" and what follows, or merge it into the first)';
      break;
    }
    case 'DUPLICATE_KEY': {
      let key: string | undefined;
      visit(parsed.doc, {
        Pair(_, pair) {
          if (isNode(pair.key) && pair.key.range?.[0] === start) {
            key = keyText(pair.key);
            span = nodeRange(pair.key) ?? span;
            return visit.BREAK;
          }
          return undefined;
        },
      });
      message = key !== undefined ? `duplicate key "${key}": a key may appear only once in a mapping` : `YAML syntax error: ${e.message}`;
      break;
    }
    case 'TAG_RESOLVE_FAILED':
      message = `${e.message}; the value is read as plain text`;
      break;
    default: {
      if (/Maximum call stack/.test(e.message)) {
        message = TOO_DEEP;
        break;
      }
      const explained = explainSyntaxError(parsed.text, e);
      if (explained) span = explained.span;
      message = explained ? `YAML syntax: ${explained.message}` : `YAML syntax error: ${e.message}`;
    }
  }
  return fileProblem(parsed, span, message, '', severity);
}

export function parse(text: string, fileName: string): Parsed {
  const lc = new LineCounter();
  // yaml's own uniqueKeys check compares every pair of keys (20,000 keys: 13 s); duplicateKeys is linear.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const parsed: Parsed = { text, fileName, doc, lc, problems: [] };
  // One mistake often yields several parser errors that explain to the same words: keep one.
  const seen = new Set<string>();
  for (const p of doc.errors.slice(0, MAX_REPORTED_PROBLEMS + 1).map((e) => yamlProblem(parsed, e, 'error'))) {
    const key = `${p.line}|${p.message}`;
    if (!seen.has(key)) parsed.problems.push(p);
    seen.add(key);
  }
  parsed.problems.push(...doc.warnings.slice(0, MAX_REPORTED_PROBLEMS + 1).map((w) => yamlProblem(parsed, w, 'warning')));
  const duplicates = doc.errors.length > 0 ? [] : duplicateKeys(parsed);
  parsed.problems = capProblems([...parsed.problems, ...duplicates]);
  if (doc.errors.length > 0 || duplicates.length > 0) return parsed;
  const contents = doc.contents;
  const isEmpty = contents === null || (isScalar(contents) && contents.value === null);
  if (!isEmpty && !isMap(contents)) {
    const what = isSeq(contents) ? 'a list' : isScalar(contents) ? `a single value (${describeValue(contents.value)})` : 'not a mapping';
    const hint = isScalar(contents) ? scalarLooksLikeKey(contents.value) : undefined;
    parsed.problems.push(fileProblem(parsed, nodeRange(contents) ?? [0, 0], hint ? `YAML syntax: ${hint}` : `an experiment file must be a mapping of keys (name:, data:, model:, training:, ...), but this document is ${what}`, '', 'error'));
    return parsed;
  }
  visit(doc, {
    Alias(_, alias) {
      if (!alias.resolve(doc)) {
        parsed.problems.push(fileProblem(parsed, nodeRange(alias) ?? [0, 0], `unknown alias *${alias.source}: no anchor &${alias.source} is defined before it`, '', 'error'));
      }
    },
  });
  return parsed;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

export function byPosition(a: Problem, b: Problem): number {
  const fa = a.file === OVERRIDE_SOURCE ? 1 : 0;
  const fb = b.file === OVERRIDE_SOURCE ? 1 : 0;
  return fa - fb || a.line - b.line || a.column - b.column;
}

/** Validates the (possibly overridden) document. */
export function check(parsed: Parsed, overrides: readonly Override[], extra: Problem[], dataset?: DatasetAccess): ValidationResult {
  const { doc } = parsed;
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    const problems = [...parsed.problems, ...extra, fileProblem(parsed, [0, 0], 'the file is empty: an experiment needs at least a name (name: my-experiment)', '', 'error')];
    return { ok: false, problems: problems.sort(byPosition) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const why = /Maximum call stack/.test((err as Error).message) ? TOO_DEEP : `cannot read the YAML: ${(err as Error).message}`;
    const problems = [...parsed.problems, ...extra, fileProblem(parsed, docStart(doc), why, '', 'error')];
    return { ok: false, problems: problems.sort(byPosition) };
  }
  const issues = nonFiniteIssues(raw);
  const nonFinite = issues.map((i) => i.segs);
  const data = structuredClone(raw);
  const validate = validator();
  const valid = validate(data);
  const seen = new Set<string>();
  let unlisted = 0;
  for (const e of validate.errors ?? []) {
    // Locating costs a walk of the document each: only as many as are shown.
    if (issues.length > MAX_REPORTED_PROBLEMS) {
      unlisted += 1;
      continue;
    }
    const issue = issueFromAjv(e, data);
    if (!issue) continue;
    if (issue.anchor !== 'key' && nonFinite.some((segs) => isPrefix(segs, issue.segs))) continue;
    const key = `${issue.anchor}|${displayPath(issue.segs)}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  const schemaOk = valid && nonFinite.length === 0;
  if (schemaOk) issues.push(...semanticIssues(data as ResolvedExperiment, raw));
  // The files are read only when everything else is right (a run would get as far as loading them).
  if (schemaOk && dataset && !hasErrors(parsed.problems) && extra.length === 0 && !issues.some((i) => i.severity === 'error')) {
    issues.push(...datasetIssues(data as ResolvedExperiment, dataset));
  }
  const problems = capProblems([...parsed.problems, ...extra, ...issues.map((i) => locate(i, parsed, overrides))].sort(byPosition), unlisted);
  const ok = schemaOk && !hasErrors(problems);
  return ok ? { ok, experiment: withCorruptionLevels(data as ResolvedExperiment), problems } : { ok, problems };
}

/** Fills the per-type default levels (no single schema default fits every type), so config.json shows the level used. */
function withCorruptionLevels(x: ResolvedExperiment): ResolvedExperiment {
  x.corruption.level = corruptionLevel(x.corruption.type, x.corruption.level);
  const c = x.data.trainContamination;
  if (c) c.level = c.level ?? (c.type === undefined || c.type === x.corruption.type ? x.corruption.level : corruptionLevel(c.type, undefined));
  return x;
}


/**
 * Schema problems in the parts of a file that parsed despite syntax errors: key and value
 * problems on lines no syntax error touches (nor the line above one, often its parent key).
 * Missing keys are left out: the key may be in the part that did not parse.
 */
export function schemaProblemsBesideSyntaxErrors(parsed: Parsed): Problem[] {
  const damaged = new Set<number>();
  for (const p of parsed.problems.filter((x) => x.severity === 'error')) {
    for (let line = p.line - 1; line <= p.endLine; line++) damaged.add(line);
  }
  for (const e of parsed.doc.errors) {
    const from = parsed.lc.linePos(e.pos[0]).line;
    const to = parsed.lc.linePos(Math.max(e.pos[0], e.pos[1])).line;
    for (let line = from - 1; line <= to; line++) damaged.add(line);
  }
  let raw: unknown;
  try {
    raw = parsed.doc.toJS({ maxAliasCount: 100 });
  } catch {
    return [];
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const data = structuredClone(raw);
  const validate = validator();
  if (validate(data)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const issue = issueFromAjv(e, data);
    if (!issue || issue.anchor === 'mapping') continue;
    const p = locate(issue, parsed, []);
    let touched = false;
    for (let line = p.line; line <= p.endLine; line++) touched ||= damaged.has(line);
    const key = `${p.line}|${p.message}`;
    if (touched || seen.has(key)) continue;
    seen.add(key);
    problems.push(p);
  }
  return problems;
}
