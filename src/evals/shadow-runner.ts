// The shadow runner: one process (leader lock) moves every open shadow on. Each pass compares the
// pairs whose two runs ended (a live run may wait hours for its review: its pair waits with it),
// copies more live runs as sandbox runs of the candidate (purpose `shadow`: intercepted actions,
// nobody asked) up to the shadow's concurrency, and finishes a shadow once nothing is left to copy
// or compare. Runs are executed by the ordinary workers, so a shadow survives a restart.
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { startTrialRun } from '../engine/index.js';
import { isKeelError } from '../errors.js';
import { createLeaderLoop, type LeaderLoop } from '../observe/index.js';
import { getVersionById } from '../registry/index.js';
import { compareEnded, endedStatuses } from './shadow-compare.js';
import { shadowFigures, type ComparedPair } from './shadow-figures.js';
import type { ShadowRunRow } from './shadow-runs.js';

export interface ShadowRunnerDeps {
  db: Db;
  onError(message: string, error: unknown): void;
  /** How often the runner passes over the open shadows. */
  tickMs?: number;
}

/** The advisory lock one process holds while it runs shadows. */
const shadowRunnerLock = 7_346_011;
/**
 * How far before the last copied live run a mirror pass looks again: a live run whose transaction
 * began earlier but committed later carries an older created_at, and must not be skipped. The
 * pairs table (one row per live run) keeps a run from being copied twice.
 */
const graceWindow = '5 minutes';

/**
 * One pass every `tickMs` (250 ms by default): live traffic arrives at its own pace, so a shadow
 * need not chase it faster; the pass batches what arrived meanwhile.
 */
export function createShadowRunner(deps: ShadowRunnerDeps): LeaderLoop {
  return createLeaderLoop({
    db: deps.db, lockKey: shadowRunnerLock, tickMs: deps.tickMs ?? 250, name: 'shadow runner', onError: deps.onError,
    tick: () => advanceShadows(deps),
  });
}

/** One pass over every open shadow (running, or stopped with pairs still in flight); true when anything moved. */
export async function advanceShadows(deps: Pick<ShadowRunnerDeps, 'db'>): Promise<boolean> {
  const open = await deps.db.query<ShadowRunRow>(
    `SELECT * FROM shadow_runs WHERE status = 'running' OR (status = 'stopped' AND summary IS NULL) ORDER BY created_at, id`,
  );
  let moved = false;
  for (const shadow of open.rows) moved = (await advance(deps.db, shadow)) || moved;
  return moved;
}

async function advance(db: Db, shadow: ShadowRunRow): Promise<boolean> {
  const compared = await compareEnded(db, shadow);
  const copied = shadow.status === 'running' ? await copyMore(db, shadow) : 0;
  if (compared > 0 || copied > 0) return true;
  const counts = (await db.query<{ open: number; total: number }>(
    `SELECT count(*) FILTER (WHERE status <> 'compared')::int AS open, count(*)::int AS total FROM shadow_pairs WHERE shadow_id = $1`, [shadow.id],
  )).rows[0]!;
  if (counts.open > 0) return false;
  // A mirror keeps waiting for live runs until it has its max_runs (or is stopped); a replay chose all of its runs at the start.
  if (shadow.status === 'running' && shadow.mode === 'mirror' && counts.total < shadow.max_runs) return false;
  await finishShadow(db, shadow);
  return true;
}

