import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { escalate, type WakeRun } from './decide.js';
import { queueReviewEvent } from './events.js';
import type { ReviewRow } from './types.js';

/** How many tasks one pass handles per kind before yielding; the next pass takes the rest. */
const batch = 200;

export interface SlaSweep {
  escalated: number;
  expired: number;
}

/**
 * The SLA's durable timers: every open task past its due time moves to the next role of its chain
 * (notified), and every open task past its hard deadline expires, waking its run to apply the
 * workflow's `on_deadline`. The times are columns, so a restart loses nothing; `now` is a parameter
 * so that tests drive it with a fake clock.
 */
export async function sweepReviewDeadlines(db: Db, wake: WakeRun, now = new Date()): Promise<SlaSweep> {
  let escalated = 0;
  for (const review of await overdue(db, `deadline_at > $1 AND due_at <= $1`, now)) {
    if (await db.transaction((tx) => escalateOverdue(tx, review.id, now))) escalated += 1;
  }
  let expired = 0;
  for (const review of await overdue(db, `deadline_at <= $1`, now)) {
    if (await db.transaction((tx) => expire(tx, review, wake, now))) expired += 1;
  }
  return { escalated, expired };
}

async function overdue(db: Queryable, condition: string, now: Date): Promise<ReviewRow[]> {
  const r = await db.query<ReviewRow>(
    `SELECT * FROM reviews WHERE status IN ('pending', 'escalated') AND ${condition} ORDER BY due_at LIMIT ${batch}`, [now],
  );
  return r.rows;
}

/** Escalates along the task's own chain; at its end the task simply waits for its deadline. */
async function escalateOverdue(tx: Queryable, id: string, now: Date): Promise<boolean> {
  const r = await tx.query<ReviewRow>(`SELECT * FROM reviews WHERE id = $1 AND status IN ('pending', 'escalated') AND due_at <= $2 FOR UPDATE`, [id, now]);
  const review = r.rows[0];
  if (!review) return false;
  if (review.escalation_chain.length === 0) {
    await tx.query(`UPDATE reviews SET due_at = deadline_at WHERE id = $1`, [id]);
    return false;
  }
  const hours = review.sla_seconds ? `${Math.round((review.sla_seconds / 3600) * 10) / 10} h` : 'its SLA';
  await escalate(tx, review, { actor: 'keel:sla', comment: `Not decided within ${hours}; escalated by the SLA.` }, now);
  return true;
}

async function expire(tx: Queryable, review: ReviewRow, wake: WakeRun, now: Date): Promise<boolean> {
  if (review.run_id) await tx.query(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE`, [review.run_id]);
  const r = await tx.query<ReviewRow>(
    `UPDATE reviews SET status = 'expired', decided_at = $2, decided_by = 'keel:sla', claimed_by = NULL, claimed_until = NULL
      WHERE id = $1 AND status IN ('pending', 'escalated') AND deadline_at <= $2 RETURNING *`, [review.id, now],
  );
  const expired = r.rows[0];
  if (!expired) return false;
  await recordAudit(tx, {
    actor: 'keel:sla', action: 'review:expired', subjectType: 'review', subjectId: expired.id,
    data: { run: expired.run_id, deadline: expired.deadline_at, on_deadline: expired.on_deadline, role: expired.assigned_role },
  });
  await queueReviewEvent(tx, expired, 'review:expired');
  if (expired.run_id) await wake(tx, expired.run_id);
  return true;
}
