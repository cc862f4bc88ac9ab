// Grants: one workflow may use one scope of one connector. A builder asks, the connector's owner
// decides, and a grant may expire. Every action call checks for a live grant first (checkGrant), so
// least privilege holds at run time, not only in the workflow file. Every request, decision,
// revocation and refused use is audited.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';

export type GrantStatus = 'requested' | 'approved' | 'rejected' | 'revoked';

export interface GrantRow {
  id: string;
  workflow_id: string;
  connector_id: string;
  scope: string;
  status: GrantStatus;
  reason: string | null;
  requested_by: string;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_note: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  use_count: number;
}

const columns = `id, workflow_id, connector_id, scope, status, reason, requested_by, requested_at, decided_by, decided_at,
  decision_note, expires_at, last_used_at, use_count::int AS use_count`;

const scopePattern = /^[a-z][a-z0-9_-]*:[a-z][a-z0-9_-]*$/;

function newGrantId(): string {
  return `grant_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

export interface GrantRequest {
  workflowId: string;
  connectorId: string;
  scope: string;
  reason?: string;
  actor: string;
}

/**
 * Asks for a grant. Asking again while a request or grant is live answers that one (created: false),
 * so a workflow file deployed twice does not pile up requests.
 */
export async function requestGrant(db: Queryable, input: GrantRequest): Promise<{ grant: GrantRow; created: boolean }> {
  if (!scopePattern.test(input.scope)) {
    throw new KeelError('invalid_input', `The scope "${input.scope}" is not a scope.`, { problems: [{ path: 'scope', message: 'must look like area:verb, e.g. email:send' }] });
  }
  const live = await db.query<GrantRow>(`SELECT ${columns} FROM grants WHERE workflow_id = $1 AND connector_id = $2 AND scope = $3 AND status IN ('requested', 'approved')`,
    [input.workflowId, input.connectorId, input.scope]);
  if (live.rows[0]) return { grant: live.rows[0], created: false };
  const id = newGrantId();
  const { rows } = await db.query<GrantRow>(
    `INSERT INTO grants (id, workflow_id, connector_id, scope, status, reason, requested_by)
     VALUES ($1, $2, $3, $4, 'requested', $5, $6)
     ON CONFLICT (workflow_id, connector_id, scope) WHERE status IN ('requested', 'approved') DO NOTHING
     RETURNING ${columns}`,
    [id, input.workflowId, input.connectorId, input.scope, input.reason ?? null, input.actor]);
  if (!rows[0]) return requestGrant(db, input); // someone else asked in between: answer theirs
  await recordAudit(db, {
    actor: input.actor, action: 'grant:requested', subjectType: 'grant', subjectId: id,
    after: { workflow_id: input.workflowId, connector_id: input.connectorId, scope: input.scope, reason: input.reason ?? null },
  });
  return { grant: rows[0], created: true };
}

export interface GrantDecision {
  grantId: string;
  decision: 'approve' | 'reject';
  actor: string;
  /** Whether the actor owns the connector (or is an admin): decided by the caller, which knows the person. */
  ownsConnector: boolean;
  note?: string;
  expiresAt?: Date;
  now?: Date;
}

export async function decideGrant(db: Queryable, input: GrantDecision): Promise<GrantRow> {
  const grant = await getGrant(db, input.grantId);
  if (!input.ownsConnector) {
    throw new KeelError('permission_denied', `Only the owner of connector ${grant.connector_id} (or an admin) decides its grants.`);
  }
  if (grant.requested_by === input.actor) {
    throw new KeelError('permission_denied', 'Nobody approves or rejects their own grant request.', { hint: 'Ask another owner of the connector, or an admin.' });
  }
  if (input.decision === 'reject' && !input.note?.trim()) {
    throw new KeelError('invalid_input', 'A rejected grant needs a note saying why.', { problems: [{ path: 'note', message: 'required to reject' }] });
  }
  const now = input.now ?? new Date();
  if (input.expiresAt && input.expiresAt <= now) {
    throw new KeelError('invalid_input', 'A grant cannot expire before it starts.', { problems: [{ path: 'expires_at', message: 'must be in the future' }] });
  }
  const status: GrantStatus = input.decision === 'approve' ? 'approved' : 'rejected';
  // Only a pending request is decided, once: a second decision finds nothing to update.
  const { rows } = await db.query<GrantRow>(
    `UPDATE grants SET status = $2, decided_by = $3, decided_at = $4, decision_note = $5, expires_at = $6
      WHERE id = $1 AND status = 'requested' RETURNING ${columns}`,
    [grant.id, status, input.actor, now, input.note ?? null, input.expiresAt ?? null]);
  if (!rows[0]) throw new KeelError('conflict', `Grant ${grant.id} is already ${grant.status}.`);
  await recordAudit(db, {
    actor: input.actor, action: `grant:${status}`, subjectType: 'grant', subjectId: grant.id,
    before: { status: grant.status }, after: { status, expires_at: rows[0].expires_at, note: input.note ?? null },
    data: { workflow_id: grant.workflow_id, connector_id: grant.connector_id, scope: grant.scope },
  });
  return rows[0];
}

export async function revokeGrant(db: Queryable, input: { grantId: string; actor: string; ownsConnector: boolean; note: string }): Promise<GrantRow> {
  const grant = await getGrant(db, input.grantId);
  if (!input.ownsConnector) throw new KeelError('permission_denied', `Only the owner of connector ${grant.connector_id} (or an admin) revokes its grants.`);
  const { rows } = await db.query<GrantRow>(
    `UPDATE grants SET status = 'revoked', decided_by = $2, decided_at = now(), decision_note = $3
      WHERE id = $1 AND status IN ('requested', 'approved') RETURNING ${columns}`, [grant.id, input.actor, input.note]);
  if (!rows[0]) throw new KeelError('conflict', `Grant ${grant.id} is already ${grant.status}.`);
  await recordAudit(db, {
    actor: input.actor, action: 'grant:revoked', subjectType: 'grant', subjectId: grant.id,
    before: { status: grant.status }, after: { status: 'revoked', note: input.note },
    data: { workflow_id: grant.workflow_id, connector_id: grant.connector_id, scope: grant.scope },
  });
  return rows[0];
}

export async function getGrant(db: Queryable, id: string): Promise<GrantRow> {
  const { rows } = await db.query<GrantRow>(`SELECT ${columns} FROM grants WHERE id = $1`, [id]);
  if (!rows[0]) throw new KeelError('not_found', `No grant ${id}.`);
  return rows[0];
}

export async function listGrants(db: Queryable, filter: { workflowId?: string; connectorId?: string; status?: GrantStatus } = {}): Promise<GrantRow[]> {
  const { rows } = await db.query<GrantRow>(
    `SELECT ${columns} FROM grants
      WHERE ($1::text IS NULL OR workflow_id = $1) AND ($2::text IS NULL OR connector_id = $2) AND ($3::text IS NULL OR status = $3)
      ORDER BY connector_id, workflow_id, scope, requested_at`,
    [filter.workflowId ?? null, filter.connectorId ?? null, filter.status ?? null]);
  return rows;
}

export interface GrantUse {
  workflowId: string;
  connectorId: string;
  scope: string;
  /** Who is acting, for the audit trail: the run and step, or (without a run) `actor`, e.g. a trigger. */
  runId?: string;
  stepId?: string;
  actor?: string;
  now?: Date;
}

/**
 * The run-time check in front of every action call: a live (approved, unexpired) grant, or a
 * `permission_denied` error naming what is missing, after an audit event of the refused attempt.
 * A use is counted and dated on the grant, which the access inventory reads.
 */
export async function checkGrant(db: Queryable, use: GrantUse): Promise<GrantRow> {
  const now = use.now ?? new Date();
  const { rows } = await db.query<GrantRow>(
    `UPDATE grants SET last_used_at = $4, use_count = use_count + 1
      WHERE workflow_id = $1 AND connector_id = $2 AND scope = $3 AND status = 'approved' AND (expires_at IS NULL OR expires_at > $4)
      RETURNING ${columns}`,
    [use.workflowId, use.connectorId, use.scope, now]);
  if (rows[0]) return rows[0];
  const why = await refusalReason(db, use, now);
  await recordAudit(db, {
    actor: use.actor ?? `run:${use.runId}`, action: 'grant:denied', subjectType: 'connector', subjectId: use.connectorId,
    data: { workflow_id: use.workflowId, scope: use.scope, run_id: use.runId ?? null, step_id: use.stepId ?? null, why },
  });
  throw new KeelError('permission_denied', `Workflow ${use.workflowId} holds no live grant of ${use.scope} on connector ${use.connectorId} (${why}).`, {
    retriable: false,
    hint: `Ask for it with keel access request ${use.workflowId} ${use.connectorId} ${use.scope}; the connector's owner approves it.`,
    details: { workflow_id: use.workflowId, connector_id: use.connectorId, scope: use.scope, why },
  });
}

async function refusalReason(db: Queryable, use: GrantUse, now: Date): Promise<string> {
  const { rows } = await db.query<{ status: GrantStatus; expires_at: Date | string | null }>(
    `SELECT status, expires_at FROM grants WHERE workflow_id = $1 AND connector_id = $2 AND scope = $3 ORDER BY requested_at DESC LIMIT 1`,
    [use.workflowId, use.connectorId, use.scope]);
  const last = rows[0];
  if (!last) return 'never requested';
  if (last.status === 'approved' && last.expires_at && new Date(last.expires_at) <= now) return `expired ${new Date(last.expires_at).toISOString()}`;
  if (last.status === 'requested') return 'requested, not yet approved';
  return last.status;
}
