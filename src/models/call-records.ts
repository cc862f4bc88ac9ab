import type { Queryable } from '../db/index.js';

/** One attempt to call a model, as stored: what an operator reads to see what a step cost and why it failed. */
export interface ModelCallRecord {
  runId: string;
  stepId: string;
  workflowId: string;
  model: string;
  provider: string;
  modelId: string;
  responseModel: string | null;
  purpose: 'call' | 'repair' | 'classify';
  attempt: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
  errorClass: string | null;
  errorMessage: string | null;
  status: number | null;
}

export interface StoredModelCall extends ModelCallRecord {
  id: number;
  createdAt: Date;
  /** The answer the step accepted, on the attempt that gave it. */
  answer: unknown;
}

interface ModelCallRow {
  id: string; run_id: string; step_id: string; workflow_id: string; model: string; provider: string; model_id: string;
  response_model: string | null; purpose: ModelCallRecord['purpose']; attempt: number; tokens_in: number; tokens_out: number;
  cost_usd: number; latency_ms: number; error_class: string | null; error_message: string | null; http_status: number | null;
  answer: unknown; created_at: Date;
}

/** Stores one attempt as soon as it ends, so a crash later in the step still leaves its cost on record. */
export async function recordModelCall(db: Queryable, record: ModelCallRecord): Promise<number> {
  const r = await db.query<{ id: string }>(
    `INSERT INTO model_calls (run_id, step_id, workflow_id, model, provider, model_id, response_model, purpose, attempt,
       tokens_in, tokens_out, cost_usd, latency_ms, error_class, error_message, http_status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
    [record.runId, record.stepId, record.workflowId, record.model, record.provider, record.modelId, record.responseModel,
      record.purpose, record.attempt, record.tokensIn, record.tokensOut, record.costUsd, Math.round(record.latencyMs),
      record.errorClass, record.errorMessage?.slice(0, 2000) ?? null, record.status],
  );
  return Number(r.rows[0]!.id);
}

/** Marks the attempt whose answer the step accepted; written before the step's own result is stored. */
export async function keepAcceptedAnswer(db: Queryable, callId: number, answer: unknown): Promise<void> {
  await db.query(`UPDATE model_calls SET answer = $2::jsonb WHERE id = $1`, [callId, JSON.stringify(answer ?? null)]);
}

/**
 * The answer a model already gave this visit of the step, if a crash came between the answer and the
 * step's stored result. A visit starts after the step's last successful attempt (a loop may visit a
 * step again, and that visit deserves a fresh answer).
 */
export async function findAcceptedAnswer(db: Queryable, runId: string, stepId: string): Promise<{ answer: unknown; model: string } | undefined> {
  const r = await db.query<{ answer: unknown; model: string }>(
    `SELECT answer, model FROM model_calls
      WHERE run_id = $1 AND step_id = $2 AND answer IS NOT NULL
        AND created_at > coalesce((SELECT max(finished_at) FROM step_attempts
                                    WHERE run_id = $1 AND step_id = $2 AND status = 'succeeded'), '-infinity'::timestamptz)
      ORDER BY id DESC LIMIT 1`,
    [runId, stepId],
  );
  return r.rows[0];
}

/** Every model attempt of a run, oldest first. */
export async function listModelCalls(db: Queryable, runId: string): Promise<StoredModelCall[]> {
  const r = await db.query<ModelCallRow>(`SELECT * FROM model_calls WHERE run_id = $1 ORDER BY id`, [runId]);
  return r.rows.map((row) => ({
    id: Number(row.id), runId: row.run_id, stepId: row.step_id, workflowId: row.workflow_id, model: row.model,
    provider: row.provider, modelId: row.model_id, responseModel: row.response_model, purpose: row.purpose,
    attempt: row.attempt, tokensIn: row.tokens_in, tokensOut: row.tokens_out, costUsd: Number(row.cost_usd),
    latencyMs: row.latency_ms, errorClass: row.error_class, errorMessage: row.error_message, status: row.http_status,
    answer: row.answer, createdAt: row.created_at,
  }));
}
