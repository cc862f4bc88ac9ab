// The hourly rollups: what one finished run (or one batch of external spans) adds to its workflow's
// counters. Facts are summed in memory per (workflow, version, stage, hour) first, so a batch costs
// one upsert into each table whatever its size.
import type { Queryable } from '../db/index.js';

/** What a finished run adds to the rollups. Counters default to 0; `status` null adds usage only. */
export interface RunFacts {
  workflowId: string;
  /** '' for external workflows (their traces carry no Keel version). */
  versionId: string;
  stage: string;
  /** Any time in the hour the facts count in. */
  at: Date;
  status: 'succeeded' | 'failed' | 'rejected' | 'canceled' | 'outcome_unknown' | null;
  /** From the run's trigger to its end; null when unknown. */
  latencyMs?: number | null;
  automated?: boolean;
  /** Review tasks decided (approved, edited or rejected), and how. */
  reviewed?: number;
  approved?: number;
  overridden?: number;
  escalated?: number;
  escalationMs?: number;
  modelSteps?: number;
  firstTryValid?: number;
  modelCalls?: number;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  /** The workflow's business metric for this run, when the workflow says how to read it. */
  metricValue?: number | null;
  /** Distributions: error class, label, route, confidence bin, output length bin (latency is added here). */
  counts?: ReadonlyArray<{ dimension: string; value: string }>;
}

const hourMs = 3_600_000;
export function hourOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / hourMs) * hourMs);
}

/**
 * Latency buckets' upper bounds in ms: 1, 2, 5 steps from 1 ms to 2 days, then +Inf. Percentiles
 * read from them are exact to the bucket (the upper bound is reported).
 */
export const latencyBounds: readonly number[] = (() => {
  const out: number[] = [];
  for (let decade = 1; decade <= 1e8; decade *= 10) for (const m of [1, 2, 5]) out.push(m * decade);
  return out.filter((b) => b <= 2 * 86_400_000);
})();

export function latencyBucket(ms: number): string {
  const bound = latencyBounds.find((b) => ms <= b);
  return bound === undefined ? '+Inf' : String(bound);
}

/** The counters of metric_hours, in column order: what a fact adds to and what a query sums. */
export const counterColumns = [
  'runs', 'succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown', 'automated', 'reviewed', 'approved', 'overridden',
  'escalated', 'escalation_ms', 'latency_ms', 'model_steps', 'first_try_valid', 'model_calls', 'tokens_in', 'tokens_out',
  'cost_usd', 'metric_sum', 'metric_count',
] as const;
export type Counter = (typeof counterColumns)[number];

function countersOf(f: RunFacts): Record<Counter, number> {
  const ended = f.status !== null;
  return {
    runs: ended ? 1 : 0,
    succeeded: f.status === 'succeeded' ? 1 : 0,
    failed: f.status === 'failed' ? 1 : 0,
    rejected: f.status === 'rejected' ? 1 : 0,
    canceled: f.status === 'canceled' ? 1 : 0,
    outcome_unknown: f.status === 'outcome_unknown' ? 1 : 0,
    automated: f.automated ? 1 : 0,
    reviewed: f.reviewed ?? 0,
    approved: f.approved ?? 0,
    overridden: f.overridden ?? 0,
    escalated: f.escalated ?? 0,
    escalation_ms: f.escalationMs ?? 0,
    latency_ms: f.latencyMs ?? 0,
    model_steps: f.modelSteps ?? 0,
    first_try_valid: f.firstTryValid ?? 0,
    model_calls: f.modelCalls ?? 0,
    tokens_in: f.tokensIn ?? 0,
    tokens_out: f.tokensOut ?? 0,
    cost_usd: f.costUsd ?? 0,
    metric_sum: f.metricValue ?? 0,
    metric_count: f.metricValue === null || f.metricValue === undefined ? 0 : 1,
  };
}

/** Adds facts to metric_hours and metric_counts: two statements per call, however many facts. */
export async function addToRollups(db: Queryable, facts: readonly RunFacts[]): Promise<void> {
  if (facts.length === 0) return;
  const hours = new Map<string, Record<string, unknown>>();
  const counts = new Map<string, { workflow_id: string; version_id: string; stage: string; hour: string; dimension: string; value: string; runs: number }>();
  for (const f of facts) {
    const hour = hourOf(f.at).toISOString();
    const key = JSON.stringify([f.workflowId, f.versionId, f.stage, hour]);
    const row = hours.get(key) ?? { workflow_id: f.workflowId, version_id: f.versionId, stage: f.stage, hour, ...Object.fromEntries(counterColumns.map((c) => [c, 0])) };
    const add = countersOf(f);
    for (const c of counterColumns) row[c] = (row[c] as number) + add[c];
    hours.set(key, row);
    const dims = [...(f.counts ?? [])];
    if (f.status !== null && f.latencyMs !== null && f.latencyMs !== undefined) dims.push({ dimension: 'latency', value: latencyBucket(f.latencyMs) });
    for (const d of dims) {
      const ck = JSON.stringify([key, d.dimension, d.value]);
      const c = counts.get(ck) ?? { workflow_id: f.workflowId, version_id: f.versionId, stage: f.stage, hour, dimension: d.dimension, value: d.value, runs: 0 };
      c.runs += 1;
      counts.set(ck, c);
    }
  }
  const types = counterColumns.map((c) => `${c} ${c === 'escalation_ms' || c === 'latency_ms' || c === 'cost_usd' || c === 'metric_sum' ? 'double precision' : 'bigint'}`).join(', ');
  // Sorted, so that two writers touching the same rows lock them in the same order.
  const sortedHours = [...hours.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  await db.query(
    `INSERT INTO metric_hours (workflow_id, version_id, stage, hour, ${counterColumns.join(', ')})
     SELECT workflow_id, version_id, stage, hour, ${counterColumns.join(', ')}
       FROM jsonb_to_recordset($1::jsonb) AS r(workflow_id text, version_id text, stage text, hour timestamptz, ${types})
     ON CONFLICT (workflow_id, stage, hour, version_id) DO UPDATE SET
       ${counterColumns.map((c) => `${c} = metric_hours.${c} + excluded.${c}`).join(', ')}`,
    [JSON.stringify(sortedHours)],
  );
  if (counts.size === 0) return;
  const sortedCounts = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  await db.query(
    `INSERT INTO metric_counts (workflow_id, version_id, stage, hour, dimension, value, runs)
     SELECT workflow_id, version_id, stage, hour, dimension, value, runs
       FROM jsonb_to_recordset($1::jsonb) AS r(workflow_id text, version_id text, stage text, hour timestamptz, dimension text, value text, runs integer)
     ON CONFLICT (workflow_id, stage, dimension, hour, version_id, value) DO UPDATE SET runs = metric_counts.runs + excluded.runs`,
    [JSON.stringify(sortedCounts)],
  );
}
