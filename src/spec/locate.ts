// Maps a data path (as zod and the semantic pass report it) back to the YAML node it came from, so a
// person is sent to the exact line and column instead of a JSON path they must count by hand.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type PathSegment = string | number;

export interface SourcePosition {
  line: number;
  col: number;
  /** The node found at the path; null when the position is a key (or nothing past the root exists). */
  node: Node | null;
}

/** The position of the deepest node on `path` that exists: a missing key points at its parent map. */
export function locate(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly PathSegment[],
  opts: { key?: boolean } = {},
): SourcePosition {
  let node: Node | null = resolve(doc, doc.contents);
  let offset = node?.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i += 1) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyStart = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
      const value = resolve(doc, pair.value);
      // Unknown keys point at the key itself; a key with no value (`next:`) has only its key to show.
      if ((last && opts.key) || !value?.range || isEmptyScalar(value)) {
        offset = keyStart ?? offset;
        node = null;
        break;
      }
      node = value;
      offset = value.range[0];
    } else if (isSeq(node) && typeof seg === 'number') {
      const value = resolve(doc, node.items[seg]);
      if (!value?.range) break;
      node = value;
      offset = value.range[0];
    } else {
      break;
    }
  }
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, col: pos.col, node };
}

/** `manual:` with nothing after it: an empty null scalar, best shown at its key. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && !!node.range && node.range[0] === node.range[1];
}

function resolve(doc: Document, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(doc) as Node | undefined) ?? null;
  return (node as Node | null) ?? null;
}

/** `steps[2].kind`: the form people read in error lists. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
