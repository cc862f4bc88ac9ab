// Reading change requests, and the diff a target version makes against what production runs now:
// the one question the promotion gate asks (changeStatus).
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getLibraryVersionById } from '../prompts/index.js';
import { getVersionById, getWorkflow, type VersionRow } from '../registry/index.js';
import { changedAreas, governedChanges, type GovernedArea, type GovernedChange } from './governed.js';

export const changeStatuses = ['open', 'approved', 'rejected', 'withdrawn'] as const;
export type ChangeRequestStatus = (typeof changeStatuses)[number];

export interface ChangeRequest {
  id: string;
  workflow_id: string;
  /** What production ran when the change was asked for; the diff is against it. */
  from_version_id: string;
  from_version_number: number;
  to_version_id: string;
  to_version_number: number;
  areas: GovernedArea[];
  diff: GovernedChange[];
  status: ChangeRequestStatus;
  requested_by: string;
  reason: string;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  created_at: Date;
}

const selectRequest = `SELECT c.*, f.number AS from_version_number, t.number AS to_version_number
  FROM change_requests c JOIN workflow_versions f ON f.id = c.from_version_id JOIN workflow_versions t ON t.id = c.to_version_id`;

export async function getChangeRequest(db: Queryable, id: string): Promise<ChangeRequest> {
  const r = await db.query<ChangeRequest>(`${selectRequest} WHERE c.id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No change request ${id}.`, { hint: 'List a workflow\'s change requests with keel changes WORKFLOW.' });
  return r.rows[0];
}

export interface ListChangesOptions {
  status?: ChangeRequestStatus;
  limit?: number;
}

/** A workflow's change requests, newest first. */
export async function listChangeRequests(db: Queryable, workflowId: string, options: ListChangesOptions = {}): Promise<ChangeRequest[]> {
  await getWorkflow(db, workflowId);
  const r = await db.query<ChangeRequest>(
    `${selectRequest} WHERE c.workflow_id = $1 AND ($2::text IS NULL OR c.status = $2) ORDER BY c.created_at DESC, c.id DESC LIMIT $3`,
    [workflowId, options.status ?? null, options.limit ?? 100],
  );
  return r.rows;
}

/** The version production runs now, or null when nothing was ever deployed there. */
export async function productionVersion(db: Queryable, workflowId: string): Promise<VersionRow | null> {
  const workflow = await getWorkflow(db, workflowId);
  const deployment = workflow.deployments.find((d) => d.stage === 'production');
  return deployment ? getVersionById(db, deployment.version_id) : null;
}

/** The governed changes from one version to another, with the content of every library version that changed (so its fields are diffed too). */
export async function diffVersions(db: Queryable, from: VersionRow, to: VersionRow): Promise<GovernedChange[]> {
  const library: Record<string, unknown> = {};
  const before = from.library_versions ?? {};
  const after = to.library_versions ?? {};
  for (const [ref, id] of Object.entries(after)) {
    const old = before[ref];
    if (old === undefined || old === id) continue;
    for (const versionId of [old, id]) library[versionId] = (await getLibraryVersionById(db, versionId)).content;
  }
  return governedChanges(from, to, library);
}

export interface ChangeStatus {
  /** Whether promoting the version to production needs an approved change request. */
  needed: boolean;
  areas: GovernedArea[];
  changes: GovernedChange[];
  /** The version production runs now; null when it has none yet (a first deploy needs no request). */
  production: { id: string; number: number } | null;
  /** The latest request for this version against what production runs now; absent when none was made. */
  request?: ChangeRequest;
}

/**
 * Whether a version may go to production as far as the change process is concerned: it may when
 * `needed` is false or `request.status` is `approved`. `needed` is false when production has no
 * version yet, or when nothing governed differs from what it runs. A request asked for against an
 * earlier production version does not count: its diff is not the one this promotion makes.
 */
export async function changeStatus(db: Queryable, workflowId: string, toVersionId: string): Promise<ChangeStatus> {
  const to = await getVersionById(db, toVersionId);
  if (to.workflow_id !== workflowId) throw new KeelError('not_found', `Workflow ${workflowId} has no version ${toVersionId}.`);
  const production = await productionVersion(db, workflowId);
  if (!production) return { needed: false, areas: [], changes: [], production: null };
  const changes = await diffVersions(db, production, to);
  const r = await db.query<ChangeRequest>(
    `${selectRequest} WHERE c.workflow_id = $1 AND c.to_version_id = $2 AND c.from_version_id = $3 ORDER BY c.created_at DESC, c.id DESC LIMIT 1`,
    [workflowId, to.id, production.id],
  );
  const status: ChangeStatus = {
    needed: changes.length > 0, areas: changedAreas(changes), changes, production: { id: production.id, number: production.number },
  };
  if (r.rows[0]) status.request = r.rows[0];
  return status;
}
