import { reviewEventNames } from '../config/index.js';
import type { Queryable } from '../db/index.js';
import { priorities, type ReviewRow } from './types.js';

/** What happened to a review task; each is announced to the notification targets that listen for it (config names them). */
export const reviewEvents = reviewEventNames;
export type ReviewEvent = (typeof reviewEvents)[number];

/** The NOTIFY channel that wakes the delivery loop when messages are queued. */
export const reviewDeliveriesChannel = 'keel_review_deliveries';

/**
 * Queues, in the caller's transaction, the deliveries an event causes: one signed webhook per
 * notification target listening for it (and for the task's role, when the target names roles), and
 * the decision callback of an external task. The delivery loop sends them with retries, so a task
 * is never created, escalated or decided without its message being on its way.
 */
export async function queueReviewEvent(tx: Queryable, review: ReviewRow, event: ReviewEvent): Promise<void> {
  const payload = JSON.stringify({ type: event, timestamp: new Date().toISOString(), data: publicReviewEvent(review) });
  const notified = await tx.query(
    `INSERT INTO review_deliveries (review_id, kind, event, url, payload)
     SELECT $1, 'notification', $2, url, $3::jsonb FROM notification_targets
      WHERE $2 = ANY(events) AND (roles = '{}' OR $4::text = ANY(roles))`,
    [review.id, event, payload, review.assigned_role],
  );
  let queued = notified.rowCount > 0;
  if ((event === 'review:decided' || event === 'review:expired') && review.callback_url) {
    await tx.query(
      `INSERT INTO review_deliveries (review_id, kind, event, url, payload) VALUES ($1, 'callback', $2, $3, $4::jsonb)`,
      [review.id, event, review.callback_url, payload],
    );
    queued = true;
  }
  // Delivered at commit: the delivery loop wakes at once instead of at its next poll. Nothing queued, nothing to wake.
  if (queued) await tx.query(`SELECT pg_notify('${reviewDeliveriesChannel}', '')`);
}

const decisionOf: Partial<Record<ReviewRow['status'], 'approve' | 'edit' | 'reject'>> = { approved: 'approve', edited: 'edit', rejected: 'reject' };

/** What a message about a task carries: enough to act on, never the person's session or a secret. */
function publicReviewEvent(review: ReviewRow): Record<string, unknown> {
  return {
    id: review.id, workflow_id: review.workflow_id, run_id: review.run_id, step_id: review.step_id,
    external_ref: review.external_ref, status: review.status, reason: review.reason, title: review.title,
    priority: priorities[review.priority] ?? 'normal', assigned_role: review.assigned_role, assigned_to: review.assigned_to,
    due_at: review.due_at, deadline_at: review.deadline_at, escalation_level: review.escalation_level,
    decided_by: review.decided_by, decided_at: review.decided_at, comment: review.comment,
    decision: decisionOf[review.status] ?? null,
    output: review.status === 'edited' ? review.decided_output : review.status === 'approved' ? review.proposed : null,
  };
}
