// The experiment schema (schemas/experiment.schema.json, the one definition of *.aelab.yaml) as
// an object, plus helpers that read it for hover and completion. Nothing here repeats the schema.
import schemaJson from '../../schemas/experiment.schema.json';

/** The subset of JSON Schema draft-07 that the experiment schema uses. */
export interface SchemaNode {
  $schema?: string;
  $id?: string;
  $ref?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  enum?: readonly unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Readonly<Record<string, SchemaNode>>;
  required?: readonly string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  /** VS Code / YAML-language-server extension: the message shown when `pattern` fails. */
  patternErrorMessage?: string;
  /** VS Code / YAML-language-server extension: one Markdown description per `enum` value, in order. */
  markdownEnumDescriptions?: readonly string[];
  allOf?: readonly SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  else?: SchemaNode;
  definitions?: Readonly<Record<string, SchemaNode>>;
}

/** The experiment schema, exactly as in schemas/experiment.schema.json (do not mutate). */
export const experimentSchema: SchemaNode = schemaJson as SchemaNode;

/** One key of a mapping in the experiment format. */
export interface KeyDescription {
  name: string;
  description?: string;
  /** JSON Schema type(s), after following $ref; undefined for enum-only keys. */
  type?: string | string[];
  enum?: readonly unknown[];
  default?: unknown;
  required: boolean;
  /** The key's own schema (with $ref followed), for deeper lookups. */
  schema: SchemaNode;
}

export type SchemaPath = string | readonly (string | number)[];

function toSegments(path: SchemaPath): (string | number)[] {
  if (typeof path !== 'string') return [...path];
  return path === '' ? [] : path.split('.');
}

/** Follows a local `#/definitions/...` $ref, merging the referring node's own keywords over it. */
export function resolveRef(node: SchemaNode, root: SchemaNode = experimentSchema): SchemaNode {
  const ref = node.$ref;
  if (ref === undefined || !ref.startsWith('#/definitions/')) return node;
  const target = root.definitions?.[ref.slice('#/definitions/'.length)];
  if (!target) return node;
  const { $ref: _ref, ...own } = node;
  return { ...resolveRef(target, root), ...own };
}

/**
 * The schema at a path such as `training.earlyStopping` or `['data', 'normalClasses', 0]`
 * ('' or [] is the root), with $ref followed; undefined when the path is not in the format.
 */
export function schemaAt(path: SchemaPath): SchemaNode | undefined {
  let node: SchemaNode | undefined = experimentSchema;
  for (const seg of toSegments(path)) {
    if (!node) return undefined;
    node = resolveRef(node);
    const key = String(seg);
    if (node.properties && Object.prototype.hasOwnProperty.call(node.properties, key)) {
      node = node.properties[key];
    } else if (node.items && /^\d+$/.test(key)) {
      node = node.items;
    } else {
      return undefined;
    }
  }
  return node ? resolveRef(node) : undefined;
}

/**
 * The keys allowed in the mapping at `path` ('' for the top level), in schema order, with their
 * descriptions, types, allowed values and defaults. Empty when the path is not a mapping.
 */
export function describeKeys(path: SchemaPath): KeyDescription[] {
  const node = schemaAt(path);
  if (!node?.properties) return [];
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties).map(([name, raw]) => {
    const schema = resolveRef(raw);
    const key: KeyDescription = { name, required: required.has(name), schema };
    if (schema.description !== undefined) key.description = schema.description;
    if (schema.type !== undefined) key.type = schema.type;
    if (schema.enum !== undefined) key.enum = schema.enum;
    if ('default' in schema) key.default = schema.default;
    return key;
  });
}

/** What one allowed value of an enum key means (markdownEnumDescriptions), e.g. `fpr` of evaluation.threshold.strategy. */
export function enumValueDescription(path: SchemaPath, value: unknown): string | undefined {
  const node = schemaAt(path);
  const i = node?.enum?.indexOf(value) ?? -1;
  return i >= 0 ? node?.markdownEnumDescriptions?.[i] : undefined;
}
