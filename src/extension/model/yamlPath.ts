// Which experiment key (or key's value) is under the cursor (for hover). vscode-free.
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

export interface KeyAtOffset {
  /** Path of the key, e.g. ['training', 'epochs']. */
  path: (string | number)[];
  /** Offsets of the key text (or of the value, when `value` is set). */
  start: number;
  end: number;
  /** Set when the offset is on the key's scalar value rather than on the key. */
  value?: unknown;
}

export function keyAtOffset(text: string, offset: number): KeyAtOffset | undefined {
  let doc;
  try {
    doc = parseDocument(text);
  } catch {
    return undefined;
  }
  const walk = (node: unknown, prefix: (string | number)[]): KeyAtOffset | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as YamlNode | null;
        if (isScalar(key) && key.range) {
          const here = [...prefix, String(key.value)];
          if (offset >= key.range[0] && offset <= key.range[1]) return { path: here, start: key.range[0], end: key.range[1] };
          const v = pair.value as YamlNode | null;
          if (isScalar(v) && v.range && offset >= v.range[0] && offset <= v.range[1]) return { path: here, start: v.range[0], end: v.range[1], value: v.value };
          const inner = walk(pair.value, here);
          if (inner) return inner;
        }
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const inner = walk(node.items[i], [...prefix, i]);
        if (inner) return inner;
      }
    }
    return undefined;
  };
  return walk(doc.contents, []);
}
