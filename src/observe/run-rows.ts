// What the tracer reads of a run: the engine's, the models' and the review queue's own rows. They
// are read here directly (as the overview does), because a trace is a join over all three and the
// tracer reads them for a batch of runs in one statement each.
import type { Queryable } from '../db/index.js';
import type { StoredError } from '../errors.js';

export interface TracedRun {
  id: string; workflow_id: string; version_id: string; stage: string; status: string; trigger_kind: string;
  input: unknown; output: unknown; error: StoredError | null;
  created_at: Date; started_at: Date | null; finished_at: Date | null;
  /** updated_at as PostgreSQL prints it: microseconds kept, so the cursor is exact. */
  updated_key: string;
}
export interface TracedAttempt {
  id: string | number; run_id: string; step_id: string; kind: string; attempt: number; status: string; output: unknown;
  error: StoredError | null; delivery: string | null; effect: string | null; next_step: string | null; started_at: Date; finished_at: Date;
}
export interface TracedModelCall {
  id: string | number; run_id: string; step_id: string; model: string; provider: string; model_id: string; response_model: string | null;
  purpose: 'call' | 'repair' | 'classify'; attempt: number; tokens_in: number; tokens_out: number; cost_usd: number; latency_ms: number;
  error_class: string | null; error_message: string | null; http_status: number | null; created_at: Date;
}
export interface TracedReview {
  id: string; run_id: string; step_id: string; status: string; reason: string; assigned_role: string | null; decided_by: string | null;
  created_at: Date; decided_at: Date | null; escalated_at: Date | null; escalation_level: number; comment: string | null;
}

export interface RunRows {
  runs: TracedRun[];
  attempts: Map<string, TracedAttempt[]>;
  modelCalls: Map<string, TracedModelCall[]>;
  reviews: Map<string, TracedReview[]>;
}

function byRun<T extends { run_id: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(row.run_id);
    if (list) list.push(row);
    else out.set(row.run_id, [row]);
  }
  return out;
}

/** The runs changed after the cursor (updated_at, id) and before `until`, with their finished work. */
export async function readChangedRuns(
  db: Queryable, after: { at: string; id: string } | null, until: Date, limit: number,
): Promise<RunRows> {
  const runs = (await db.query<TracedRun>(
    `SELECT id, workflow_id, version_id, stage, status, trigger_kind, input, output, error, created_at, started_at, finished_at, updated_at::text AS updated_key
       FROM runs
      WHERE updated_at <= $3 AND purpose = 'live' AND ($1::timestamptz IS NULL OR (updated_at, id) > ($1::timestamptz, $2::text))
      ORDER BY updated_at, id LIMIT $4`,
    [after?.at ?? null, after?.id ?? '', until, limit],
  )).rows;
  if (runs.length === 0) return { runs, attempts: new Map(), modelCalls: new Map(), reviews: new Map() };
  const ids = runs.map((r) => r.id);
  const attempts = (await db.query<TracedAttempt>(
    `SELECT id, run_id, step_id, kind, attempt, status, output, error, delivery, effect, next_step, started_at, finished_at
       FROM step_attempts WHERE run_id = ANY($1::text[]) AND finished_at IS NOT NULL ORDER BY id`, [ids],
  )).rows;
  const modelCalls = (await db.query<TracedModelCall>(
    `SELECT id, run_id, step_id, model, provider, model_id, response_model, purpose, attempt, tokens_in, tokens_out, cost_usd,
            latency_ms, error_class, error_message, http_status, created_at
       FROM model_calls WHERE run_id = ANY($1::text[]) ORDER BY id`, [ids],
  )).rows;
  const reviews = (await db.query<TracedReview>(
    `SELECT id, run_id, step_id, status, reason, assigned_role, decided_by, created_at, decided_at, escalated_at, escalation_level, comment
       FROM reviews WHERE run_id = ANY($1::text[]) ORDER BY created_at`, [ids],
  )).rows;
  return { runs, attempts: byRun(attempts), modelCalls: byRun(modelCalls), reviews: byRun(reviews) };
}
