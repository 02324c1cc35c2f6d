// Where an issue is: a span in the YAML text, or the `--set` override that caused it.
import { isMap, isNode, isScalar, isSeq, type Document, type Pair } from 'yaml';
import { Anchor, Issue, OVERRIDE_SOURCE, Override, Parsed, Problem, Seg, Severity, displayPath, isPrefix } from './problems';


export type Span = [number, number];

export function nodeRange(node: unknown): Span | undefined {
  if (!isNode(node) || !node.range) return undefined;
  return [node.range[0], node.range[1]];
}

export function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

export function findPair(map: unknown, seg: Seg): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => keyText(p.key) === String(seg));
}

/** Start of the document's content: its first key, or the first character. */
export function docStart(doc: Document): Span {
  const contents = doc.contents;
  if (isMap(contents) && contents.items.length > 0) {
    const r = nodeRange(contents.items[0].key);
    if (r) return r;
  }
  const r = nodeRange(contents);
  return r ? [r[0], r[0]] : [0, 0];
}

/** Where an issue is in the YAML document, or undefined when that part came from an override. */
export function locateInDoc(doc: Document, segs: readonly Seg[], anchor: Anchor): Span | undefined {
  if (segs.length === 0) return docStart(doc);
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  for (const seg of segs) {
    if (isMap(node)) {
      pair = findPair(node, seg);
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node)) {
      pair = undefined;
      node = node.items[Number(seg)];
      if (node === undefined) return undefined;
    } else {
      return undefined;
    }
  }
  const keyRange = pair ? nodeRange(pair.key) : undefined;
  if (anchor === 'value') {
    const r = nodeRange(node);
    if (r && r[1] > r[0]) return r;
    return keyRange ?? r;
  }
  return keyRange ?? nodeRange(node);
}

export function lastOf<T>(list: T[]): T | undefined {
  return list.length > 0 ? list[list.length - 1] : undefined;
}

export function overrideProblem(o: Override, start: number, end: number, message: string, path: string, severity: Severity = 'error'): Problem {
  return { file: OVERRIDE_SOURCE, line: o.index + 1, column: start + 1, endLine: o.index + 1, endColumn: Math.max(end, start + 1) + 1, message, path, severity };
}

export function fileProblem(parsed: Parsed, span: Span, message: string, path: string, severity: Severity): Problem {
  const s = parsed.lc.linePos(span[0]);
  const e = parsed.lc.linePos(Math.max(span[0], span[1]));
  return {
    file: parsed.fileName, line: Math.max(1, s.line), column: Math.max(1, s.col),
    endLine: Math.max(1, e.line), endColumn: Math.max(1, e.col), message, path, severity,
  };
}

export function locate(issue: Issue, parsed: Parsed, overrides: readonly Override[]): Problem {
  const path = displayPath(issue.segs);
  // 1. An override set this path or one of its ancestors (the latest such one wrote it).
  const direct = lastOf(overrides.filter((o) => isPrefix(o.segs, issue.segs)));
  if (direct) {
    const onKey = issue.anchor === 'key' && direct.segs.length === issue.segs.length;
    return overrideProblem(direct, onKey ? direct.lastSegStart : direct.valueStart, onKey ? direct.pathEnd : direct.valueEnd, issue.message, path, issue.severity);
  }
  // 2. An override set the condition of an if/then rule.
  for (const r of issue.related ?? []) {
    const cause = lastOf(overrides.filter((o) => isPrefix(o.segs, r)));
    if (cause) return overrideProblem(cause, cause.valueStart, cause.valueEnd, issue.message, path, issue.severity);
  }
  // 3. The file.
  const span = locateInDoc(parsed.doc, issue.segs, issue.anchor);
  if (span) {
    const problem = fileProblem(parsed, span, issue.message, path, issue.severity);
    // The fix replaces exactly the located key or value, so it applies only where that is what the span covers.
    if (issue.fix && issue.anchor !== 'mapping') problem.fix = issue.fix;
    return problem;
  }
  // 4. A mapping an override created.
  const below = lastOf(overrides.filter((o) => isPrefix(issue.segs, o.segs)));
  if (below) return overrideProblem(below, below.pathStart, below.pathEnd, issue.message, path, issue.severity);
  return fileProblem(parsed, docStart(parsed.doc), issue.message, path, issue.severity);
}

