// The eval runner: one process (leader lock) moves every running eval on. Each pass scores the
// cases whose runs ended, starts pending cases up to the eval's concurrency as sandbox runs of the
// version (purpose `eval`: intercepted actions, nobody asked), and finishes an eval once every case
// is scored. Runs are executed by the ordinary workers, so an eval survives a restart: the cases
// and their runs are rows, and the next pass goes on where the last stopped.
import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { startTrialRun } from '../engine/index.js';
import { KeelError, isKeelError } from '../errors.js';
import type { ModelRouter } from '../models/index.js';
import { createLeaderLoop, type LeaderLoop } from '../observe/index.js';
import { getVersionById } from '../registry/index.js';
import { aggregate, casePassed, passRateInterval, scoreCase, type ScoreResult } from './scorers/index.js';
import type { EvalRunRow, EvalSummary } from './eval-runs.js';

export interface EvalRunnerDeps {
  db: Db;
  /** For `judge` scorers; an eval that has one fails with a clear error without it. */
  models?: ModelRouter;
  onError(message: string, error: unknown): void;
  /** How often the runner passes over the running evals. */
  tickMs?: number;
}

/** The advisory lock one process holds while it runs evals. */
const evalRunnerLock = 7_346_009;
const endedStatuses = ['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'];

/**
 * One pass every `tickMs` (50 ms by default): a pass scores every case that ended meanwhile and
 * fills the free places at once, so cases are handled in batches. Passing again at once whenever
 * something moved would batch nothing and, on PGlite's one connection, crowd out the workers.
 */
export function createEvalRunner(deps: EvalRunnerDeps): LeaderLoop {
  return createLeaderLoop({
    db: deps.db, lockKey: evalRunnerLock, tickMs: deps.tickMs ?? 50, name: 'eval runner', onError: deps.onError,
    tick: () => advanceAll(deps),
  });
}

/** One pass over every running eval; true when anything moved. */
export async function advanceAll(deps: EvalRunnerDeps): Promise<boolean> {
  const active = await deps.db.query<EvalRunRow>(`SELECT * FROM eval_runs WHERE status = 'running' ORDER BY created_at, id`);
  let moved = false;
  for (const evalRun of active.rows) {
    try {
      moved = (await advance(deps, evalRun)) || moved;
    } catch (error) {
      // A scorer that cannot work at all (a judge without a model) would fail every case the same way.
      if (isKeelError(error, 'misconfigured')) await failEval(deps.db, evalRun, error);
      else throw error;
    }
  }
  return moved;
}

