// Walking the spans table by id needs care on PostgreSQL: an id is handed out when a row is
// inserted but the row becomes visible at commit, so a lower id can appear after a higher one. A
// reader that moved its cursor past the gap would skip that row for good. Most gaps are final (an
// insert that hit an existing span, or a rollback, burns its ids too), so a gap is waited for only
// while a transaction that began before the gap was seen is still open, and never longer than
// `settleMs`. On a single-connection database every gap is final: nothing else can be mid-insert.
import type { Db } from '../db/index.js';

export interface GapWatch {
  /** The rows (ordered by id, all after `after`) up to the first gap that may still fill, and how long to wait for it. */
  settled<T extends { id: number }>(rows: T[], after: number): Promise<{ ready: T[]; waitMs?: number }>;
  /** Forgets gaps the cursor has moved past. */
  passed(cursor: number): void;
}

interface Gap {
  /** Local clock, for the upper bound. */
  seenMs: number;
  /** The database's clock just after the read that showed the gap: a transaction holding it began before this. */
  seenAt: Date;
}

export function createGapWatch(db: Db, settleMs: number): GapWatch {
  const gaps = new Map<number, Gap>();

  return {
    async settled(rows, after) {
      if (settleMs <= 0 || db.caps.singleConnection) return { ready: rows };
      const missing: number[] = [];
      let expected = after + 1;
      for (const row of rows) {
        if (row.id !== expected) missing.push(expected);
        expected = row.id + 1;
      }
      if (missing.length === 0) return { ready: rows };
      const { now, oldest } = await openTransactions(db);
      const nowMs = Date.now();
      for (const id of missing) if (!gaps.has(id)) gaps.set(id, { seenMs: nowMs, seenAt: now });
      expected = after + 1;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        if (row.id !== expected) {
          const gap = gaps.get(expected)!;
          const waited = nowMs - gap.seenMs;
          const final = waited >= settleMs || oldest === null || oldest > gap.seenAt;
          if (!final) return { ready: rows.slice(0, i), waitMs: Math.min(settleMs - waited, 250) };
        }
        expected = row.id + 1;
      }
      return { ready: rows };
    },
    passed(cursor) {
      for (const id of gaps.keys()) if (id <= cursor) gaps.delete(id);
    },
  };
}

/**
 * The database's time now and the start of the oldest transaction other sessions have open on this
 * database (client sessions only: autovacuum is not inserting spans). Sessions of other roles show
 * no start time unless Keel's role may read all statistics; only Keel writes spans, so that is enough.
 */
async function openTransactions(db: Db): Promise<{ now: Date; oldest: Date | null }> {
  const r = await db.query<{ now: Date; oldest: Date | null }>(
    `SELECT clock_timestamp() AS now,
            (SELECT min(xact_start) FROM pg_stat_activity
              WHERE datname = current_database() AND backend_type = 'client backend'
                AND pid <> pg_backend_pid() AND xact_start IS NOT NULL) AS oldest`,
  );
  const row = r.rows[0]!;
  return { now: row.now, oldest: row.oldest };
}
