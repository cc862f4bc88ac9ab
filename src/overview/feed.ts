// The change feed behind live dashboard updates: one per HTTP app, polling the database only while
// at least one event stream is open, and fanning what changed out to every stream. The database is
// the source of truth, so a change made by any process (a worker elsewhere, another API server)
// reaches every stream.
//
// What marks a change: a run's updated_at (every run transition sets it), and for review tasks the
// audit events about them (created, claimed, released, approval recorded, commented, decided,
// escalated, expired: every review mutation records one in its own transaction, and the reviews
// table has no single column that changes with all of them; claims leave no timestamp at all).
//
// Cursors: each poll first takes a mark (the database's now() and the highest audit event id),
// then reads what changed since a mark taken at least `lagMs` earlier, and drops what it already
// delivered. Looking back that far catches rows of transactions that started (took their timestamp
// or id) before a mark but committed after it; only a transaction open longer than `lagMs` can be
// missed. Equal timestamps are harmless: the cursor compares with >= and delivered rows are keyed.
import type { Queryable } from '../db/index.js';

export interface Change {
  kind: 'run' | 'review';
  id: string;
  workflow_id: string;
  status: string;
  /** The review's run (null for an external workflow's task); absent for runs. */
  run_id?: string | null;
  /** The run's stage; absent for reviews. */
  stage?: string;
  /** When it changed, ISO 8601 with microseconds. */
  at: string;
}

export interface FeedSubscriber {
  /** Called with each batch of changes, oldest first; must not block. */
  deliver(changes: readonly Change[]): void;
  /** The feed is closing (the server stops): the stream should end now. */
  end(): void;
}

export interface ChangeFeed {
  /** Resolves once the feed has its starting mark: every change committed after that is delivered. Returns the unsubscribe. */
  subscribe(subscriber: FeedSubscriber): Promise<() => void>;
  /** Ends every subscriber and stops polling; resolves once each has let go (or after `graceMs`). */
  close(graceMs?: number): Promise<void>;
  /** Open subscriptions. */
  readonly size: number;
}

export interface ChangeFeedOptions {
  db: Queryable;
  /** Between polls; 750 ms by default. */
  pollMs?: number;
  /** How far back each poll looks again; 5 s by default. */
  lagMs?: number;
  onError(message: string, error: unknown): void;
}

interface Mark {
  /** The database's now(), as text with microseconds. */
  at: string;
  /** The highest audit event id. */
  seq: number;
  /** When this process took it. */
  takenAt: number;
}

const pageSize = 500;
/** A poll reads at most this many pages of each kind; a burst larger than that is delivered over the next polls. */
const maxPages = 20;
const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const markSql = `SELECT ${isoText('now()')} AS at, (SELECT coalesce(max(id), 0) FROM audit_events) AS seq`;
const runsSql = `
SELECT id, workflow_id, status, stage, ${isoText('updated_at')} AS at FROM runs
 WHERE updated_at >= $1::timestamptz AND purpose = 'live' AND ($2::timestamptz IS NULL OR (updated_at, id) > ($2::timestamptz, $3::text))
 ORDER BY updated_at, id LIMIT ${pageSize}`;
const reviewsSql = `
SELECT a.id AS seq, r.id, r.workflow_id, r.run_id, r.status, ${isoText('a.created_at')} AS at
  FROM audit_events a JOIN reviews r ON r.id = a.subject_id
 WHERE a.id > $1 AND a.subject_type = 'review'
 ORDER BY a.id LIMIT ${pageSize}`;