async function advance(deps: EvalRunnerDeps, evalRun: EvalRunRow): Promise<boolean> {
  const scored = await scoreEnded(deps, evalRun);
  const started = await startPending(deps.db, evalRun);
  if (scored > 0 || started > 0) return true;
  const open = await deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM eval_results WHERE eval_run_id = $1 AND status <> 'scored'`, [evalRun.id]);
  if (open.rows[0]!.n === 0) {
    await finishEval(deps.db, evalRun);
    return true;
  }
  return false;
}

interface EndedCase {
  case_id: string;
  run_status: string;
  state: Record<string, unknown>;
  error: { code: string; message: string } | null;
  input: unknown;
  expected: unknown;
  latency_ms: number | null;
  cost_usd: number | null;
}

/** Scores the cases whose runs ended since the last pass. */
async function scoreEnded(deps: EvalRunnerDeps, evalRun: EvalRunRow): Promise<number> {
  const ended = await deps.db.query<EndedCase>(
    `SELECT e.case_id, r.status AS run_status, r.state, r.error, c.input, c.expected,
            extract(epoch FROM coalesce(r.finished_at, r.updated_at) - r.created_at) * 1000 AS latency_ms,
            (SELECT sum(m.cost_usd) FROM model_calls m WHERE m.run_id = r.id) AS cost_usd
       FROM eval_results e JOIN runs r ON r.id = e.run_id JOIN dataset_cases c ON c.id = e.case_id
      WHERE e.eval_run_id = $1 AND e.status = 'running' AND r.status = ANY($2::text[])
      LIMIT $3`,
    [evalRun.id, endedStatuses, evalRun.concurrency * 4],
  );
  if (ended.rows.length === 0) return 0;
  const version = await getVersionById(deps.db, evalRun.version_id);
  const outputSchema = version.definition.approval?.output_schema;
  // A judge scorer calls a model per case: at most `concurrency` cases are scored at once, as many as run at once.
  const results: CaseScore[] = [];
  for (let i = 0; i < ended.rows.length; i += evalRun.concurrency) {
    results.push(...await Promise.all(ended.rows.slice(i, i + evalRun.concurrency).map((c) => scoreOne(deps, evalRun, outputSchema, c))));
  }
  await recordScores(deps.db, evalRun.id, results);
  return results.length;
}

/** One case: its run's state (its steps by id) is the output the scorers read. */
async function scoreOne(deps: EvalRunnerDeps, evalRun: EvalRunRow, outputSchema: Record<string, unknown> | undefined, c: EndedCase): Promise<CaseScore> {
  const scores = await scoreCase(evalRun.evals.scorers, { input: c.input, output: c.state, expected: c.expected }, { models: deps.models, outputSchema });
  const judgeCost = scores.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
  return {
    case_id: c.case_id, passed: casePassed(scores), scores, run_status: c.run_status,
    error: c.error ? { code: c.error.code, message: c.error.message } : null,
    cost: (c.cost_usd === null ? 0 : Number(c.cost_usd)) + judgeCost, latency: c.latency_ms === null ? null : Number(c.latency_ms),
  };
}

interface CaseScore {
  case_id: string;
  passed: boolean;
  scores: ScoreResult[];
  run_status: string;
  error: { code: string; message: string } | null;
  cost: number | null;
  latency: number | null;
}

async function recordScores(db: Db, evalRunId: string, results: readonly CaseScore[]): Promise<void> {
  await db.transaction(async (tx) => {
    const r = await tx.query<{ passed: boolean }>(
      `UPDATE eval_results e SET status = 'scored', passed = v.passed, scores = v.scores, run_status = v.run_status, error = v.error,
              cost_usd = v.cost, latency_ms = v.latency, scored_at = now()
         FROM jsonb_to_recordset($2::jsonb) AS v(case_id text, passed boolean, scores jsonb, run_status text, error jsonb, cost double precision, latency double precision)
        WHERE e.eval_run_id = $1 AND e.case_id = v.case_id AND e.status <> 'scored'
        RETURNING v.passed`,
      [evalRunId, JSON.stringify(results)],
    );
    await tx.query(
      `UPDATE eval_runs SET done = done + $2, passed = passed + $3 WHERE id = $1`,
      [evalRunId, r.rows.length, r.rows.filter((x) => x.passed).length],
    );
  });
}

/** Starts pending cases until the eval has `concurrency` in flight; a case the input contract refuses is scored failed at once. */
async function startPending(db: Db, evalRun: EvalRunRow): Promise<number> {
  const running = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM eval_results WHERE eval_run_id = $1 AND status = 'running'`, [evalRun.id]);
  const free = evalRun.concurrency - running.rows[0]!.n;
  if (free <= 0) return 0;
  const pending = await db.query<{ case_id: string; input: unknown }>(
    `SELECT e.case_id, c.input FROM eval_results e JOIN dataset_cases c ON c.id = e.case_id
      WHERE e.eval_run_id = $1 AND e.status = 'pending' ORDER BY e.position LIMIT $2`,
    [evalRun.id, free],
  );
  if (pending.rows.length === 0) return 0;
  const version = await getVersionById(db, evalRun.version_id);
  const refused: CaseScore[] = [];
  await db.transaction(async (tx) => {
    // The eval may have been canceled since this pass read it; its row lock orders us after that.
    const still = await tx.query(`SELECT 1 FROM eval_runs WHERE id = $1 AND status = 'running' FOR UPDATE`, [evalRun.id]);
    if (still.rows.length === 0) return;
    for (const c of pending.rows) {
      try {
        const { run } = await startTrialRun(tx, { version, purpose: 'eval', input: c.input, dedupeKey: `eval:${evalRun.id}:${c.case_id}`, requestedBy: evalRun.started_by });
        await tx.query(`UPDATE eval_results SET run_id = $3, status = 'running' WHERE eval_run_id = $1 AND case_id = $2`, [evalRun.id, c.case_id, run.id]);
      } catch (error) {
        if (!isKeelError(error, 'invalid_input')) throw error;
        refused.push({ case_id: c.case_id, passed: false, scores: [], run_status: 'refused', error: { code: error.code, message: error.message }, cost: 0, latency: null });
      }
    }
  });
  if (refused.length > 0) await recordScores(db, evalRun.id, refused);
  return pending.rows.length;
}

