// What changed between two versions of anything Keel versions (workflow definitions, library
// entries): the fields that differ at readable paths, and for multi-line text (templates, document
// bodies) the changed lines, which is what a reviewer of a change reads. A leaf: data in, data out.

export interface DiffEntry {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  /** Multi-line text: the changed lines with one line of context, each marked ' ', '-' or '+'; gaps '@@'. */
  lines?: string[];
}

export interface DiffOptions {
  /** How a list item is named in a path (`steps[draft]`); its index when absent. */
  itemKey?: (item: unknown, index: number) => string;
}

export function diffValues(before: unknown, after: unknown, options: DiffOptions = {}, path = ''): DiffEntry[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    return [...new Set([...Object.keys(before), ...Object.keys(after)])].sort().flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in before)) return [{ path: p, change: 'added' as const, after: after[k] }];
      if (!(k in after)) return [{ path: p, change: 'removed' as const, before: before[k] }];
      return diffValues(before[k], after[k], options, p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${options.itemKey ? options.itemKey(before[i] ?? after[i], i) : i}]`;
      if (i >= before.length) out.push({ path: p, change: 'added', after: after[i] });
      else if (i >= after.length) out.push({ path: p, change: 'removed', before: before[i] });
      else out.push(...diffValues(before[i], after[i], options, p));
    }
    return out;
  }
  const entry: DiffEntry = { path: path || '(root)', change: 'changed', before, after };
  if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
    entry.lines = lineDiff(before.split('\n'), after.split('\n'));
  }
  return [entry];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A line diff (longest common subsequence) keeping one line of context around each change. */
export function lineDiff(a: string[], b: string[]): string[] {
  // Past this size the quadratic table is not worth it: show the whole texts as removed and added.
  if (a.length * b.length > 4_000_000) return [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)];
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push(` ${a[i]}`);
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push(`-${a[i++]}`);
    } else {
      ops.push(`+${b[j++]}`);
    }
  }
  const changed = (k: number) => ops[k] !== undefined && !ops[k].startsWith(' ');
  const out: string[] = [];
  ops.forEach((op, k) => {
    if (changed(k) || changed(k - 1) || changed(k + 1)) out.push(op);
    else if (out.at(-1) !== '@@' && out.length > 0) out.push('@@');
  });
  if (out.at(-1) === '@@') out.pop();
  return out;
}
