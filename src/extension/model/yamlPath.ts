// Which experiment key is under the cursor (for hover). vscode-free.
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';

export interface KeyAtOffset {
  /** Path of the key, e.g. ['training', 'epochs']. */
  path: (string | number)[];
  /** Offsets of the key text. */
  start: number;
  end: number;
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
