// Experiment files (*.aelab.yaml): parse with positions, validate against the schema
// (schemas/experiment.schema.json, which also supplies every default), report problems at the
// YAML node they are about, apply `--set path=value` overrides, and write a manual threshold back
// without disturbing the rest of the file.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import {
  isAlias, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, stringify, visit,
  type Document, type Pair, type YAMLError,
} from 'yaml';
import type { ResolvedExperiment } from './experiment.generated';
import { describeKeys, experimentSchema, schemaAt, type SchemaNode } from './schema';

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

// ---------------------------------------------------------------------------------------------
// Schema validator (compiled once, on first use)

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({
      allErrors: true,
      useDefaults: true, // defaults come from the schema only
      verbose: true, // errors carry data and parentSchema for plain-word messages
      strict: true,
      strictRequired: false, // `then: { required: [...] }` names properties declared beside it
      strictNumbers: true, // NaN / Infinity are not numbers
    });
    ajv.addKeyword('patternErrorMessage'); // editor annotation (VS Code / YAML language server)
    compiled = ajv.compile(experimentSchema);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Internal problem representation: a path plus which part of the YAML it is about.

export type Seg = string | number;
/** key: the key itself is wrong; value: the value is wrong; mapping: the mapping at segs lacks something. */
type Anchor = 'key' | 'value' | 'mapping';

interface Issue {
  segs: Seg[];
  anchor: Anchor;
  message: string;
  severity: Severity;
  /** Other paths that caused it (the `if` side of if/then rules). */
  related?: Seg[][];
}

interface Override {
  index: number;
  text: string;
  segs: string[];
  pathStart: number;
  pathEnd: number;
  lastSegStart: number;
  valueStart: number;
  valueEnd: number;
}

interface Parsed {
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

function isPrefix(prefix: readonly Seg[], of: readonly Seg[]): boolean {
  return prefix.length <= of.length && prefix.every((s, i) => String(s) === String(of[i]));
}

function numberText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  return String(n);
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  return 'a mapping';
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false',
  object: 'a mapping', array: 'a list', null: 'empty',
};

