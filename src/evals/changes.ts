// The changes a person makes to a dataset: import a file, add a case by hand, remove a case. Each
// one is a single transaction that writes the cases, makes the next version and records the audit
// event, so a failed import leaves the dataset exactly as it was.
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { checkDataset, checkJson, checkTags, newCaseId } from './cases.js';
import type { DatasetCase } from './dataset-case.js';
import { readDatasetFile, type DatasetFileFormat, type ImportedRow } from './import-file.js';
import { finishVersion, nextVersionNumber, type DatasetVersion } from './versions.js';

/** Rows per INSERT: one statement per chunk keeps each parameter small on both databases. */
const insertChunk = 500;

export interface ImportCases {
  workflowId: string;
  dataset: string;
  format: DatasetFileFormat;
  /** The file's text. */
  content: string;
  /** Tags added to every case. */
  tags?: readonly string[];
  actor: string;
  /** Shown with the version (e.g. the file name). */
  note?: string;
}

export interface ImportedCases {
  version: DatasetVersion;
  imported: number;
}

/** Imports every row of a CSV or JSON Lines file as a new version, or nothing when any row is bad. */
export async function importCases(db: Db, input: ImportCases): Promise<ImportedCases> {
  checkDataset(input.dataset);
  const extra = checkTags(input.tags ?? []);
  const rows = readDatasetFile(input.content, input.format, input.note ?? `the ${input.format === 'csv' ? 'CSV' : 'JSON Lines'} file`, { tags: extra });
  return db.transaction(async (tx) => {
    const number = await nextVersionNumber(tx, input.workflowId, input.dataset);
    // One id prefix and a zero-padded row number: a version's cases read back in the file's order
    // (they share created_at, and ties are broken by id).
    const prefix = newCaseId();
    for (let at = 0; at < rows.length; at += insertChunk) {
      const chunk = rows.slice(at, at + insertChunk).map((row, i) => ({ id: `${prefix}_${String(at + i + 1).padStart(6, '0')}`, row }));
      await insertRows(tx, input.workflowId, input.dataset, number, input.actor, chunk);
    }
    const version = await finishVersion(tx, {
      workflowId: input.workflowId, dataset: input.dataset, number, change: 'import', actor: input.actor, note: input.note,
      audit: {
        action: 'dataset:imported', subjectType: 'dataset', subjectId: `${input.workflowId}/${input.dataset}`,
        data: { format: input.format, imported: rows.length, tags: extra, note: input.note ?? null },
      },
    });
    return { version, imported: rows.length };
  });
}

async function insertRows(
  tx: Queryable, workflowId: string, dataset: string, number: number, actor: string, rows: readonly { id: string; row: ImportedRow }[],
): Promise<void> {
  // The rows travel as one JSON array parameter and are unpacked by the database: one round trip per chunk.
  const payload = rows.map(({ id, row }) => ({ id, input: row.input, expected: row.expected, tags: row.tags, source: row.source }));
  await tx.query(
    `INSERT INTO dataset_cases (id, workflow_id, dataset, input, expected, tags, source, created_by, added_in)
     SELECT e->>'id', $1, $2, e->'input', e->'expected', ARRAY(SELECT jsonb_array_elements_text(e->'tags')), e->>'source', $3, $4
       FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
    [workflowId, dataset, actor, number, JSON.stringify(payload)],
  );
}

export interface AddCase {
  workflowId: string;
  dataset: string;
  /** What the workflow is given: a JSON object. */
  input: unknown;
  /** What it should answer: any JSON value. */
  expected: unknown;
  tags?: readonly string[];
  actor: string;
}

/** Adds one case written by a person (source `hand`) as a new version. */
export async function addCase(db: Db, input: AddCase): Promise<{ case: DatasetCase; version: DatasetVersion }> {
  checkDataset(input.dataset);
  const tags = checkTags(input.tags ?? []);
  if (typeof input.input !== 'object' || input.input === null || Array.isArray(input.input)) {
    throw new KeelError('invalid_input', 'A case\'s input is a JSON object (what the workflow is given).', { problems: [{ path: 'input', message: 'not a JSON object' }] });
  }
  checkJson(input.input, 'input');
  if (input.expected === undefined) throw new KeelError('invalid_input', 'A case needs its expected output.', { problems: [{ path: 'expected', message: 'required' }] });
  checkJson(input.expected, 'expected');
  return db.transaction(async (tx) => {
    const number = await nextVersionNumber(tx, input.workflowId, input.dataset);
    const r = await tx.query<DatasetCase>(
      `INSERT INTO dataset_cases (id, workflow_id, dataset, input, expected, tags, source, created_by, added_in)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6::text[], 'hand', $7, $8) RETURNING *`,
      [newCaseId(), input.workflowId, input.dataset, JSON.stringify(input.input), JSON.stringify(input.expected), tags, input.actor, number],
    );
    const added = r.rows[0]!;
    const version = await finishVersion(tx, {
      workflowId: input.workflowId, dataset: input.dataset, number, change: 'add', actor: input.actor,
      audit: { action: 'dataset:case_added', subjectType: 'dataset_case', subjectId: added.id, data: { source: 'hand', tags } },
    });
    return { case: added, version };
  });
}

/** Removes a case from the latest version by making a new version without it; older versions keep it. */
export async function removeCase(db: Db, input: { workflowId: string; dataset: string; caseId: string; actor: string }): Promise<DatasetVersion> {
  return db.transaction(async (tx) => {
    const number = await nextVersionNumber(tx, input.workflowId, input.dataset);
    const r = await tx.query<{ removed_in: number | null }>(
      'SELECT removed_in FROM dataset_cases WHERE id = $1 AND workflow_id = $2 AND dataset = $3', [input.caseId, input.workflowId, input.dataset],
    );
    const found = r.rows[0];
    if (!found) throw new KeelError('not_found', `Dataset ${input.workflowId}/${input.dataset} has no case ${input.caseId}.`);
    if (found.removed_in !== null) {
      throw new KeelError('conflict', `Case ${input.caseId} was already removed in version ${found.removed_in} of ${input.workflowId}/${input.dataset}.`, {
        hint: 'Versions never change; the case stays in the versions before its removal.',
      });
    }
    await tx.query('UPDATE dataset_cases SET removed_in = $2 WHERE id = $1', [input.caseId, number]);
    return finishVersion(tx, {
      workflowId: input.workflowId, dataset: input.dataset, number, change: 'remove', actor: input.actor,
      audit: { action: 'dataset:case_removed', subjectType: 'dataset_case', subjectId: input.caseId, data: {} },
    });
  });
}
