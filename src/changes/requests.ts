// Asking for, deciding and withdrawing a change request. Each is one transaction with its audit
// event. Who decides is read from the version production runs (its owner and change_approvers),
// never from the version being asked for, so a change cannot name its own approver.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersion, getVersionById, type VersionRow } from '../registry/index.js';
import { changedAreas } from './governed.js';
import { diffVersions, getChangeRequest, productionVersion, type ChangeRequest } from './queries.js';

function newChangeId(): string {
  return `chg_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

/** People are named by email (or another user name) in workflow files: compared without case or surrounding space. */
function samePerson(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export interface RequestChange {
  workflowId: string;
  /** The version to promote: its number (3, v3) or id. */
  versionRef: string;
  actor: string;
  reason: string;
}

/**
 * Opens a change request for a version against what production runs now, storing the diff shown to
 * the decider. Refused when production runs nothing yet or nothing governed changed (no request is
 * needed then), and when one is already open or approved for the same change.
 */
export async function requestChange(db: Db, input: RequestChange): Promise<ChangeRequest> {
  const reason = input.reason.trim();
  if (reason === '') {
    throw new KeelError('invalid_input', 'A change request needs a reason: what changes and why.', { problems: [{ path: 'reason', message: 'required' }] });
  }
  const id = await db.transaction(async (tx) => {
    // One request at a time per workflow: two people asking at once cannot both open one.
    await tx.query('SELECT 1 FROM workflows WHERE id = $1 FOR UPDATE', [input.workflowId]);
    const to = await getVersion(tx, input.workflowId, input.versionRef);
    const production = await productionVersion(tx, input.workflowId);
    if (!production) {
      throw new KeelError('not_deployed', `Workflow ${input.workflowId} has nothing in production yet, so v${to.number} needs no change request.`, {
        hint: 'Change requests govern changes to a production workflow; its first promotion goes through the promotion gate alone.',
      });
    }
    const changes = await diffVersions(tx, production, to);
    if (changes.length === 0) {
      throw new KeelError('conflict', `v${to.number} of ${input.workflowId} changes no prompt, model setting, grant or approval boundary of production (v${production.number}), so it needs no change request.`, {
        hint: 'Promote it directly; see keel diff WORKFLOW A B for what it does change.',
      });
    }
    await supersedeStale(tx, input.workflowId, to.id, production);
    const existing = await tx.query<{ id: string; status: string }>(
      `SELECT id, status FROM change_requests WHERE workflow_id = $1 AND to_version_id = $2 AND from_version_id = $3 AND status IN ('open', 'approved')`,
      [input.workflowId, to.id, production.id],
    );
    if (existing.rows[0]) {
      throw new KeelError('conflict', `Change request ${existing.rows[0].id} for v${to.number} of ${input.workflowId} is already ${existing.rows[0].status}.`, {
        hint: `See it with keel changes show ${existing.rows[0].id}.`, details: { id: existing.rows[0].id, status: existing.rows[0].status },
      });
    }
    const areas = changedAreas(changes);
    const id = newChangeId();
    await tx.query(
      `INSERT INTO change_requests (id, workflow_id, from_version_id, to_version_id, areas, diff, requested_by, reason)
       VALUES ($1, $2, $3, $4, $5::text[], $6::jsonb, $7, $8)`,
      [id, input.workflowId, production.id, to.id, areas, JSON.stringify(changes), input.actor, reason],
    );
    await recordAudit(tx, {
      actor: input.actor, action: 'change:requested', subjectType: 'change_request', subjectId: id,
      data: { workflow: input.workflowId, from: production.id, to: to.id, areas, changes: changes.length, reason },
    });
    return id;
  });
  return getChangeRequest(db, id);
}

/**
 * An open request whose diff was against a production version that is no longer deployed shows a
 * change that is not the one a promotion would now make: it is withdrawn (by Keel, audited) so the
 * new request replaces it.
 */
async function supersedeStale(tx: Queryable, workflowId: string, toVersionId: string, production: VersionRow): Promise<void> {
  const stale = await tx.query<{ id: string }>(
    `UPDATE change_requests SET status = 'withdrawn', decided_by = 'keel', decided_at = now(),
       decision_note = $4
     WHERE workflow_id = $1 AND to_version_id = $2 AND from_version_id <> $3 AND status = 'open' RETURNING id`,
    [workflowId, toVersionId, production.id, `Production moved to v${production.number}; asked again against it.`],
  );
  for (const row of stale.rows) {
    await recordAudit(tx, {
      actor: 'keel', action: 'change:withdrawn', subjectType: 'change_request', subjectId: row.id,
      data: { workflow: workflowId, reason: 'production moved', production: production.id },
    });
  }
}

export interface DecideChange {
  id: string;
  actor: string;
  decision: 'approve' | 'reject';
  /** Why; required to reject. */
  note?: string;
  /**
   * The actor may decide change requests of every workflow (an admin). It does not lift the rule
   * that nobody decides a change they asked for or wrote.
   */
  admin?: boolean;
}

/**
 * Approves or rejects an open request. Only the owner of the production version, one of its
 * `runbook.change_approvers`, or an admin may decide, and never the person who asked for the
 * change nor the author of the version it promotes. An approval needs production to still run the
 * version the diff was made against.
 */
export async function decideChange(db: Db, input: DecideChange): Promise<ChangeRequest> {
  const note = input.note?.trim() || null;
  if (input.decision === 'reject' && !note) {
    throw new KeelError('invalid_input', 'A rejection needs a note saying why, so the requester knows what to change.', {
      problems: [{ path: 'note', message: 'required to reject' }],
    });
  }
  await db.transaction(async (tx) => {
    const request = await lockOpen(tx, input.id, input.decision);
    const to = await getVersionById(tx, request.to_version_id);
    const from = await getVersionById(tx, request.from_version_id);
    refuseDecider(input, request, to, from);
    if (input.decision === 'approve') {
      const production = await productionVersion(tx, request.workflow_id);
      if (production?.id !== request.from_version_id) {
        throw new KeelError('conflict', `Production of ${request.workflow_id} no longer runs v${from.number}, which this request's diff was made against.`, {
          hint: `Ask again (keel changes request ${request.workflow_id} --version ${to.number} --reason ...) to see the diff against what production runs now.`,
        });
      }
    }
    const status = input.decision === 'approve' ? 'approved' : 'rejected';
    await tx.query(
      `UPDATE change_requests SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4 WHERE id = $1`,
      [request.id, status, input.actor, note],
    );
    await recordAudit(tx, {
      actor: input.actor, action: `change:${status}`, subjectType: 'change_request', subjectId: request.id,
      data: { workflow: request.workflow_id, from: request.from_version_id, to: request.to_version_id, areas: request.areas, note },
    });
  });
  return getChangeRequest(db, input.id);
}

