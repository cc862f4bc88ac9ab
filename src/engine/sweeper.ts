import type { Db } from '../db/index.js';
import { sweepReviewDeadlines } from '../review/index.js';
import { wakeRun } from './run-store.js';

/**
 * Every waiting state has a deadline and this sweeper: review tasks past their SLA escalate, those
 * past their hard deadline expire and their runs are woken to apply the workflow's default; a run
 * left waiting on a task that is already decided (a review, a reconciliation) is woken again. (Expired leases need no sweeping:
 * the claim query takes them.) `now` is a parameter so tests can drive it with a fake clock.
 */
export async function sweepDeadlines(db: Db, now = new Date()): Promise<{ escalatedReviews: number; expiredReviews: number; rewoken: number }> {
  const sla = await sweepReviewDeadlines(db, wakeRun, now);
  const r = await db.query<{ id: string }>(
    `SELECT r.id FROM runs r JOIN reviews v ON v.run_id = r.id AND v.retired_at IS NULL
       AND (v.step_id = r.current_step OR (v.step_id = 'approval' AND NOT r.state ? 'approval'))
     WHERE r.status IN ('waiting', 'outcome_unknown') AND r.wait_reason IN ('review', 'outcome_unknown')
       AND v.status NOT IN ('pending', 'escalated')`,
  );
  for (const run of r.rows) await db.transaction((tx) => wakeRun(tx, run.id));
  return { escalatedReviews: sla.escalated, expiredReviews: sla.expired, rewoken: r.rows.length };
}
