// Hover and completion content for experiment files, read from the schema (core/schema.ts).
// vscode-free.
import { describeKeys, enumValueDescription, schemaAt, type KeyDescription, type SchemaNode } from '../../core/schema';

function typeText(s: SchemaNode): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  const t = Array.isArray(s.type) ? s.type.join(' | ') : s.type ?? 'value';
  const bounds: string[] = [];
  if (s.minimum !== undefined) bounds.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) bounds.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  return bounds.length ? `${t} (${bounds.join(', ')})` : t;
}

/** What the file around the key says, where a key's meaning depends on it. */
export interface HoverContext {
  /** The corruption type a `level` key applies to. */
  corruptionType?: string;
}

/** Keys whose meaning depends on a corruption type. */
const LEVEL_KEYS = new Set(['corruption.level', 'data.trainContamination.level']);
const isLevel = (path: readonly (string | number)[]) => LEVEL_KEYS.has(path.map(String).join('.'));

/** The corruption type a `level` at `path` applies to, from the file's data (defaults from the schema). */
export function corruptionTypeFor(path: readonly (string | number)[], data: unknown): string | undefined {
  if (!isLevel(path)) return undefined;
  const get = (...segs: string[]) => segs.reduce<unknown>((cur, seg) => (cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined), data);
  const own = path[0] === 'data' ? get('data', 'trainContamination', 'type') : undefined;
  const type = own ?? get('corruption', 'type') ?? schemaAt(['corruption', 'type'])?.default;
  return typeof type === 'string' ? type : undefined;
}

/** Markdown for the key at `path`, or undefined when the path is not part of the format. */
export function hoverMarkdown(path: readonly (string | number)[], context: HoverContext = {}): string | undefined {
  const s = schemaAt(path);
  if (!s) return undefined;
  const dotted = path.map(String).join('.');
  const lines = [`**${dotted}**: ${typeText(s)}`];
  if (s.description) lines.push('', s.description);
  if (s.enum && s.markdownEnumDescriptions) {
    lines.push('', ...s.enum.map((v, i) => `- \`${String(v)}\`: ${s.markdownEnumDescriptions?.[i] ?? ''}`));
  }
  const levelText = context.corruptionType && isLevel(path) ? enumValueDescription(['corruption', 'type'], context.corruptionType) : undefined;
  if (levelText) lines.push('', `Here the type is \`${context.corruptionType}\`: ${levelText}`);
  if ('default' in s && s.default !== undefined && !(typeof s.default === 'object' && s.default !== null && Object.keys(s.default).length === 0)) {
    lines.push('', `Default: \`${JSON.stringify(s.default)}\``);
  }
  return lines.join('\n');
}

/**
 * The mapping path that a key typed on `line` (0-based) at indentation `indent` would belong to,
 * from the block structure above it (`key:` lines with less indentation). Block YAML only.
 */
export function parentPathAt(lines: readonly string[], line: number, indent: number): string[] {
  const path: string[] = [];
  let limit = indent;
  for (let i = line - 1; i >= 0 && limit > 0; i--) {
    const text = lines[i];
    if (!text.trim() || text.trimStart().startsWith('#')) continue;
    const own = text.length - text.trimStart().length;
    if (own >= limit) continue;
    const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(#.*)?$/.exec(text);
    if (!m) return []; // a list item or a flow collection: give up rather than guess
    path.unshift(m[1]);
    limit = own;
  }
  return path;
}

export interface KeyCompletion {
  key: KeyDescription;
  /** Text to insert: `key: ` or `key:\n  ` for mappings. */
  insertText: string;
  documentation: string;
}

/** Keys allowed at the cursor that the mapping does not have yet. */
export function keyCompletions(text: string, line: number, character: number): KeyCompletion[] {
  const lines = text.split(/\r?\n/);
  const current = lines[line] ?? '';
  const before = current.slice(0, character);
  if (!/^\s*[A-Za-z0-9_-]*$/.test(before)) return [];
  const indent = before.length - before.trimStart().length;
  const parent = parentPathAt(lines, line, indent);
  // Keys already present at this level (same indentation, same block).
  const present = new Set<string>();
  for (const dir of [-1, 1]) {
    for (let i = line + dir; i >= 0 && i < lines.length; i += dir) {
      const t = lines[i];
      if (!t.trim() || t.trimStart().startsWith('#')) continue;
      const own = t.length - t.trimStart().length;
      if (own < indent) break;
      if (own > indent) continue;
      const m = /^\s*([A-Za-z0-9_-]+)\s*:/.exec(t);
      if (m) present.add(m[1]);
    }
  }
  return describeKeys(parent).filter((k) => !present.has(k.name)).map((k) => ({
    key: k,
    insertText: k.schema.properties ? `${k.name}:\n${' '.repeat(indent + 2)}` : `${k.name}: `,
    documentation: hoverMarkdown([...parent, k.name]) ?? '',
  }));
}

/** Markdown for an enum value under the cursor: what it does. */
export function valueHoverMarkdown(path: readonly (string | number)[], value: unknown): string | undefined {
  const text = enumValueDescription(path, value);
  return text ? `**${path.map(String).join('.')}: ${String(value)}**\n\n${text}` : undefined;
}

export interface ValueCompletion {
  value: string;
  /** Markdown: what the value does (enum values described in the schema). */
  documentation?: string;
}

/** Allowed values for `key: |` when the key's schema is an enum or boolean, each with what it means. */
export function valueCompletions(text: string, line: number, character: number): ValueCompletion[] {
  const lines = text.split(/\r?\n/);
  const before = (lines[line] ?? '').slice(0, character);
  const m = /^(\s*)([A-Za-z0-9_-]+)\s*:\s*[A-Za-z0-9_+-]*$/.exec(before);
  if (!m) return [];
  const parent = parentPathAt(lines, line, m[1].length);
  const s = schemaAt([...parent, m[2]]);
  if (!s) return [];
  if (s.enum) return s.enum.map((v, i) => ({ value: String(v), documentation: s.markdownEnumDescriptions?.[i] }));
  if (s.type === 'boolean') return [{ value: 'true' }, { value: 'false' }];
  return [];
}