export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { db } = options;
  const pollMs = options.pollMs ?? 750;
  const lagMs = options.lagMs ?? 5_000;
  const subscribers = new Set<FeedSubscriber>();
  const released = new Set<() => void>();
  let marks: Mark[] = [];
  /** Delivered changes by key, with when they were first seen (forgotten once no poll can read them again). */
  const seen = new Map<string, number>();
  let generation = 0;
  let started: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const takeMark = async (): Promise<Mark> => {
    const row = (await db.query<{ at: string; seq: number }>(markSql)).rows[0]!;
    return { at: row.at, seq: Number(row.seq), takenAt: Date.now() };
  };

  /** Changes since `base`, each with the key it is delivered once under. */
  async function readSince(base: Mark): Promise<Array<{ key: string; change: Change }>> {
    const out: Array<{ key: string; change: Change }> = [];
    let after: { at: string; id: string } | undefined;
    for (let page = 0; page < maxPages; page++) {
      const rows = (await db.query<{ id: string; workflow_id: string; status: string; stage: string; at: string }>(
        runsSql, [base.at, after?.at ?? null, after?.id ?? null],
      )).rows;
      for (const r of rows) out.push({ key: `run ${r.id} ${r.at}`, change: { kind: 'run', ...r } });
      if (rows.length < pageSize) break;
      after = rows.at(-1)!;
    }
    let seq = base.seq;
    for (let page = 0; page < maxPages; page++) {
      const rows = (await db.query<{ seq: number; id: string; workflow_id: string; run_id: string | null; status: string; at: string }>(reviewsSql, [seq])).rows;
      // An audit event is one change: two events about one task are two changes.
      for (const { seq: eventId, ...r } of rows) out.push({ key: `review ${eventId}`, change: { kind: 'review', ...r } });
      if (rows.length < pageSize) break;
      seq = Number(rows.at(-1)!.seq);
    }
    return out;
  }

  async function poll(): Promise<Change[]> {
    const mark = await takeMark();
    const base = marks.filter((m) => m.takenAt <= mark.takenAt - lagMs).at(-1) ?? marks[0] ?? mark;
    const read = await readSince(base);
    // Marks move only after a successful read, so a failed poll is tried again from the same place.
    marks = [...marks.filter((m) => m.takenAt >= base.takenAt), mark];
    const fresh: Change[] = [];
    for (const { key, change } of read) {
      if (seen.has(key)) continue;
      seen.set(key, mark.takenAt);
      fresh.push(change);
    }
    for (const [key, at] of seen) if (at < mark.takenAt - 3 * lagMs - 10 * pollMs) seen.delete(key);
    return fresh;
  }

  function loop(current: number): void {
    timer = setTimeout(() => {
      poll()
        .then((changes) => {
          if (current !== generation || changes.length === 0) return;
          for (const s of subscribers) s.deliver(changes);
        })
        // A failed poll is logged and the next one reads from the same mark again.
        .catch((error: unknown) => options.onError('change feed poll failed', error))
        .finally(() => {
          if (current === generation) loop(current);
        });
    }, pollMs);
  }

  function start(): Promise<void> {
    const current = ++generation;
    seen.clear();
    return takeMark().then((mark) => {
      if (current !== generation) return;
      marks = [mark];
      loop(current);
    });
  }

  function stop(): void {
    generation++;
    clearTimeout(timer);
    started = undefined;
  }

  return {
    get size() {
      return subscribers.size;
    },
    async subscribe(subscriber) {
      if (closed) {
        subscriber.end();
        return () => {};
      }
      subscribers.add(subscriber);
      const unsubscribe = () => {
        if (!subscribers.delete(subscriber)) return;
        if (subscribers.size === 0) {
          stop();
          for (const done of released) done();
        }
      };
      started ??= start();
      try {
        await started;
      } catch (error) {
        started = undefined;
        unsubscribe();
        throw error;
      }
      return unsubscribe;
    },
    async close(graceMs = 5_000) {
      closed = true;
      stop();
      if (subscribers.size === 0) return;
      const allGone = new Promise<void>((resolve) => released.add(resolve));
      for (const s of [...subscribers]) s.end();
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([allGone, new Promise<void>((resolve) => (timeout = setTimeout(resolve, graceMs)))]);
      clearTimeout(timeout);
    },
  };
}
