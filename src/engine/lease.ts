import type { Queryable } from '../db/index.js';
import type { RunRow } from './types.js';

/**
 * Claims up to `limit` runs that are ready, or whose lease expired (their worker died or stalled).
 * Every claim gets a new lease token; the old holder's token no longer matches, which fences it.
 */
export async function claimRuns(db: Queryable, owner: string, limit: number, leaseMs: number): Promise<RunRow[]> {
  const r = await db.query<RunRow>(
    `WITH next AS (
       SELECT id FROM runs
       WHERE (status = 'queued' AND available_at <= now()) OR (status = 'running' AND lease_expires_at < now())
       ORDER BY available_at
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     )
     UPDATE runs r SET status = 'running', wait_reason = NULL, lease_token = gen_random_uuid(), lease_owner = $2,
       lease_expires_at = now() + $3 * interval '1 millisecond', claims = r.claims + 1,
       started_at = coalesce(r.started_at, now()), updated_at = now()
     FROM next WHERE r.id = next.id
     RETURNING r.*`,
    [limit, owner, leaseMs],
  );
  return r.rows;
}

/** Extends a lease; false means it was lost (another worker holds the run now). */
export async function renewLease(db: Queryable, runId: string, token: string, leaseMs: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE runs SET lease_expires_at = now() + $3 * interval '1 millisecond' WHERE id = $1 AND lease_token = $2`,
    [runId, token, leaseMs],
  );
  return r.rowCount > 0;
}

/**
 * The earliest moment a queued run becomes ready, so an idle worker knows when to look again. Runs
 * held by a pause (available at 'infinity') never become ready by themselves: their resume wakes
 * the workers.
 */
export async function nextReadyAt(db: Queryable): Promise<Date | null> {
  const r = await db.query<{ at: Date | null }>(
    `SELECT least(
       (SELECT min(available_at) FROM runs WHERE status = 'queued' AND available_at < 'infinity'),
       (SELECT min(lease_expires_at) FROM runs WHERE status = 'running')) AS at`,
  );
  return r.rows[0]?.at ?? null;
}
