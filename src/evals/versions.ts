// Dataset versions. Every change to a dataset makes the next version inside the caller's
// transaction, and a version never changes afterwards: an eval run names the version it used and
// can always read the same cases again. Membership is a range on each case (added_in, removed_in),
// so version N holds the cases with added_in <= N and (removed_in IS NULL OR removed_in > N).
import { recordAudit } from '../audit/index.js';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import type { DatasetCase } from './dataset-case.js';

/** What made a version: an import, a case added by hand or from a review, a removal, or the cases there before versions existed. */
export type DatasetChange = 'import' | 'add' | 'review' | 'remove' | 'existing';

export interface DatasetVersion {
  workflow_id: string;
  dataset: string;
  number: number;
  case_count: number;
  /** sha256 of the member case ids in id order; cases never change, so the ids name the content. */
  content_hash: string;
  change: DatasetChange;
  created_by: string;
  created_at: Date;
  note: string | null;
}

/** The class of the advisory locks that order changes to one dataset (two imports at once take turns). */
const datasetLockClass = 7_346_015;

/** The SQL condition for "this case is in version $n" over dataset_cases aliased as c. */
export const memberOf = (n: string) => `c.added_in <= ${n} AND (c.removed_in IS NULL OR c.removed_in > ${n})`;

/**
 * Starts a change: takes the dataset's lock (held until the transaction ends) and answers the number
 * the change will create. Call inside a transaction, write the cases with this number, then call
 * `finishVersion`.
 */
export async function nextVersionNumber(tx: Queryable, workflowId: string, dataset: string): Promise<number> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [datasetLockClass, `${workflowId}\n${dataset}`]);
  const r = await tx.query<{ latest: number | null }>(
    'SELECT max(number) AS latest FROM dataset_versions WHERE workflow_id = $1 AND dataset = $2', [workflowId, dataset],
  );
  return (r.rows[0]?.latest ?? 0) + 1;
}

export interface FinishVersion {
  workflowId: string;
  dataset: string;
  number: number;
  change: DatasetChange;
  actor: string;
  note?: string;
  /** The audit event's action and what it records besides the version (each change says what it did). */
  audit: { action: string; subjectType: string; subjectId: string; data: Record<string, unknown> };
}

/** Counts and hashes the cases of the new version, stores it, and records the change's audit event. */
export async function finishVersion(tx: Queryable, input: FinishVersion): Promise<DatasetVersion> {
  const r = await tx.query<DatasetVersion>(
    `INSERT INTO dataset_versions (workflow_id, dataset, number, case_count, content_hash, change, created_by, note)
     SELECT $1, $2, $3, count(*)::int, encode(sha256(convert_to(coalesce(string_agg(c.id, E'\\n' ORDER BY c.id COLLATE "C"), ''), 'UTF8')), 'hex'), $4, $5, $6
       FROM dataset_cases c WHERE c.workflow_id = $1 AND c.dataset = $2 AND ${memberOf('$3')}
     RETURNING *`,
    [input.workflowId, input.dataset, input.number, input.change, input.actor, input.note ?? null],
  );
  const version = r.rows[0]!;
  await recordAudit(tx, {
    actor: input.actor, action: input.audit.action, subjectType: input.audit.subjectType, subjectId: input.audit.subjectId,
    data: { ...input.audit.data, workflow: input.workflowId, dataset: input.dataset, version: version.number, case_count: version.case_count },
  });
  return version;
}

/** One version of a dataset, or its latest; not_found when the dataset (or that version) does not exist. */
export async function getDatasetVersion(db: Queryable, workflowId: string, dataset: string, version: number | 'latest'): Promise<DatasetVersion> {
  const r = await db.query<DatasetVersion>(
    `SELECT * FROM dataset_versions WHERE workflow_id = $1 AND dataset = $2 AND ($3::int IS NULL OR number = $3)
     ORDER BY number DESC LIMIT 1`,
    [workflowId, dataset, version === 'latest' ? null : version],
  );
  const found = r.rows[0];
  if (!found) {
    throw new KeelError('not_found', version === 'latest'
      ? `Workflow ${workflowId} has no dataset "${dataset}".`
      : `Dataset ${workflowId}/${dataset} has no version ${version}.`, {
      hint: 'keel datasets list WORKFLOW shows its datasets and their latest versions.',
    });
  }
  return found;
}

export interface VersionCasesOptions {
  /** Page through a large version; all its cases when absent. */
  limit?: number;
  offset?: number;
}

export interface VersionCases {
  version: DatasetVersion;
  /** In the order they were added (version, then time, then id): the same order on every read. */
  cases: DatasetCase[];
}

/** The cases of one version of a dataset (or of its latest): what an eval run scores against. */
export async function datasetVersionCases(
  db: Queryable, workflowId: string, dataset: string, version: number | 'latest', options: VersionCasesOptions = {},
): Promise<VersionCases> {
  const found = await getDatasetVersion(db, workflowId, dataset, version);
  const r = await db.query<DatasetCase>(
    `SELECT c.* FROM dataset_cases c WHERE c.workflow_id = $1 AND c.dataset = $2 AND ${memberOf('$3')}
     ORDER BY c.added_in, c.created_at, c.id LIMIT $4 OFFSET $5`,
    [workflowId, dataset, found.number, options.limit ?? null, options.offset ?? 0],
  );
  return { version: found, cases: r.rows };
}

export interface DatasetSummary {
  dataset: string;
  /** The latest version: its number, case count, hash, and when and by whom it was made. */
  latest: DatasetVersion;
  /** How many versions the dataset has had. */
  versions: number;
}

/** A workflow's datasets with their latest versions, by name. */
export async function listDatasets(db: Queryable, workflowId: string): Promise<DatasetSummary[]> {
  const r = await db.query<DatasetVersion>(
    `SELECT DISTINCT ON (dataset) * FROM dataset_versions WHERE workflow_id = $1 ORDER BY dataset, number DESC`, [workflowId],
  );
  return r.rows.map((latest) => ({ dataset: latest.dataset, latest, versions: latest.number }));
}
