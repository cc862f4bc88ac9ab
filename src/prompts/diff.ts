// What changed between two versions of a library entry: the fields that differ, and for multi-line
// text (templates, document bodies) the changed lines, which is what a reviewer of a prompt reads.
import type { Queryable } from '../db/index.js';
import { diffValues, type DiffEntry } from '../diff.js';
import { getLibraryVersion } from './store.js';

export type LibraryDiffEntry = DiffEntry;

export interface LibraryDiff {
  name: string;
  from: { id: string; number: number };
  to: { id: string; number: number };
  changes: LibraryDiffEntry[];
}

/** Diffs two versions of an entry, each named by number, id or label. */
export async function diffLibraryVersions(db: Queryable, name: string, fromRef: string, toRef: string): Promise<LibraryDiff> {
  const from = await getLibraryVersion(db, name, fromRef);
  const to = await getLibraryVersion(db, name, toRef);
  return { name, from: { id: from.id, number: from.number }, to: { id: to.id, number: to.number }, changes: diffValues(from.content, to.content) };
}
