// Verification: walk the chain in seq order, a page at a time, recomputing every link, and name the
// first event where it breaks. Checks, in order, per event: its seq follows the previous one (a gap
// is a deleted event, a repeat a duplicated one), its prev_hash is the previous event's hash
// (inserted or reordered events), its hash is sha256(prev_hash \n seq \n body) (an edited body or
// hash), and its columns say what its body says (a column edited without the body). Finally the
// head row must point at the last event (the last events deleted, or the head edited).
// Someone who can rewrite the table can also recompute every hash after an edit; an anchor (a
// seq and hash kept outside the database, e.g. from an earlier verify) catches that too.
import type { Db, Queryable } from '../db/index.js';
import { canonicalJson } from '../spec/index.js';
import { chainHash } from './chain.js';
import { linkAuditChain } from './link.js';
import { genesisHash } from './types.js';

export const chainProblems = ['seq_gap', 'duplicate_seq', 'prev_hash_mismatch', 'hash_mismatch', 'column_mismatch', 'head_mismatch', 'anchor_mismatch'] as const;
export type ChainProblem = (typeof chainProblems)[number];

export interface BadEvent {
  /** The seq where the chain breaks (for head_mismatch: the seq the head names). */
  seq: number;
  /** The event's row id; null when no row is there (head_mismatch). */
  id: number | null;
  problem: ChainProblem;
  detail: string;
}

export interface ChainVerdict {
  ok: boolean;
  /** Events checked and found good. */
  checked: number;
  /** The stored head (seq 0 and the genesis hash for an empty log; null when the head row is gone). */
  head: { seq: number; hash: string } | null;
  firstBad?: BadEvent;
}

/** One event as verification reads it; `at` is created_at in UTC with microseconds. */
export interface ChainRow {
  id: number;
  seq: number;
  prev_hash: string | null;
  hash: string | null;
  body: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  data: unknown;
  before: unknown;
  after: unknown;
  request_id: string | null;
  at: string;
}

export interface HeadRow {
  seq: number;
  head_hash: string;
  prev_hash: string;
}

/** A link recorded earlier (outside the database) that the chain must still contain. */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

/** The pure part: feed rows in (seq, id) order, then the head. Stops at the first bad event. */
export function createChainWalker(anchor?: ChainAnchor) {
  let lastSeq = 0;
  let lastId: number | null = null;
  let lastHash = genesisHash;
  let lastPrev = genesisHash;
  let checked = 0;
  return {
    get checked() {
      return checked;
    },
    get lastSeq() {
      return lastSeq;
    },
    get lastId() {
      return lastId;
    },
    /** Checks the next row; answers what is wrong with it, if anything. */
    check(row: ChainRow): BadEvent | undefined {
      const seq = Number(row.seq);
      const id = Number(row.id);
      const bad = (problem: ChainProblem, detail: string): BadEvent => ({ seq, id, problem, detail });
      if (lastId !== null && seq === lastSeq) return bad('duplicate_seq', `seq ${seq} appears twice (events ${lastId} and ${id}): an event was inserted`);
      if (seq !== lastSeq + 1) {
        return seq > lastSeq + 1
          ? bad('seq_gap', `expected seq ${lastSeq + 1}, found ${seq}: ${seq === lastSeq + 2 ? `event ${lastSeq + 1} is` : `events ${lastSeq + 1}..${seq - 1} are`} missing (deleted)`)
          : bad('duplicate_seq', `seq ${seq} comes after seq ${lastSeq}`);
      }
      if (row.prev_hash !== lastHash) {
        return bad('prev_hash_mismatch', `prev_hash is not the hash of ${lastSeq === 0 ? 'the genesis' : `seq ${lastSeq}`}: an event was inserted, removed or reordered before this one`);
      }
      if (chainHash(row.prev_hash, seq, row.body) !== row.hash) {
        return bad('hash_mismatch', 'the stored hash is not sha256(prev_hash, seq, body): the body or the hash was edited');
      }
      const column = differingColumn(row);
      if (column) return bad('column_mismatch', `column ${column} differs from the hashed body: the column was edited`);
      if (anchor && seq === anchor.seq && row.hash !== anchor.hash) {
        return bad('anchor_mismatch', `seq ${seq} no longer has the anchored hash ${anchor.hash}: the chain was rewritten up to here`);
      }
      lastSeq = seq;
      lastId = id;
      lastPrev = row.prev_hash;
      lastHash = row.hash;
      checked += 1;
      return undefined;
    },
    /** Checks that the head names the last event checked. */
    finish(head: HeadRow | undefined): BadEvent | undefined {
      const bad = (seq: number, detail: string): BadEvent => ({ seq, id: null, problem: 'head_mismatch', detail });
      if (!head) return bad(lastSeq, 'the head row (audit_chain) is missing');
      const headSeq = Number(head.seq);
      if (headSeq > lastSeq) {
        return bad(headSeq, `the head says seq ${headSeq} but the chain ends at seq ${lastSeq}: the last ${headSeq - lastSeq} event(s) were deleted, or the head was edited`);
      }
      if (headSeq < lastSeq) return bad(headSeq, `the chain goes on past the head (seq ${headSeq}) to seq ${lastSeq}: events were appended outside Keel, or the head was edited`);
      if (head.head_hash !== lastHash || head.prev_hash !== lastPrev) {
        return bad(headSeq, `the head's hash differs from the hash of seq ${lastSeq}: the head or the last event was edited`);
      }
      if (anchor && anchor.seq > lastSeq) {
        return { seq: anchor.seq, id: null, problem: 'anchor_mismatch', detail: `the chain ends at seq ${lastSeq}, before the anchored seq ${anchor.seq}: events were deleted and the head moved back` };
      }
      return undefined;
    },
  };
}

