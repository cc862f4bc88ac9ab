// Linking: pending events (inserted by writers with seq, prev_hash and hash empty) are given the
// next seq and chained onto the head, oldest id first. Whoever links holds the one head row
// (audit_chain, FOR UPDATE), so the chain stays a single line however many processes link. Writers
// never wait for the head: their events are linked by the next holder, after they commit, which
// keeps their transactions free to commit together (see bench/RESULTS.md, Audit append).
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { chainHash } from './chain.js';

/** Events linked per statement. */
export const linkBatchSize = 1000;

interface Head {
  seq: number;
  head_hash: string;
}

/**
 * Links up to `limit` pending events inside the caller's transaction. With `wait` it waits for the
 * head; without, it links only when the head is free (and the transaction is READ COMMITTED, where
 * locking the head never fails), answering null otherwise. Answers how many events it linked.
 */
export async function linkPending(tx: Queryable, options: { wait: boolean; limit?: number }): Promise<number | null> {
  const head = await tx.query<Head>(options.wait
    ? `SELECT seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE`
    : `SELECT seq, head_hash FROM audit_chain WHERE id = 1 AND current_setting('transaction_isolation') = 'read committed'
       FOR UPDATE SKIP LOCKED`);
  const h = head.rows[0];
  if (!h) {
    if (!options.wait) return null;
    throw new KeelError('internal', 'The audit chain has no head row (audit_chain).', {
      hint: 'The audit log was tampered with outside Keel; run `keel audit verify` and restore from a backup.',
    });
  }
  // Taken after the head: in READ COMMITTED this statement sees every link the previous holder made.
  const pending = await tx.query<{ id: number; body: string }>(
    `SELECT id, body FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT $1`, [options.limit ?? linkBatchSize],
  );
  if (pending.rows.length === 0) return 0;
  let seq = Number(h.seq);
  let prev = h.head_hash;
  let lastPrev = prev;
  const links = pending.rows.map((row) => {
    seq += 1;
    const hash = chainHash(prev, seq, row.body);
    const link = { id: Number(row.id), seq, prev_hash: prev, hash };
    lastPrev = prev;
    prev = hash;
    return link;
  });
  const r = await tx.query<{ linked: number }>(
    `WITH linked AS (
       UPDATE audit_events e SET seq = l.seq, prev_hash = l.prev_hash, hash = l.hash
       FROM jsonb_to_recordset($1::jsonb) AS l (id bigint, seq bigint, prev_hash text, hash text)
       WHERE e.id = l.id AND e.seq IS NULL
       RETURNING e.id
     )
     UPDATE audit_chain SET seq = $2, head_hash = $3, prev_hash = $4, linked_at = clock_timestamp() WHERE id = 1
     RETURNING (SELECT count(*)::int FROM linked) AS linked`,
    [JSON.stringify(links), seq, prev, lastPrev],
  );
  if (r.rows[0]?.linked !== links.length) {
    // Only a head holder links, so this means the table changed under us: refuse rather than fork.
    throw new KeelError('conflict', `Linking audit events failed: ${r.rows[0]?.linked ?? 0} of ${links.length} pending events could be linked.`, {
      hint: 'Try again; if it persists, run `keel audit verify`.',
    });
  }
  return links.length;
}

/**
 * Links every event committed so far, in batches of `linkBatchSize`, each batch in its own
 * transaction (waiting for the head). Readers call it first, so they always see a whole chain.
 * Answers how many events it linked.
 */
export async function linkAuditChain(db: Db): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await db.transaction((tx) => linkPending(tx, { wait: true }))) ?? 0;
    total += n;
    if (n < linkBatchSize) return total;
  }
}
