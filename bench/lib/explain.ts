// Plans of the hot statements, as the engine issues them: the first time each statement kind is
// about to run, it is first run under EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled
// back, with the same parameters, so planning and execution time can be read separately.
import type { Db, QueryResult } from '../../src/db/index.js';
import { statementLabel } from './timed-db.js';

export interface Explained {
  label: string;
  planningMs: number;
  executionMs: number;
  /** The plan's top node types, e.g. "ModifyTable <- Limit <- LockRows <- Sort <- Bitmap Heap Scan". */
  shape: string;
  sharedHitBlocks: number;
}

interface PlanNode { 'Node Type': string; Plans?: PlanNode[]; 'Shared Hit Blocks'?: number }

function shape(node: PlanNode, depth = 0): string {
  const child = node.Plans?.[0];
  const name = node['Node Type'];
  return child && depth < 6 ? `${name} <- ${shape(child, depth + 1)}` : name;
}

/**
 * Wraps a Db so each listed statement kind is explained once, just before its n-th real run (from
 * `at`, by label), twice in a row so the second (kept) one runs with warm caches. `extra` may explain
 * more statements at that moment (e.g. an alternative with the same parameters).
 */
export function explainOnce(
  inner: Db, at: Record<string, number>,
  extra?: (label: string, sql: string, params: readonly unknown[]) => Promise<Explained[]>,
): { db: Db; explained: Explained[]; done: Promise<void> } {
  const explained: Explained[] = [];
  const pending = new Set(Object.keys(at));
  const seen = new Map<string, number>();
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  async function explain(sql: string, params: readonly unknown[], label: string): Promise<void> {
    pending.delete(label);
    try {
      await explainStatement(inner, label, sql, params);
      explained.push(await explainStatement(inner, label, sql, params));
      if (extra) explained.push(...(await extra(label, sql, params)));
    } catch (error) {
      explained.push({ label: `${label} (EXPLAIN failed: ${(error as Error).message})`, planningMs: NaN, executionMs: NaN, shape: '', sharedHitBlocks: 0 });
    }
    if (pending.size === 0) finish();
  }
  const db: Db = {
    caps: inner.caps,
    async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
      const label = statementLabel(sql);
      if (pending.has(label)) {
        const n = (seen.get(label) ?? 0) + 1;
        seen.set(label, n);
        if (n >= at[label]!) await explain(sql, params ?? [], label);
      }
      return inner.query<T>(sql, params);
    },
    exec: (sql) => inner.exec(sql),
    transaction: (fn) => inner.transaction(fn),
    listen: (c, f) => inner.listen(c, f),
    tryLeaderLock: (k) => inner.tryLeaderLock(k),
    close: () => inner.close(),
  };
  return { db, explained, done };
}

class RollBack extends Error {}

/**
 * Not Keel's SQL: a candidate shape of the claim for comparison only (see RESULTS.md). Each branch
 * is ordered by its own partial index, so a claim reads `limit` rows instead of sorting every
 * ready run, and the update finds the claimed rows by primary key instead of hash-joining the table.
 */
export const candidateClaimSql = `WITH ready AS (
    SELECT id FROM runs WHERE status = 'queued' AND available_at <= now() ORDER BY available_at LIMIT $1 FOR UPDATE SKIP LOCKED
  ), expired AS (
    SELECT id FROM runs WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
  )
  UPDATE runs r SET status = 'running', wait_reason = NULL, lease_token = gen_random_uuid(), lease_owner = $2,
    lease_expires_at = now() + $3 * interval '1 millisecond', claims = r.claims + 1,
    started_at = coalesce(r.started_at, now()), updated_at = now()
  WHERE r.id = ANY (ARRAY(SELECT id FROM ready UNION ALL SELECT id FROM expired LIMIT $1))
  RETURNING r.*`;

/** Explains one statement in a rolled-back transaction. */
export async function explainStatement(db: Db, label: string, sql: string, params: readonly unknown[]): Promise<Explained> {
  let result: Explained | undefined;
  try {
    await db.transaction(async (tx) => {
      const r = await tx.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Planning Time': number; 'Execution Time': number }> }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params,
      );
      const plan = r.rows[0]!['QUERY PLAN'][0]!;
      result = { label, planningMs: plan['Planning Time'], executionMs: plan['Execution Time'], shape: shape(plan.Plan), sharedHitBlocks: plan.Plan['Shared Hit Blocks'] ?? 0 };
      throw new RollBack();
    });
  } catch (error) {
    if (!(error instanceof RollBack)) throw error;
  }
  return result!;
}