/** The first column whose value is not what the body says, or undefined when all agree. */
export function differingColumn(row: ChainRow): string | undefined {
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(row.body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'body';
    body = parsed as Record<string, unknown>;
  } catch {
    return 'body';
  }
  for (const key of ['actor', 'action', 'subject_type', 'subject_id', 'request_id'] as const) {
    if ((row[key] ?? null) !== (body[key] ?? null)) return key;
  }
  for (const key of ['data', 'before', 'after'] as const) {
    if (canonicalJson(row[key] ?? null) !== canonicalJson(body[key] ?? null)) return key;
  }
  if (typeof body.at !== 'string' || micros(body.at) !== micros(row.at)) return 'created_at';
  return undefined;
}

/** An ISO UTC time with its fraction padded to microseconds, so `.123Z` equals `.123000Z`. */
function micros(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?Z$/.exec(iso);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(6, '0')}Z` : iso;
}

const pageSize = 1000;
const columns = `id, seq, prev_hash, hash, body, actor, action, subject_type, subject_id, data, before, after, request_id,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at`;

/** Feeds the walker every linked event after where it stands; answers the first bad one. */
async function walk(q: Queryable, walker: ReturnType<typeof createChainWalker>): Promise<BadEvent | undefined> {
  for (;;) {
    // `seq >= last` (not `>`) so a second row with the last seq shows up as a duplicate.
    const page = await q.query<ChainRow>(
      `SELECT ${columns} FROM audit_events WHERE seq >= $1 ORDER BY seq, id LIMIT $2`, [walker.lastSeq, pageSize + 1],
    );
    let fresh = 0;
    for (const row of page.rows) {
      if (walker.lastId !== null && Number(row.seq) === walker.lastSeq && Number(row.id) === walker.lastId) continue;
      fresh += 1;
      const bad = walker.check(row);
      if (bad) return bad;
    }
    if (fresh === 0 || page.rows.length <= pageSize) return undefined;
  }
}

/**
 * Links what is pending, then checks the whole chain (and, given an anchor, that it still holds it). The tail and the head are read while holding
 * the head (FOR SHARE), so linkers running meanwhile cannot make an intact chain look broken.
 */
export async function verifyAuditChain(db: Db, options: { anchor?: ChainAnchor } = {}): Promise<ChainVerdict> {
  try {
    await linkAuditChain(db);
  } catch {
    // A log tampered with badly enough to stop linking (the head row gone) is still verified: the
    // walk below names what is wrong instead of the linker's error.
  }
  const walker = createChainWalker(options.anchor);
  const early = await walk(db, walker);
  const { bad, head } = await db.transaction(async (tx) => {
    const h = await tx.query<HeadRow>(`SELECT seq, head_hash, prev_hash FROM audit_chain WHERE id = 1 FOR SHARE`);
    const found = early ?? (await walk(tx, walker)) ?? walker.finish(h.rows[0]);
    return { bad: found, head: h.rows[0] };
  });
  const verdict: ChainVerdict = {
    ok: bad === undefined,
    checked: walker.checked,
    head: head ? { seq: Number(head.seq), hash: head.head_hash } : null,
  };
  if (bad) verdict.firstBad = bad;
  return verdict;
}
