import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { KeelError } from '../errors.js';
import { claimedByOther } from './claims.js';
import type { ReviewDecision, ReviewRow, ReviewStatus } from './types.js';

export function newReviewId(): string {
  return `rev_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

export interface OpenReview {
  runId: string;
  stepId: string;
  workflowId: string;
  title: string;
  proposed: unknown;
  reason?: string;
  /** Why the step stopped and what it saw (model, prompt version, confidence, alternatives, documents). */
  context?: Record<string, unknown>;
  assignedRole?: string;
  assignedTo?: string;
  dueAt: Date;
}

/**
 * Creates the review task for a run's step unless one exists (a decision may have arrived first,
 * or an earlier worker created it before dying). Returns the row as it stands.
 */
export async function openReview(db: Queryable, review: OpenReview): Promise<ReviewRow> {
  await db.query(
    `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, reason, title, proposed, assigned_role, assigned_to, due_at, context)
     VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7::jsonb, $8, $9, $10, $11::jsonb)
     ON CONFLICT (run_id, step_id) WHERE retired_at IS NULL DO UPDATE SET
       proposed = coalesce(reviews.proposed, EXCLUDED.proposed), title = coalesce(reviews.title, EXCLUDED.title),
       due_at = coalesce(reviews.due_at, EXCLUDED.due_at)`,
    [newReviewId(), review.runId, review.stepId, review.workflowId, review.reason ?? 'manual', review.title,
      JSON.stringify(review.proposed ?? null), review.assignedRole ?? null, review.assignedTo ?? null, review.dueAt,
      review.context === undefined ? null : JSON.stringify(review.context)],
  );
  return (await findReview(db, review.runId, review.stepId))!;
}

export async function findReview(db: Queryable, runId: string, stepId: string): Promise<ReviewRow | undefined> {
  const r = await db.query<ReviewRow>(`SELECT * FROM reviews WHERE run_id = $1 AND step_id = $2 AND retired_at IS NULL`, [runId, stepId]);
  return r.rows[0];
}

/** A decision the run has acted on is retired, so the next visit of the same step opens a new review. */
export async function retireReview(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE reviews SET retired_at = now() WHERE id = $1 AND retired_at IS NULL`, [id]);
}

export async function getReview(db: Queryable, id: string): Promise<ReviewRow> {
  const r = await db.query<ReviewRow>(`SELECT * FROM reviews WHERE id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No review ${id}.`, { hint: 'List reviews with `keel review list`.' });
  return r.rows[0];
}

export async function listReviews(db: Queryable, filter: { status?: ReviewStatus; workflowId?: string; workflowIds?: readonly string[]; runId?: string; limit?: number }): Promise<ReviewRow[]> {
  const r = await db.query<ReviewRow>(
    `SELECT * FROM reviews WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR workflow_id = $2)
       AND ($3::text IS NULL OR run_id = $3) AND ($5::text[] IS NULL OR workflow_id = ANY($5::text[]))
     ORDER BY created_at LIMIT $4`,
    [filter.status ?? null, filter.workflowId ?? null, filter.runId ?? null, Math.min(Math.max(filter.limit ?? 100, 1), 500), filter.workflowIds ?? null],
  );
  return r.rows;
}

export interface DecideInput {
  /** The review's id, or the run and step it belongs to (the review may not exist yet). */
  target: { reviewId: string } | { runId: string; stepId: string; workflowId: string };
  decision: ReviewDecision;
  /** Required for `edit`: the corrected output. */
  output?: unknown;
  comment?: string;
  actor: string;
}

/** Puts the decided run back to work. Injected by the composition root (the engine owns runs). */
export type WakeRun = (tx: Queryable, runId: string) => Promise<unknown>;

const statusFor: Record<ReviewDecision, ReviewStatus> = { approve: 'approved', edit: 'edited', reject: 'rejected' };

/**
 * Records a decision once: a decided or expired review cannot be decided again. The run row is
 * locked first, so a worker that is just suspending the run cannot miss this wake-up.
 */
export async function decideReview(db: Db, input: DecideInput, wake: WakeRun): Promise<ReviewRow> {
  if (input.decision === 'edit' && input.output === undefined) {
    throw new KeelError('invalid_input', 'An edit needs the corrected output.', {
      problems: [{ path: 'output', message: 'required when decision is edit' }],
    });
  }
  return db.transaction(async (tx) => {
    const target = input.target;
    const runId = 'reviewId' in target ? (await getReview(tx, target.reviewId)).run_id : target.runId;
    const run = await tx.query<{ workflow_id: string }>(`SELECT workflow_id FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
    if (!run.rows[0]) throw new KeelError('not_found', `No run ${runId}.`);
    if (!('reviewId' in target) && run.rows[0].workflow_id !== target.workflowId) {
      throw new KeelError('not_found', `Run ${runId} does not belong to workflow ${target.workflowId}.`);
    }
    const existing = 'reviewId' in target
      ? await getReview(tx, target.reviewId)
      : await findReview(tx, target.runId, target.stepId);
    if (existing && existing.status !== 'pending') {
      throw new KeelError('conflict', `Review ${existing.id} is already ${existing.status}.`, {
        hint: 'A review is decided once; its decision is in the run history.',
      });
    }
    if (existing && claimedByOther(existing, input.actor)) {
      throw new KeelError('conflict', `Review ${existing.id} is claimed by ${existing.claimed_by} until ${new Date(existing.claimed_until!).toISOString()}.`, {
        hint: 'The person holding the claim decides it, or it frees itself when the claim expires.',
      });
    }
    const status = statusFor[input.decision];
    const output = input.decision === 'edit' ? JSON.stringify(input.output) : null;
    const r = existing
      ? await tx.query<ReviewRow>(
        `UPDATE reviews SET status = $2, decided_output = $3::jsonb, comment = $4, decided_by = $5, decided_at = now(),
           claimed_by = NULL, claimed_until = NULL
         WHERE id = $1 AND status = 'pending' RETURNING *`, [existing.id, status, output, input.comment ?? null, input.actor])
      : await tx.query<ReviewRow>(
        `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, decided_output, comment, decided_by, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, now()) RETURNING *`,
        [newReviewId(), runId, (target as { stepId: string }).stepId, run.rows[0].workflow_id, status, output, input.comment ?? null, input.actor]);
    const review = r.rows[0];
    // The run lock above already serialises deciders; the condition keeps a second decision from ever overwriting the first.
    if (!review) throw new KeelError('conflict', `Review ${existing!.id} was decided meanwhile.`, { hint: 'Its decision is in the run history.' });
    await recordAudit(tx, {
      actor: input.actor, action: 'review:decided', subjectType: 'review', subjectId: review.id,
      data: { run: runId, step: review.step_id, decision: input.decision },
    });
    await wake(tx, runId);
    return review;
  });
}

/** Marks pending reviews past their due time as expired; returns their runs so they can be woken. */
export async function expireOverdueReviews(db: Queryable, now = new Date()): Promise<{ id: string; run_id: string }[]> {
  const r = await db.query<{ id: string; run_id: string }>(
    `UPDATE reviews SET status = 'expired', decided_at = now(), decided_by = 'keel:sweeper'
     WHERE status = 'pending' AND due_at < $1 RETURNING id, run_id`, [now],
  );
  return r.rows;
}

/** The workflow a review belongs to, or undefined for an unknown review (the permission guard asks this). */
export async function reviewWorkflowId(db: Queryable, reviewId: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>('SELECT workflow_id FROM reviews WHERE id = $1', [reviewId]);
  return r.rows[0]?.workflow_id;
}
