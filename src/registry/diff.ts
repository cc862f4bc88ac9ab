// A workflow version diff a person can read: which fields of the definition changed, at which path,
// with steps named by their id (steps[draft].template) rather than their position.
import { diffValues, isObject, type DiffEntry } from '../diff.js';

export type { DiffEntry };

export function diffDefinitions(before: unknown, after: unknown): DiffEntry[] {
  return diffValues(before, after, { itemKey: stepKey });
}

function stepKey(item: unknown, index: number): string {
  return isObject(item) && typeof item.id === 'string' ? item.id : String(index);
}
