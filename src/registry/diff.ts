// A version diff a person can read: which fields of the definition changed, at which path.
export interface DiffEntry {
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export function diffDefinitions(before: unknown, after: unknown, path = ''): DiffEntry[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => {
      const p = path ? `${path}.${k}` : k;
      if (!(k in before)) return [{ path: p, change: 'added' as const, after: after[k] }];
      if (!(k in after)) return [{ path: p, change: 'removed' as const, before: before[k] }];
      return diffDefinitions(before[k], after[k], p);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const out: DiffEntry[] = [];
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      const p = `${path}[${stepKey(before[i] ?? after[i], i)}]`;
      if (i >= before.length) out.push({ path: p, change: 'added', after: after[i] });
      else if (i >= after.length) out.push({ path: p, change: 'removed', before: before[i] });
      else out.push(...diffDefinitions(before[i], after[i], p));
    }
    return out;
  }
  return [{ path: path || '(root)', change: 'changed', before, after }];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Steps are named by their id in paths (steps[draft].template), other items by index. */
function stepKey(item: unknown, index: number): string {
  return isObject(item) && typeof item.id === 'string' ? item.id : String(index);
}
