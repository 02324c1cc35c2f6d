// Writes a manual threshold back into the YAML text, keeping comments and layout.
import { isMap, isScalar, parseDocument, stringify, type Document } from 'yaml';
import { findPair, nodeRange } from './locate';
import { numberText } from './messages';
import { ValidationResult, formatProblem } from './problems';
import { validateExperiment } from './overrides';


export function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Column (0-based) of `offset` in `text`. */
export function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Indent step of the file: the column of the first nested block key (2 if there is none). */
export function indentStep(doc: Document, text: string): number {
  const root = doc.contents;
  if (!isMap(root)) return 2;
  for (const pair of root.items) {
    if (isMap(pair.value) && !pair.value.flow && pair.value.items.length > 0) {
      const child = nodeRange(pair.value.items[0].key);
      if (child) return Math.max(1, columnOf(text, child[0]));
    }
  }
  return 2;
}

/** Text splice: insert `entries` (a plain object) as block YAML at the end of block map `map`. */
export function insertIntoBlockMap(text: string, mapNode: unknown, entries: Record<string, unknown>, step: number): string | undefined {
  if (!isMap(mapNode) || mapNode.flow || mapNode.items.length === 0) return undefined;
  const first = nodeRange(mapNode.items[0].key);
  const range = nodeRange(mapNode);
  if (!first || !range) return undefined;
  const eol = detectEol(text);
  const lineStart = text.lastIndexOf('\n', first[0] - 1) + 1;
  const indent = columnOf(text, first[0]);
  if (text.slice(lineStart, first[0]).trim() !== '') return undefined; // key not at line start (e.g. "- a: 1")
  const block = stringify(entries, { indent: step, lineWidth: 0 }).trimEnd().split('\n').map((l) => ' '.repeat(indent) + l).join(eol) + eol;
  let at = range[1];
  let prefix = '';
  if (at > 0 && text[at - 1] !== '\n') {
    const nl = text.indexOf('\n', at);
    if (nl < 0) {
      at = text.length;
      prefix = eol;
    } else {
      at = nl + 1;
    }
  }
  return text.slice(0, at) + prefix + block + text.slice(at);
}

export function replaceScalar(text: string, node: unknown, replacement: string): string | undefined {
  if (!isScalar(node)) return undefined;
  const r = nodeRange(node);
  if (!r || r[1] <= r[0]) return undefined;
  return text.slice(0, r[0]) + replacement + text.slice(r[1]);
}

/** Minimal edit of the source text, located through the Document; undefined when not simple. */
export function spliceThreshold(text: string, value: number): string | undefined {
  const doc = parseDocument(text);
  const step = indentStep(doc, text);
  const evaluation = findPair(doc.contents, 'evaluation');
  const threshold = evaluation ? findPair(evaluation.value, 'threshold') : undefined;
  const valueText = String(value);
  if (!evaluation) return insertIntoBlockMap(text, doc.contents, { evaluation: { threshold: { strategy: 'manual', value } } }, step);
  if (!threshold) return insertIntoBlockMap(text, evaluation.value, { threshold: { strategy: 'manual', value } }, step);
  const strategy = findPair(threshold.value, 'strategy');
  const current = findPair(threshold.value, 'value');
  // Edit from the end of the text backwards so earlier offsets stay valid.
  const edits: { at: number; apply: (t: string) => string | undefined }[] = [];
  const missing: Record<string, unknown> = {};
  if (strategy) {
    if (!(isScalar(strategy.value) && strategy.value.value === 'manual')) {
      edits.push({ at: nodeRange(strategy.value)?.[0] ?? -1, apply: (t) => replaceScalar(t, strategy.value, 'manual') });
    }
  } else {
    missing.strategy = 'manual';
  }
  if (current) edits.push({ at: nodeRange(current.value)?.[0] ?? -1, apply: (t) => replaceScalar(t, current.value, valueText) });
  else missing.value = value;
  let out: string | undefined = text;
  if (Object.keys(missing).length > 0) out = insertIntoBlockMap(out, threshold.value, missing, step);
  for (const edit of edits.sort((a, b) => b.at - a.at)) {
    if (out === undefined || edit.at < 0) return undefined;
    out = edit.apply(out);
  }
  return out;
}

export function manualThresholdOf(result: ValidationResult): number | undefined {
  const t = result.experiment?.evaluation.threshold;
  return result.ok && t?.strategy === 'manual' ? t.value : undefined;
}

/**
 * The experiment text with `evaluation.threshold.strategy: manual` and `value: <value>`. Comments,
 * key order and formatting elsewhere are kept byte for byte when the edit is a replacement or an
 * insertion into block mappings; other layouts (flow mappings) go through the yaml Document API.
 * Throws on a non-finite value or a text that does not validate.
 */
export function setManualThreshold(text: string, value: number): string {
  if (!Number.isFinite(value)) throw new Error(`the threshold must be a finite number, got ${numberText(value)}`);
  const before = validateExperiment(text, '<experiment>');
  if (!before.ok) {
    throw new Error(`cannot set the threshold: the experiment is invalid:\n${before.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n')}`);
  }
  const spliced = spliceThreshold(text, value);
  if (spliced !== undefined && manualThresholdOf(validateExperiment(spliced, '<experiment>')) === value) return spliced;
  const doc = parseDocument(text);
  doc.setIn(['evaluation', 'threshold', 'strategy'], 'manual');
  doc.setIn(['evaluation', 'threshold', 'value'], doc.createNode(value));
  const rewritten = doc.toString({ lineWidth: 0, flowCollectionPadding: false, indent: indentStep(doc, text) });
  if (manualThresholdOf(validateExperiment(rewritten, '<experiment>')) !== value) {
    throw new Error('cannot set the threshold: the rewritten experiment does not validate');
  }
  return rewritten;
}