function typeWords(type: string | readonly string[] | undefined): string {
  if (type === undefined) return 'a value';
  const list = typeof type === 'string' ? type.split(',') : [...type];
  return list.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The candidate closest to `word` when it is plausibly a typo of it. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** Mappings elsewhere in the format that do have `key` (e.g. `epochs` -> `training`). */
function parentsWithKey(key: string, skip: readonly Seg[]): string[] {
  const found: string[] = [];
  const walk = (segs: string[]) => {
    for (const k of describeKeys(segs)) {
      const here = [...segs, k.name];
      if (k.name === key && !isPrefix(segs, skip)) found.push(segs.length === 0 ? 'the top level' : displayPath(segs));
      if (k.schema.properties) walk(here);
    }
  };
  walk([]);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Ajv errors -> issues

function pointerToSegs(pointer: string, data: unknown): Seg[] {
  if (pointer === '') return [];
  const segs: Seg[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(token);
      segs.push(i);
      cur = cur[i];
    } else {
      segs.push(token);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[token] : undefined;
    }
  }
  return segs;
}

/** The `if` schema beside the `then` an error came from, as words and paths ("data.dataset is idx"). */
function conditionOf(schemaPath: string, segs: readonly Seg[]): { text: string; paths: Seg[][] } | undefined {
  const parts = schemaPath.replace(/^#\//, '').split('/');
  const thenAt = parts.lastIndexOf('then');
  if (thenAt < 0) return undefined;
  let node: unknown = experimentSchema;
  for (const p of [...parts.slice(0, thenAt), 'if']) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  const ifSchema = node as SchemaNode | undefined;
  if (!ifSchema?.properties) return undefined;
  const words: string[] = [];
  const paths: Seg[][] = [];
  for (const [key, sub] of Object.entries(ifSchema.properties)) {
    const path = [...segs, key];
    if ('const' in sub) words.push(`${displayPath(path)} is ${String(sub.const)}`);
    else if (sub.enum) words.push(`${displayPath(path)} is one of ${sub.enum.map(String).join(', ')}`);
    else continue;
    paths.push(path);
  }
  return words.length > 0 ? { text: words.join(' and '), paths } : undefined;
}

function issueFromAjv(e: ErrorObject, data: unknown): Issue | undefined {
  const segs = pointerToSegs(e.instancePath, data);
  const p = displayPath(segs);
  const schema = (e.parentSchema ?? {}) as SchemaNode;
  const value: unknown = e.data;
  const params = e.params as Record<string, unknown>;
  const err = (message: string, anchor: Anchor = 'value', at: Seg[] = segs): Issue => ({ segs: at, anchor, message, severity: 'error' });
  switch (e.keyword) {
    case 'if':
      return undefined; // "must match "then" schema": the `then` error says it better
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(schema.properties ?? {});
      const where = segs.length === 0 ? 'at the top level' : `in ${p}`;
      const typo = didYouMean(key, allowed);
      let hint = '';
      if (typo) hint = `; did you mean "${typo}"?`;
      else {
        const elsewhere = parentsWithKey(key, segs);
        if (elsewhere.length > 0) hint = `; "${key}" belongs in ${elsewhere.join(' or ')}`;
      }
      return err(`unknown key "${key}" ${where} (expected one of: ${allowed.join(', ')}${hint})`, 'key', [...segs, key]);
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const cond = conditionOf(e.schemaPath, segs);
      const issue = err(`${displayPath([...segs, missing])} is required${cond ? ` when ${cond.text}` : ''}`, 'mapping');
      if (cond) issue.related = cond.paths;
      return issue;
    }
    case 'type':
      return err(`${p} must be ${typeWords(String(params.type))}, got ${describeValue(value)}`);
    case 'enum': {
      const allowed = (schema.enum ?? []).map(String);
      const typo = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      return err(`${p} must be one of ${allowed.join(', ')}, got ${describeValue(value)}${typo ? ` (did you mean "${typo}"?)` : ''}`);
    }
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return err(`${p} must be ${typeWords(schema.type)} ${String(params.comparison)} ${String(params.limit)}, got ${describeValue(value)}`);
    case 'minLength':
      return Number(params.limit) === 1
        ? err(`${p} must not be empty`)
        : err(`${p} must be at least ${plural(Number(params.limit), 'character')} long, got ${describeValue(value)}`);
    case 'maxLength':
      return err(`${p} must be at most ${plural(Number(params.limit), 'character')} long, got ${typeof value === 'string' ? value.length : describeValue(value)}`);
    case 'pattern':
      return err(`${p} ${schema.patternErrorMessage ?? `must match the pattern ${String(params.pattern)}`}, got ${describeValue(value)}`);
    case 'minItems': case 'maxItems': {
      const n = Array.isArray(value) ? value.length : 0;
      const bound = e.keyword === 'minItems' ? 'at least' : 'at most';
      return err(`${p} must have ${bound} ${plural(Number(params.limit), 'item')}, got ${n === 0 ? 'an empty list' : plural(n, 'item')}`);
    }
    case 'uniqueItems': {
      const i = Number(params.i);
      const j = Number(params.j);
      const repeat = Math.max(i, j);
      const item: unknown = Array.isArray(value) ? value[repeat] : undefined;
      return err(`${p} must not repeat values: ${describeValue(item)} appears more than once`, 'value', [...segs, repeat]);
    }
    case 'const':
      return err(`${p} must be ${describeValue(params.allowedValue)}, got ${describeValue(value)}`);
    default:
      return err(`${p || 'the experiment'} ${e.message ?? 'is invalid'}`);
  }
}

/** 'integer' or 'number' when the schema expects one at `segs`. */
function expectedNumberType(segs: readonly Seg[]): 'integer' | 'number' | undefined {
  const type = schemaAt(segs)?.type;
  const types = type === undefined ? [] : typeof type === 'string' ? [type] : type;
  return types.includes('number') ? 'number' : types.includes('integer') ? 'integer' : undefined;
}

/**
 * Non-finite numbers (YAML .nan, .inf, -.inf) where the schema expects a number: JSON Schema
 * cannot express "finite". Elsewhere the schema's own type error says it.
 */
function nonFiniteIssues(data: unknown, segs: Seg[] = []): Issue[] {
  if (typeof data === 'number') {
    const expected = expectedNumberType(segs);
    if (Number.isFinite(data) || !expected) return [];
    const what = expected === 'integer' ? 'an integer' : 'a finite number';
    return [{ segs, anchor: 'value', severity: 'error', message: `${displayPath(segs)} must be ${what}, got ${numberText(data)}` }];
  }
  if (Array.isArray(data)) return data.flatMap((v, i) => nonFiniteIssues(v, [...segs, i]));
  if (data !== null && typeof data === 'object') return Object.entries(data).flatMap(([k, v]) => nonFiniteIssues(v, [...segs, k]));
  return [];
}

function has(raw: unknown, segs: readonly string[]): boolean {
  let cur: unknown = raw;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, s)) return false;
    cur = (cur as Record<string, unknown>)[s];
  }
  return true;
}

