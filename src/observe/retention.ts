// Retention: spans (and the payloads they hold) are deleted once older than the configured age,
// and, when configured, the payloads of long-ended runs are cleared. Rollups, incidents, reviews and
// the audit log are kept: the figures and the record of decisions outlive the raw data.
import type { Db } from '../db/index.js';
import { createLeaderLoop, type LeaderLoop } from './leader-loop.js';

const retentionLockKey = 7_346_007;
/** Rows per statement, so a first sweep over a large backlog never holds one long transaction. */
const chunk = 10_000;
const dayMs = 86_400_000;

export interface RetentionOptions {
  db: Db;
  spanDays: number;
  runPayloadDays?: number;
  sweepMs: number;
  clock?: () => Date;
  onError(message: string, error: unknown): void;
}

export interface RetentionPass {
  spans: number;
  runs: number;
}

export interface Retention extends LeaderLoop {
  pass(): Promise<RetentionPass>;
}

export function createRetention(options: RetentionOptions): Retention {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());

  async function pruneSpans(cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const r = await db.query(
        `DELETE FROM spans WHERE id IN (SELECT id FROM spans WHERE stored_at < $1 ORDER BY id LIMIT ${chunk})`, [cutoff],
      );
      total += r.rowCount;
      if (r.rowCount < chunk) return total;
    }
  }

  // A run whose payloads were cleared keeps `{}` as state and null as input and output; its
  // attempts and model calls lose their outputs and answers.
  async function prunePayloads(cutoff: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await db.transaction(async (tx) => {
        const runs = await tx.query<{ id: string }>(
          `SELECT id FROM runs WHERE status IN ('succeeded', 'failed', 'rejected', 'canceled') AND finished_at < $1
             AND (input <> 'null'::jsonb OR state <> '{}'::jsonb OR output IS NOT NULL) LIMIT ${chunk / 10}`, [cutoff],
        );
        const ids = runs.rows.map((r) => r.id);
        if (ids.length === 0) return 0;
        await tx.query(`UPDATE step_attempts SET output = NULL WHERE run_id = ANY($1::text[]) AND output IS NOT NULL`, [ids]);
        await tx.query(`UPDATE model_calls SET answer = NULL WHERE run_id = ANY($1::text[]) AND answer IS NOT NULL`, [ids]);
        await tx.query(`UPDATE runs SET input = 'null'::jsonb, state = '{}'::jsonb, output = NULL WHERE id = ANY($1::text[])`, [ids]);
        return ids.length;
      });
      total += n;
      if (n < chunk / 10) return total;
    }
  }

  async function pass(): Promise<RetentionPass> {
    const now = clock().getTime();
    const spans = await pruneSpans(new Date(now - options.spanDays * dayMs));
    const runs = options.runPayloadDays === undefined ? 0 : await prunePayloads(new Date(now - options.runPayloadDays * dayMs));
    return { spans, runs };
  }

  const loop = createLeaderLoop({ db, lockKey: retentionLockKey, tickMs: options.sweepMs, name: 'retention pass', tick: pass, onError: options.onError });
  return { ...loop, pass };
}