interface ScoredRow {
  scores: ScoreResult[] | null;
  passed: boolean;
  run_status: string;
  cost_usd: number | null;
  latency_ms: number | null;
}

async function finishEval(db: Db, evalRun: EvalRunRow): Promise<void> {
  const rows = (await db.query<ScoredRow>(
    `SELECT scores, passed, run_status, cost_usd, latency_ms FROM eval_results WHERE eval_run_id = $1 ORDER BY position`, [evalRun.id],
  )).rows;
  const summary = summarise(evalRun, rows, Date.now() - new Date(evalRun.created_at).getTime());
  await db.transaction(async (tx) => {
    const r = await tx.query(
      `UPDATE eval_runs SET status = 'finished', summary = $2::jsonb, finished_at = now() WHERE id = $1 AND status = 'running'`,
      [evalRun.id, JSON.stringify(summary)],
    );
    if (r.rowCount === 0) return;
    await recordAudit(tx, {
      actor: 'keel:evals', action: 'eval:finished', subjectType: 'workflow', subjectId: evalRun.workflow_id,
      data: { eval_run: evalRun.id, version: evalRun.version_id, pass_rate: summary.passRate, interval: summary.interval, meets_threshold: summary.meetsThreshold },
    });
  });
}

/** The eval's figures from its scored cases. */
export function summarise(evalRun: Pick<EvalRunRow, 'evals' | 'threshold' | 'total'>, rows: readonly ScoredRow[], durationMs: number): EvalSummary {
  const passed = rows.filter((r) => r.passed).length;
  const interval = passRateInterval(passed, rows.length);
  const latencies = rows.flatMap((r) => (r.latency_ms === null ? [] : [Number(r.latency_ms)])).sort((a, b) => a - b);
  const at = (q: number) => (latencies.length === 0 ? null : latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!);
  return {
    scorers: aggregate(evalRun.evals.scorers, rows.map((r) => r.scores ?? [])),
    passRate: rows.length === 0 ? 0 : passed / rows.length,
    interval,
    meetsThreshold: interval.low >= evalRun.threshold,
    runErrors: rows.filter((r) => r.run_status !== 'succeeded').length,
    costUsd: rows.reduce((sum, r) => sum + (r.cost_usd === null ? 0 : Number(r.cost_usd)), 0),
    latencyMs: { p50: at(0.5), p95: at(0.95), max: latencies.at(-1) ?? null },
    durationMs,
  };
}

async function failEval(db: Db, evalRun: EvalRunRow, error: KeelError): Promise<void> {
  await db.transaction(async (tx) => {
    const r = await tx.query(
      `UPDATE eval_runs SET status = 'failed', error = $2::jsonb, finished_at = now() WHERE id = $1 AND status = 'running'`,
      [evalRun.id, JSON.stringify({ code: error.code, message: error.message, hint: error.hint })],
    );
    if (r.rowCount === 0) return;
    await recordAudit(tx, {
      actor: 'keel:evals', action: 'eval:failed', subjectType: 'workflow', subjectId: evalRun.workflow_id,
      data: { eval_run: evalRun.id, error: error.message },
    });
  });
}
