import type { Db } from '../db/index.js';
import { coerceError } from '../errors.js';
import { decideReview, type WakeRun } from './decide.js';

export interface BulkApproveInput {
  ids: readonly string[];
  actor: string;
  comment?: string;
  /** The roles the actor works tasks for on a workflow (see Access.reviewRolesOn). */
  rolesOn(workflowId: string): 'all' | readonly string[];
  /** Whether the actor may decide the workflow's reviews at all; a task elsewhere answers as unknown. */
  mayDecide(workflowId: string): boolean;
}

export interface BulkResult {
  id: string;
  ok: boolean;
  status?: string;
  error?: { code: string; message: string };
}

/** At most this many tasks per request: each is its own transaction and audit event. */
export const bulkLimit = 200;

/**
 * Approves many low-risk tasks in one request. Each task is decided on its own (its own
 * transaction, conflict check and audit event), so one refusal does not undo the others, and only
 * tasks of `low` risk workflows that are not escalated qualify.
 */
export async function bulkApprove(db: Db, input: BulkApproveInput, wake: WakeRun): Promise<BulkResult[]> {
  const found = await db.query<{ id: string; workflow_id: string; risk: string; status: string }>(
    `SELECT r.id, r.workflow_id, w.risk, r.status FROM reviews r JOIN workflows w ON w.id = r.workflow_id WHERE r.id = ANY($1::text[])`, [input.ids],
  );
  const byId = new Map(found.rows.map((r) => [r.id, r]));
  const results: BulkResult[] = [];
  for (const id of input.ids) {
    const task = byId.get(id);
    if (!task || !input.mayDecide(task.workflow_id)) {
      results.push({ id, ok: false, error: { code: 'not_found', message: `No review ${id}.` } });
    } else if (task.risk !== 'low' || task.status === 'escalated') {
      const why = task.risk !== 'low' ? `its workflow ${task.workflow_id} is ${task.risk} risk` : 'it was escalated';
      results.push({ id, ok: false, error: { code: 'conflict', message: `Review ${id} cannot be approved in bulk: ${why}. Decide it on its own.` } });
    } else {
      try {
        const { review } = await decideReview(db, {
          target: { reviewId: id }, decision: 'approve', comment: input.comment, actor: input.actor, actorRoles: input.rolesOn(task.workflow_id),
        }, wake);
        results.push({ id, ok: true, status: review.status });
      } catch (error) {
        const e = coerceError(error);
        results.push({ id, ok: false, error: { code: e.code, message: e.message } });
      }
    }
  }
  return results;
}
