import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { KeelError } from '../errors.js';
import { queueReviewEvent } from './events.js';
import { priorityNumber, taskClock, type ReviewPolicy } from './policy.js';
import type { ReviewReason, ReviewRow, TaskState } from './types.js';

export function newReviewId(): string {
  return `rev_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

export interface OpenReview {
  runId: string;
  stepId: string;
  workflowId: string;
  versionId?: string;
  stage?: string;
  title: string;
  proposed: unknown;
  reason?: ReviewReason;
  /** What a person needs to decide: input, documents, model and prompt version, confidence, alternatives, the actions approval runs. */
  context?: Record<string, unknown>;
  assignedRole?: string;
  assignedTo?: string;
  /** Who asked (the person who started the run): they may not approve it themselves. */
  requestedBy?: string | null;
  policy: ReviewPolicy;
  /** The approval boundary escalated the output: the task opens escalated, at the escalation role. */
  escalated?: boolean;
  /** The JSON Schema an edit must match. */
  outputSchema?: Record<string, unknown>;
  now?: Date;
}

/**
 * Creates the review task for a run's step unless one exists (a decision may have arrived first,
 * or an earlier worker created it before dying). Returns the row as it stands. A new task is
 * announced (notifications) in the same transaction.
 */
export async function openReview(db: Db, review: OpenReview): Promise<ReviewRow> {
  return db.transaction((tx) => insertReview(tx, review));
}

async function insertReview(db: Queryable, review: OpenReview): Promise<ReviewRow> {
  const now = review.now ?? new Date();
  const clock = taskClock(review.policy, now);
  const r = await db.query<ReviewRow & { inserted: boolean }>(
    `INSERT INTO reviews (id, run_id, step_id, workflow_id, status, reason, title, proposed, assigned_role, assigned_to, due_at, context,
        version_id, stage, requested_by, priority, escalation_chain, escalated_at, sla_seconds, deadline_at, on_deadline, quorum, output_schema, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17::text[], $18, $19, $20, $21, $22, $23::jsonb, $24)
     ON CONFLICT (run_id, step_id) WHERE retired_at IS NULL DO UPDATE SET
       proposed = coalesce(reviews.proposed, EXCLUDED.proposed), title = coalesce(reviews.title, EXCLUDED.title),
       due_at = coalesce(reviews.due_at, EXCLUDED.due_at), context = coalesce(reviews.context, EXCLUDED.context),
       reason = CASE WHEN reviews.context IS NULL THEN EXCLUDED.reason ELSE reviews.reason END,
       version_id = coalesce(reviews.version_id, EXCLUDED.version_id), stage = coalesce(reviews.stage, EXCLUDED.stage),
       output_schema = coalesce(reviews.output_schema, EXCLUDED.output_schema)
     RETURNING *, (xmax = 0) AS inserted`,
    [newReviewId(), review.runId, review.stepId, review.workflowId, review.escalated ? 'escalated' : 'pending', review.reason ?? 'manual',
      review.title, JSON.stringify(review.proposed ?? null), review.assignedRole ?? null, review.assignedTo ?? null, clock.dueAt,
      review.context === undefined ? null : JSON.stringify(review.context), review.versionId ?? null, review.stage ?? null,
      review.requestedBy ?? null, priorityNumber(review.policy, review.escalated ?? false), review.policy.escalateTo,
      review.escalated ? now : null, clock.slaSeconds, clock.deadlineAt, review.policy.onDeadline, review.policy.quorum,
      review.outputSchema === undefined ? null : JSON.stringify(review.outputSchema), now],
  );
  const { inserted, ...row } = r.rows[0]!;
  if (inserted) {
    await recordAudit(db, {
      actor: 'keel', action: 'review:created', subjectType: 'review', subjectId: row.id,
      data: { run: row.run_id, step: row.step_id, reason: row.reason, role: row.assigned_role, status: row.status },
    });
    await queueReviewEvent(db, row, row.status === 'escalated' ? 'review:escalated' : 'review:created');
  }
  return row;
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

export interface ReviewFilter {
  /** A stored status, or `claimed` (open with a live claim) or `open` (pending or escalated). */
  state?: TaskState | 'open';
  workflowId?: string;
  workflowIds?: readonly string[];
  runId?: string;
  /** Only tasks for these roles or assigned to `person` by name. */
  roles?: readonly string[];
  person?: string;
  /** `urgent`: most urgent first (priority, then soonest due); `oldest`: creation order. */
  order?: 'urgent' | 'oldest';
  limit?: number;
}

const stateCondition: Record<NonNullable<ReviewFilter['state']>, string> = {
  open: `status IN ('pending', 'escalated')`,
  claimed: `status IN ('pending', 'escalated') AND claimed_until > now()`,
  pending: `status = 'pending' AND (claimed_until IS NULL OR claimed_until <= now())`,
  escalated: `status = 'escalated' AND (claimed_until IS NULL OR claimed_until <= now())`,
  approved: `status = 'approved'`, edited: `status = 'edited'`, rejected: `status = 'rejected'`, expired: `status = 'expired'`,
};

export async function listReviews(db: Queryable, filter: ReviewFilter): Promise<ReviewRow[]> {
  const where = filter.state ? stateCondition[filter.state] : 'true';
  const order = filter.order === 'urgent' ? 'priority DESC, due_at, id' : 'created_at, id';
  const r = await db.query<ReviewRow>(
    `SELECT * FROM reviews WHERE ${where} AND ($1::text IS NULL OR workflow_id = $1)
       AND ($2::text IS NULL OR run_id = $2) AND ($4::text[] IS NULL OR workflow_id = ANY($4::text[]))
       AND ($5::text[] IS NULL OR assigned_role = ANY($5::text[]) OR assigned_to = $6)
     ORDER BY ${order} LIMIT $3`,
    [filter.workflowId ?? null, filter.runId ?? null, Math.min(Math.max(filter.limit ?? 100, 1), 500), filter.workflowIds ?? null,
      filter.roles ?? null, filter.person ?? null],
  );
  return r.rows;
}

/** The workflow a review belongs to, or undefined for an unknown review (the permission guard asks this). */
export async function reviewWorkflowId(db: Queryable, reviewId: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>('SELECT workflow_id FROM reviews WHERE id = $1', [reviewId]);
  return r.rows[0]?.workflow_id;
}