/** Checks the schema cannot express, on a schema-valid experiment. `raw` is the file as written. */
function semanticIssues(x: ResolvedExperiment, raw: unknown): Issue[] {
  const issues: Issue[] = [];
  const warn = (segs: Seg[], anchor: Anchor, message: string) => issues.push({ segs, anchor, message, severity: 'warning' });
  const classes = x.data.normalClasses;
  const allClasses = classes !== undefined && new Set(classes).size >= 10;
  if (allClasses) {
    warn(['data', 'normalClasses'], 'value', 'data.normalClasses lists all 10 digits, so no test image is anomalous by its class; only corrupted images count as anomalies');
  }
  if (x.corruption.fraction === 0 && (classes === undefined || allClasses)) {
    issues.push({
      segs: ['corruption', 'fraction'], anchor: 'value', severity: 'error',
      message: 'the test set would contain no anomalies: corruption.fraction is 0 and data.normalClasses does not leave any digit out (set a fraction > 0, or normalClasses for the one-class setting)',
    });
  }
  if (has(raw, ['data', 'files']) && x.data.dataset !== 'idx') {
    warn(['data', 'files'], 'key', `data.files is only used when data.dataset is idx (dataset is ${x.data.dataset})`);
  }
  if (has(raw, ['model', 'latentSize']) && x.model.architecture === 'cnn') {
    warn(['model', 'latentSize'], 'key', 'model.latentSize is only used by the fcn architectures; for cnn set model.bottleneck');
  }
  if (has(raw, ['model', 'bottleneck']) && x.model.architecture !== 'cnn') {
    warn(['model', 'bottleneck'], 'key', `model.bottleneck is only used by architecture cnn (architecture is ${x.model.architecture}); fcn models use model.latentSize`);
  }
  if (has(raw, ['training', 'momentum']) && x.training.optimizer !== 'sgd') {
    warn(['training', 'momentum'], 'key', `training.momentum is only used by optimizer sgd (optimizer is ${x.training.optimizer})`);
  }
  if (has(raw, ['training', 'ssimWeight']) && x.training.loss !== 'mse+ssim') {
    warn(['training', 'ssimWeight'], 'key', `training.ssimWeight is only used by loss mse+ssim (loss is ${x.training.loss})`);
  }
  const early = x.training.earlyStopping;
  if (early && early.patience >= x.training.epochs) {
    warn(['training', 'earlyStopping'], 'key', `training.earlyStopping can never stop early: patience (${early.patience}) is not less than training.epochs (${x.training.epochs})`);
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Positions

type Span = [number, number];

function nodeRange(node: unknown): Span | undefined {
  if (!isNode(node) || !node.range) return undefined;
  return [node.range[0], node.range[1]];
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function findPair(map: unknown, seg: Seg): Pair | undefined {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => keyText(p.key) === String(seg));
}

/** Start of the document's content: its first key, or the first character. */
function docStart(doc: Document): Span {
  const contents = doc.contents;
  if (isMap(contents) && contents.items.length > 0) {
    const r = nodeRange(contents.items[0].key);
    if (r) return r;
  }
  const r = nodeRange(contents);
  return r ? [r[0], r[0]] : [0, 0];
}

/** Where an issue is in the YAML document, or undefined when that part came from an override. */
function locateInDoc(doc: Document, segs: readonly Seg[], anchor: Anchor): Span | undefined {
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

function lastOf<T>(list: T[]): T | undefined {
  return list.length > 0 ? list[list.length - 1] : undefined;
}

function overrideProblem(o: Override, start: number, end: number, message: string, path: string, severity: Severity = 'error'): Problem {
  return { file: OVERRIDE_SOURCE, line: o.index + 1, column: start + 1, endLine: o.index + 1, endColumn: Math.max(end, start + 1) + 1, message, path, severity };
}

function fileProblem(parsed: Parsed, span: Span, message: string, path: string, severity: Severity): Problem {
  const s = parsed.lc.linePos(span[0]);
  const e = parsed.lc.linePos(Math.max(span[0], span[1]));
  return {
    file: parsed.fileName, line: Math.max(1, s.line), column: Math.max(1, s.col),
    endLine: Math.max(1, e.line), endColumn: Math.max(1, e.col), message, path, severity,
  };
}

function locate(issue: Issue, parsed: Parsed, overrides: readonly Override[]): Problem {
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
  if (span) return fileProblem(parsed, span, issue.message, path, issue.severity);
  // 4. A mapping an override created.
  const below = lastOf(overrides.filter((o) => isPrefix(issue.segs, o.segs)));
  if (below) return overrideProblem(below, below.pathStart, below.pathEnd, issue.message, path, issue.severity);
  return fileProblem(parsed, docStart(parsed.doc), issue.message, path, issue.severity);
}

// ---------------------------------------------------------------------------------------------
// Parsing

function yamlProblem(parsed: Parsed, e: YAMLError, severity: Severity): Problem {
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
    default:
      message = `YAML syntax error: ${e.message}`;
  }
  return fileProblem(parsed, span, message, '', severity);
}

function parse(text: string, fileName: string): Parsed {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const parsed: Parsed = { text, fileName, doc, lc, problems: [] };
  parsed.problems.push(...doc.errors.map((e) => yamlProblem(parsed, e, 'error')));
  parsed.problems.push(...doc.warnings.map((w) => yamlProblem(parsed, w, 'warning')));
  if (doc.errors.length > 0) return parsed;
  const contents = doc.contents;
  const isEmpty = contents === null || (isScalar(contents) && contents.value === null);
  if (!isEmpty && !isMap(contents)) {
    const what = isSeq(contents) ? 'a list' : isScalar(contents) ? `a single value (${describeValue(contents.value)})` : 'not a mapping';
    parsed.problems.push(fileProblem(parsed, nodeRange(contents) ?? [0, 0], `an experiment file must be a mapping of keys (name:, data:, model:, training:, ...), but this document is ${what}`, '', 'error'));
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

function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function byPosition(a: Problem, b: Problem): number {
  const fa = a.file === OVERRIDE_SOURCE ? 1 : 0;
  const fb = b.file === OVERRIDE_SOURCE ? 1 : 0;
  return fa - fb || a.line - b.line || a.column - b.column;
}

/** Validates the (possibly overridden) document. */
function check(parsed: Parsed, overrides: readonly Override[], extra: Problem[]): ValidationResult {
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
    const problems = [...parsed.problems, ...extra, fileProblem(parsed, docStart(doc), `cannot read the YAML: ${(err as Error).message}`, '', 'error')];
    return { ok: false, problems: problems.sort(byPosition) };
  }
  const issues = nonFiniteIssues(raw);
  const nonFinite = issues.map((i) => i.segs);
  const data = structuredClone(raw);
  const validate = validator();
  const valid = validate(data);
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
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
  const problems = [...parsed.problems, ...extra, ...issues.map((i) => locate(i, parsed, overrides))].sort(byPosition);
  const ok = schemaOk && !hasErrors(problems);
  return ok ? { ok, experiment: data as ResolvedExperiment, problems } : { ok, problems };
}

/** Parses and validates an experiment file; `fileName` is only used in problems. */
export function validateExperiment(text: string, fileName: string): ValidationResult {
  return applyOverrides(text, fileName, []);
}

// ---------------------------------------------------------------------------------------------
// Overrides

const OVERRIDE_HELP = 'expected path=value, e.g. training.epochs=1 or data.normalClasses=[0,1]';

function parseOverride(text: string, index: number): { override?: Override; value?: unknown; problem?: Problem } {
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
function blockingScalar(doc: Document, segs: readonly string[]): number {
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
 */
export function applyOverrides(text: string, fileName: string, overrides: readonly string[]): ValidationResult {
  const parsed = parse(text, fileName);
  if (hasErrors(parsed.problems)) return { ok: false, problems: parsed.problems.sort(byPosition) };
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
  return check(parsed, applied, extra);
}

// ---------------------------------------------------------------------------------------------
// Threshold write-back

function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Column (0-based) of `offset` in `text`. */
function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Indent step of the file: the column of the first nested block key (2 if there is none). */
function indentStep(doc: Document, text: string): number {
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
function insertIntoBlockMap(text: string, mapNode: unknown, entries: Record<string, unknown>, step: number): string | undefined {
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

function replaceScalar(text: string, node: unknown, replacement: string): string | undefined {
  if (!isScalar(node)) return undefined;
  const r = nodeRange(node);
  if (!r || r[1] <= r[0]) return undefined;
  return text.slice(0, r[0]) + replacement + text.slice(r[1]);
}

/** Minimal edit of the source text, located through the Document; undefined when not simple. */
function spliceThreshold(text: string, value: number): string | undefined {
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

function manualThresholdOf(result: ValidationResult): number | undefined {
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
