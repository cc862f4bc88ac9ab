// Storing library entries the way the registry stores workflows: a file is parsed whole, its
// content hashed, and a new numbered version stored only when that content is new; labels point at
// versions and move, each move audited with where it came from, in the same transaction.
import { createImmutableCache, type Db, type Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { KeelError } from '../errors.js';
import { libraryContentHash, parseLibraryFile, type LibraryParseOptions } from './load.js';
import { defaultLabel, parseLibraryRef } from './refs.js';
import { labelSchema, type LibraryEntry, type LibraryKind } from './schema.js';
import type { LibraryEntryView, LibraryLabelRow, LibraryVersionRow, LibraryVersionSummary } from './types.js';

export interface LibraryDeployInput {
  source: string;
  /** File name shown in error positions (file:line:col); `.md` means Markdown with front matter. */
  sourceName: string;
  /** A label to point at the deployed version (startup passes `production`). */
  label?: string;
  actor: string;
  models?: LibraryParseOptions['models'];
}

export interface LibraryDeployResult {
  entry: { name: string; kind: LibraryKind };
  version: LibraryVersionRow;
  /** False when this exact content was already stored: no new version. */
  versionCreated: boolean;
  /** The label moved, when one was asked for; false when it already pointed at this version. */
  labelChanged: boolean;
}

const summaryColumns = 'id, name, kind, number, content_hash, source_name, created_by, created_at';
const labelColumns = 'l.name, l.label, l.version_id, v.number AS version_number, l.moved_by, l.moved_at';

/**
 * Validates a library file and, only if it has no problem at all, stores its version (once per
 * content) and moves the label, in one transaction with their audit events.
 */
export async function deployLibraryEntry(db: Db, input: LibraryDeployInput): Promise<LibraryDeployResult> {
  const entry = parseLibraryFile(input.source, input.sourceName, { models: input.models });
  if (input.label !== undefined) checkLabel(input.label);
  const hash = libraryContentHash(entry);
  return db.transaction(async (tx) => {
    await lockEntry(tx, entry);
    const { version, created } = await storeVersion(tx, entry, hash, input);
    const labelChanged = input.label === undefined ? false : await pointLabel(tx, entry.name, input.label, version, input.actor);
    return { entry: { name: entry.name, kind: entry.kind }, version, versionCreated: created, labelChanged };
  });
}

/** Creates the entry on first sight and locks it, so concurrent deploys number versions in turn. */
async function lockEntry(tx: Queryable, entry: LibraryEntry): Promise<void> {
  await tx.query(`INSERT INTO library_entries (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [entry.name, entry.kind]);
  const r = await tx.query<{ kind: LibraryKind }>(`SELECT kind FROM library_entries WHERE name = $1 FOR UPDATE`, [entry.name]);
  const kind = r.rows[0]?.kind;
  if (kind !== entry.kind) {
    throw new KeelError('conflict', `${entry.name} is a ${kind} in the library; this file declares a ${entry.kind}.`, {
      hint: 'An entry keeps its kind; give the new one another name.',
    });
  }
}

async function storeVersion(tx: Queryable, entry: LibraryEntry, hash: string, input: LibraryDeployInput) {
  const found = await tx.query<LibraryVersionRow>(`SELECT * FROM library_versions WHERE name = $1 AND content_hash = $2`, [entry.name, hash]);
  if (found.rows[0]) return { version: found.rows[0], created: false };
  const r = await tx.query<LibraryVersionRow>(
    `INSERT INTO library_versions (id, name, kind, number, content_hash, content, source, source_name, created_by)
     SELECT $1, $2, $3, coalesce(max(number), 0) + 1, $4, $5::jsonb, $6, $7, $8 FROM library_versions WHERE name = $2
     RETURNING *`,
    [`${entry.name}:${hash.slice(0, 12)}`, entry.name, entry.kind, hash, JSON.stringify(entry), input.source, input.sourceName, input.actor],
  );
  const version = r.rows[0]!;
  if (entry.kind === 'document') {
    await tx.query(
      `INSERT INTO library_documents (version_id, title, doc_type, tags, body) VALUES ($1, $2, $3, $4::text[], $5)`,
      [version.id, entry.title, entry.type, entry.tags ?? [], entry.body],
    );
  }
  await tx.query(`UPDATE library_entries SET latest_version_id = $2, updated_at = now() WHERE name = $1`, [entry.name, version.id]);
  await recordAudit(tx, {
    actor: input.actor, action: 'prompt:versioned', subjectType: 'library_entry', subjectId: entry.name,
    data: { kind: entry.kind, version: version.id, number: version.number, hash },
  });
  return { version, created: true };
}

function checkLabel(label: string): void {
  const r = labelSchema.safeParse(label);
  if (!r.success) throw new KeelError('invalid_input', `"${label}" is not a label: ${r.error.issues[0]?.message ?? 'invalid'}.`, { hint: 'labels look like production, staging or canary-eu' });
}

/** Points a label at a version; false when it already pointed there (nothing written). */
async function pointLabel(tx: Queryable, name: string, label: string, version: Pick<LibraryVersionRow, 'id' | 'number'>, actor: string): Promise<boolean> {
  const current = await tx.query<{ version_id: string; number: number }>(
    `SELECT l.version_id, v.number FROM library_labels l JOIN library_versions v ON v.id = l.version_id
     WHERE l.name = $1 AND l.label = $2 FOR UPDATE OF l`, [name, label],
  );
  const previous = current.rows[0];
  if (previous?.version_id === version.id) return false;
  await tx.query(
    `INSERT INTO library_labels (name, label, version_id, moved_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name, label) DO UPDATE SET version_id = EXCLUDED.version_id, moved_by = EXCLUDED.moved_by, moved_at = now()`,
    [name, label, version.id, actor],
  );
  await recordAudit(tx, {
    actor, action: 'prompt:labelled', subjectType: 'library_entry', subjectId: name,
    before: previous ? { label, version: previous.version_id, number: previous.number } : undefined,
    after: { label, version: version.id, number: version.number },
    data: { label, from: previous?.number ?? null, to: version.number, from_version: previous?.version_id ?? null, to_version: version.id },
  });
  return true;
}

/**
 * Moves a label to a version of the same entry, named by number (`3`, `v3`), by id, or by another
 * label (`staging`: point production where staging is).
 */
export async function moveLibraryLabel(db: Db, input: { name: string; label: string; version: string | number; actor: string }): Promise<LibraryLabelRow & { changed: boolean }> {
  checkLabel(input.label);
  const changed = await db.transaction(async (tx) => {
    await tx.query(`SELECT 1 FROM library_entries WHERE name = $1 FOR UPDATE`, [input.name]);
    const version = await getLibraryVersion(tx, input.name, String(input.version));
    return pointLabel(tx, input.name, input.label, version, input.actor);
  });
  const r = await db.query<LibraryLabelRow>(
    `SELECT ${labelColumns} FROM library_labels l JOIN library_versions v ON v.id = l.version_id WHERE l.name = $1 AND l.label = $2`,
    [input.name, input.label],
  );
  return { ...r.rows[0]!, changed };
}

/**
 * One version with its source: by `name` and a ref (a number `3` or `v3`, a version id, or a label;
 * default production), or by its id alone (`support/reply:ab12cd34ef56`, what a workflow version pins).
 */
export async function getLibraryVersion(db: Queryable, nameOrId: string, ref?: string): Promise<LibraryVersionRow> {
  if (ref === undefined && nameOrId.includes(':')) return getLibraryVersionById(db, nameOrId);
  const name = nameOrId;
  const wanted = ref ?? defaultLabel;
  const byId = await db.query<LibraryVersionRow>(`SELECT * FROM library_versions WHERE name = $1 AND id = $2`, [name, wanted]);
  if (byId.rows[0]) return byId.rows[0];
  const parsed = parseLibraryRef(`${name}@${wanted}`);
  const r = parsed.number !== undefined
    ? await db.query<LibraryVersionRow>(`SELECT * FROM library_versions WHERE name = $1 AND number = $2`, [name, parsed.number])
    : await db.query<LibraryVersionRow>(
      `SELECT v.* FROM library_labels l JOIN library_versions v ON v.id = l.version_id WHERE l.name = $1 AND l.label = $2`, [name, parsed.label],
    );
  if (r.rows[0]) return r.rows[0];
  const exists = await db.query(`SELECT 1 FROM library_entries WHERE name = $1`, [name]);
  if (exists.rows.length === 0) {
    throw new KeelError('not_found', `No library entry is named ${name}.`, { hint: 'List the library with `keel prompts list` or GET /api/prompts.' });
  }
  throw new KeelError('not_found', parsed.number !== undefined ? `${name} has no version ${parsed.number}.` : `${name} has no label "${parsed.label}".`, {
    hint: `See its versions and labels with \`keel prompts list\`.`,
  });
}