/** Shadow runs in flight: copied, and not ended yet. Pairs waiting only for their live run do not count. */
async function inFlight(db: Queryable, shadowId: string): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM shadow_pairs p JOIN runs t ON t.id = p.trial_run_id
      WHERE p.shadow_id = $1 AND p.status = 'running' AND NOT (t.status = ANY($2::text[]))`,
    [shadowId, endedStatuses],
  );
  return r.rows[0]!.n;
}

interface LiveRun {
  id: string;
  input: unknown;
  created_at: Date;
  position: number | null;
}

/** Starts shadow runs for the next live runs (mirror: new ones; replay: the pending pairs), up to the free places. */
async function copyMore(db: Db, shadow: ShadowRunRow): Promise<number> {
  const free = shadow.concurrency - (await inFlight(db, shadow.id));
  if (free <= 0) return 0;
  const version = await getVersionById(db, shadow.candidate_version_id);
  return db.transaction(async (tx) => {
    // The shadow may have been stopped since this pass read it; its row lock orders us after that.
    const still = await tx.query<{ total: number }>(
      `SELECT (SELECT count(*)::int FROM shadow_pairs WHERE shadow_id = s.id) AS total FROM shadow_runs s WHERE s.id = $1 AND s.status = 'running' FOR UPDATE`,
      [shadow.id],
    );
    if (still.rows.length === 0) return 0;
    const total = still.rows[0]!.total;
    const next = shadow.mode === 'replay' ? await pendingPairs(tx, shadow.id, free) : await newLiveRuns(tx, shadow, Math.min(free, shadow.max_runs - total));
    let position = total;
    for (const live of next) {
      let trial: { id: string } | null = null;
      let refused: { code: string; message: string } | null = null;
      try {
        // The live event exactly as it came; one shadow run per live run, whatever happens to this pass.
        trial = (await startTrialRun(tx, { version, purpose: 'shadow', input: live.input, dedupeKey: `shadow:${shadow.id}:${live.id}`, requestedBy: shadow.started_by })).run;
      } catch (error) {
        if (!isKeelError(error, 'invalid_input')) throw error;
        refused = { code: error.code, message: error.message };
      }
      await tx.query(
        `INSERT INTO shadow_pairs (shadow_id, live_run_id, trial_run_id, position, status, shadow_status, error)
         VALUES ($1, $2, $3, $4, 'running', $5, $6::jsonb)
         ON CONFLICT (shadow_id, live_run_id) DO UPDATE SET trial_run_id = excluded.trial_run_id, status = 'running',
            shadow_status = excluded.shadow_status, error = excluded.error`,
        [shadow.id, live.id, trial?.id ?? null, live.position ?? ++position, refused ? 'refused' : null, refused ? JSON.stringify(refused) : null],
      );
    }
    const last = next.at(-1);
    if (shadow.mode === 'mirror' && last) {
      await tx.query(`UPDATE shadow_runs SET cursor_at = $2, cursor_run_id = $3 WHERE id = $1`, [shadow.id, last.created_at, last.id]);
    }
    return next.length;
  });
}

async function pendingPairs(tx: Queryable, shadowId: string, limit: number): Promise<LiveRun[]> {
  const r = await tx.query<LiveRun>(
    `SELECT r.id, r.input, r.created_at, p.position FROM shadow_pairs p JOIN runs r ON r.id = p.live_run_id
      WHERE p.shadow_id = $1 AND p.status = 'pending' ORDER BY p.position LIMIT $2`,
    [shadowId, limit],
  );
  return r.rows;
}

/** Live runs of the stage created since the shadow started and not copied yet, oldest first (runs of the candidate itself are not compared). */
async function newLiveRuns(tx: Queryable, shadow: ShadowRunRow, limit: number): Promise<LiveRun[]> {
  if (limit <= 0) return [];
  const r = await tx.query<LiveRun>(
    `SELECT r.id, r.input, r.created_at, NULL::int AS position FROM runs r
      WHERE r.workflow_id = $1 AND r.stage = $2 AND r.purpose = 'live' AND r.version_id <> $3
        AND r.created_at >= $4 AND r.created_at >= coalesce($5::timestamptz - $6::interval, $4)
        AND NOT EXISTS (SELECT 1 FROM shadow_pairs p WHERE p.shadow_id = $7 AND p.live_run_id = r.id)
      ORDER BY r.created_at, r.id LIMIT $8`,
    [shadow.workflow_id, shadow.live_stage, shadow.candidate_version_id, shadow.since, shadow.cursor_at, graceWindow, shadow.id, limit],
  );
  return r.rows;
}

async function finishShadow(db: Db, shadow: ShadowRunRow): Promise<void> {
  const pairs = (await db.query<ComparedPair>(
    `SELECT agreement_live, agreement_people, people_decision, live_status, shadow_status, live_cost_usd, shadow_cost_usd, live_latency_ms, shadow_latency_ms
       FROM shadow_pairs WHERE shadow_id = $1 AND status = 'compared' ORDER BY position`, [shadow.id],
  )).rows;
  const summary = shadowFigures(pairs);
  await db.transaction(async (tx) => {
    // A stopped shadow keeps its status (people stopped it) and gets its figures once its last pair is compared.
    const r = await tx.query(
      `UPDATE shadow_runs SET status = CASE WHEN status = 'running' THEN 'finished' ELSE status END, summary = $2::jsonb, finished_at = now()
        WHERE id = $1 AND summary IS NULL AND status IN ('running', 'stopped')`,
      [shadow.id, JSON.stringify(summary)],
    );
    if (r.rowCount === 0) return;
    await recordAudit(tx, {
      actor: 'keel:shadows', action: 'shadow:finished', subjectType: 'workflow', subjectId: shadow.workflow_id,
      data: { shadow: shadow.id, candidate: shadow.candidate_version_id, compared: summary.compared, agreement_live: summary.agreementLive, agreement_people: summary.people.agreement },
    });
  });
}
