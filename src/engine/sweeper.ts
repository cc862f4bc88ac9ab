import type { Db } from '../db/index.js';
import { expireOverdueReviews } from '../review/index.js';
import { wakeRun } from './run-store.js';

/**
 * Every waiting state has a deadline and this sweeper: reviews past due expire and their runs are
 * woken to fail clearly; a run left waiting on a review that is already decided is woken again.
 * (Expired leases need no sweeping: the claim query takes them.)
 */
export async function sweepDeadlines(db: Db): Promise<{ expiredReviews: number; rewoken: number }> {
  const expired = await expireOverdueReviews(db);
  for (const review of expired) await db.transaction((tx) => wakeRun(tx, review.run_id));
  const r = await db.query<{ id: string }>(
    `SELECT r.id FROM runs r JOIN reviews v ON v.run_id = r.id AND v.step_id = r.current_step AND v.retired_at IS NULL
     WHERE r.status = 'waiting' AND r.wait_reason = 'review' AND v.status <> 'pending'`,
  );
  for (const run of r.rows) await db.transaction((tx) => wakeRun(tx, run.id));
  return { expiredReviews: expired.length, rewoken: r.rows.length };
}