// Versions never change once stored, so one read through a database handle is kept for it: every
// model step of every run reads the prompt version its workflow version pinned.
const cachedVersion = createImmutableCache<LibraryVersionRow>(500);

/** A version by its id alone. */
export function getLibraryVersionById(db: Queryable, id: string): Promise<LibraryVersionRow> {
  return cachedVersion(db, id, async () => {
    const r = await db.query<LibraryVersionRow>(`SELECT * FROM library_versions WHERE id = $1`, [id]);
    if (!r.rows[0]) throw new KeelError('not_found', `No library version ${id}.`, { hint: 'List the library with `keel prompts list` or GET /api/prompts.' });
    return r.rows[0];
  });
}

/** Every entry (or every entry of one kind) with its versions, newest first, and labels. */
export async function listLibrary(db: Queryable, opts: { kind?: LibraryKind } = {}): Promise<LibraryEntryView[]> {
  const entries = await db.query<Omit<LibraryEntryView, 'versions' | 'labels'>>(
    `SELECT e.name, e.kind, e.latest_version_id, e.created_at, e.updated_at,
            coalesce(v.content->>'description', v.content->>'title', '') AS summary,
            v.content->>'type' AS type
     FROM library_entries e LEFT JOIN library_versions v ON v.id = e.latest_version_id
     WHERE $1::text IS NULL OR e.kind = $1 ORDER BY e.name`,
    [opts.kind ?? null],
  );
  const versions = await db.query<LibraryVersionSummary>(`SELECT ${summaryColumns} FROM library_versions ORDER BY name, number DESC`);
  const labels = await db.query<LibraryLabelRow>(
    `SELECT ${labelColumns} FROM library_labels l JOIN library_versions v ON v.id = l.version_id ORDER BY l.name, l.label`,
  );
  const byName = <T extends { name: string }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const row of rows) map.set(row.name, [...(map.get(row.name) ?? []), row]);
    return map;
  };
  const v = byName(versions.rows);
  const l = byName(labels.rows);
  return entries.rows.map((e) => ({ ...e, type: e.kind === 'document' ? e.type : null, versions: v.get(e.name) ?? [], labels: l.get(e.name) ?? [] }));
}