/** Withdraws an open request; only the person who asked for it may. */
export async function withdrawChange(db: Db, input: { id: string; actor: string; note?: string }): Promise<ChangeRequest> {
  await db.transaction(async (tx) => {
    const request = await lockOpen(tx, input.id, 'withdraw');
    if (!samePerson(request.requested_by, input.actor)) {
      throw new KeelError('permission_denied', `Only ${request.requested_by}, who asked for change request ${request.id}, may withdraw it.`, {
        hint: 'Reject it instead, with a note, if you decide change requests of this workflow.',
      });
    }
    const note = input.note?.trim() || null;
    await tx.query(
      `UPDATE change_requests SET status = 'withdrawn', decided_by = $2, decided_at = now(), decision_note = $3 WHERE id = $1`,
      [request.id, input.actor, note],
    );
    await recordAudit(tx, {
      actor: input.actor, action: 'change:withdrawn', subjectType: 'change_request', subjectId: request.id,
      data: { workflow: request.workflow_id, to: request.to_version_id, note },
    });
  });
  return getChangeRequest(db, input.id);
}

const pastTense = { approve: 'approved', reject: 'rejected', withdraw: 'withdrawn' } as const;

async function lockOpen(tx: Queryable, id: string, action: keyof typeof pastTense): Promise<ChangeRequest> {
  await tx.query('SELECT 1 FROM change_requests WHERE id = $1 FOR UPDATE', [id]);
  const request = await getChangeRequest(tx, id);
  if (request.status !== 'open') {
    throw new KeelError('conflict', `Change request ${id} is already ${request.status}${request.decided_by ? ` (by ${request.decided_by})` : ''}; it cannot be ${pastTense[action]}.`);
  }
  return request;
}

/** Throws permission_denied, saying why, unless the actor may decide this request. */
function refuseDecider(input: DecideChange, request: ChangeRequest, to: VersionRow, from: VersionRow): void {
  const actor = input.actor;
  if (samePerson(request.requested_by, actor)) {
    throw new KeelError('permission_denied', `${actor} asked for change request ${request.id}, so someone else must decide it.`, {
      hint: 'The workflow owner or a named change approver decides; nobody approves their own change.',
      details: { rule: 'requester' },
    });
  }
  if (samePerson(to.created_by, actor)) {
    throw new KeelError('permission_denied', `${actor} wrote v${to.number} of ${request.workflow_id}, so someone else must decide its change request.`, {
      hint: 'The workflow owner or a named change approver decides; nobody approves their own change.',
      details: { rule: 'author' },
    });
  }
  const spec = from.definition;
  const approvers = spec.runbook?.change_approvers ?? [];
  if (input.admin || samePerson(spec.owner, actor) || approvers.some((a) => samePerson(a, actor))) return;
  throw new KeelError('permission_denied', `${actor} may not decide change requests of ${request.workflow_id}: that is its owner (${spec.owner})${approvers.length > 0 ? `, ${approvers.join(', ')}` : ''} or an admin.`, {
    hint: 'Approvers are named in the production version\'s runbook.change_approvers.',
    details: { rule: 'decider', owner: spec.owner, change_approvers: approvers },
  });
}
