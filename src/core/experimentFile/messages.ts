// Plain-word messages for schema violations (Ajv errors -> issues) and non-finite numbers.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { describeKeys, experimentSchema, schemaAt, type SchemaNode } from '../schema';
import { Anchor, Issue, Seg, displayPath, isPrefix } from './problems';
import { scalarLooksLikeKey } from './yamlSyntax';


let compiled: ValidateFunction | undefined;

export function validator(): ValidateFunction {
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
    ajv.addKeyword('markdownEnumDescriptions'); // the same: what each enum value means
    compiled = ajv.compile(experimentSchema);
  }
  return compiled;
}


export function numberText(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  return String(n);
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  // A long value (binary or UTF-16 garbage read as one scalar) is not echoed whole.
  if (typeof v === 'string') return v.length > 60 ? `${JSON.stringify(v.slice(0, 40))}... (${v.length} characters)` : JSON.stringify(v);
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : 'a list';
  return 'a mapping';
}

export const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false',
  object: 'a mapping', array: 'a list', null: 'empty',
};

export function typeWords(type: string | readonly string[] | undefined): string {
  if (type === undefined) return 'a value';
  const list = typeof type === 'string' ? type.split(',') : [...type];
  return list.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function editDistance(a: string, b: string): number {
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
export function parentsWithKey(key: string, skip: readonly Seg[]): string[] {
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


export function pointerToSegs(pointer: string, data: unknown): Seg[] {
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
export function conditionOf(schemaPath: string, segs: readonly Seg[]): { text: string; paths: Seg[][] } | undefined {
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

export function issueFromAjv(e: ErrorObject, data: unknown): Issue | undefined {
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
      const issue = err(`unknown key "${key}" ${where} (expected one of: ${allowed.join(', ')}${hint})`, 'key', [...segs, key]);
      if (typo) issue.fix = { title: `Change "${key}" to "${typo}"`, replacement: typo };
      return issue;
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const cond = conditionOf(e.schemaPath, segs);
      const issue = err(`${displayPath([...segs, missing])} is required${cond ? ` when ${cond.text}` : ''}`, 'mapping');
      if (cond) issue.related = cond.paths;
      return issue;
    }
    case 'type': {
      // `training:\n  epochs:2` parses as the text "epochs:2": say what to type.
      const looksLikeKey = String(params.type).includes('object') ? scalarLooksLikeKey(value) : undefined;
      return err(`${p} must be ${typeWords(String(params.type))}, got ${describeValue(value)}${looksLikeKey ? `: ${looksLikeKey}` : ''}`);
    }
    case 'enum': {
      const allowed = (schema.enum ?? []).map(String);
      const typo = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      const issue = err(`${p} must be one of ${allowed.join(', ')}, got ${describeValue(value)}${typo ? ` (did you mean "${typo}"?)` : ''}`);
      if (typo) issue.fix = { title: `Change ${describeValue(value)} to "${typo}"`, replacement: typo };
      return issue;
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
export function expectedNumberType(segs: readonly Seg[]): 'integer' | 'number' | undefined {
  const type = schemaAt(segs)?.type;
  const types = type === undefined ? [] : typeof type === 'string' ? [type] : type;
  return types.includes('number') ? 'number' : types.includes('integer') ? 'integer' : undefined;
}

/**
 * Non-finite numbers (YAML .nan, .inf, -.inf) where the schema expects a number: JSON Schema
 * cannot express "finite". Elsewhere the schema's own type error says it.
 */
export function nonFiniteIssues(data: unknown, segs: Seg[] = []): Issue[] {
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
