// GET /metrics for existing monitoring: Keel's figures in the Prometheus text exposition format
// (version 0.0.4). Counters are sums over every hour of the rollups, which only grow, so a counter
// never goes down between scrapes; ratios over the last 24 hours and the review queue now are gauges.
import type { Db } from '../db/index.js';
import { stages } from '../registry/index.js';
import { hourOf, latencyBounds } from './rollup.js';

export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

const endStatuses = ['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'] as const;

interface TotalsRow {
  workflow_id: string; stage: string;
  succeeded: number; failed: number; rejected: number; canceled: number; outcome_unknown: number;
  approved: number; overridden: number; model_calls: number; tokens_in: number; tokens_out: number; cost_usd: number; latency_ms: number;
}
interface RecentRow { workflow_id: string; stage: string; runs: number; automated: number; reviewed: number; overridden: number }
interface LatencyRow { workflow_id: string; stage: string; value: string; runs: number }
interface QueueRow { workflow_id: string; open: number; oldest: Date | null }

/** What a scrape shows, read in one snapshot so that related series agree with each other. */
export interface PrometheusFigures {
  now: Date;
  workflows: string[];
  totals: TotalsRow[];
  recent: RecentRow[];
  latency: LatencyRow[];
  queues: QueueRow[];
}

// The workflows listed and every stage named, so that each read walks the primary keys (workflow,
// stage, ...) instead of the whole table.
const only = `workflow_id = ANY($1::text[]) AND stage = ANY('{${stages.join(',')}}'::text[])`;

/** Reads the figures of the workflows in `ids` (every one when undefined). */
export async function readPrometheusFigures(db: Db, ids: readonly string[] | undefined, now: Date): Promise<PrometheusFigures> {
  const list = ids === undefined ? null : [...ids];
  return db.transaction(async (tx) => {
    // One snapshot on PostgreSQL (PGlite has one connection, so its reads are one anyway): a run
    // counted between two statements would otherwise make +Inf and _count of a scrape disagree.
    if (db.caps.kind === 'postgres') await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const workflows = (await tx.query<{ id: string }>(`SELECT id FROM workflows WHERE ($1::text[] IS NULL OR id = ANY($1::text[])) ORDER BY id`, [list])).rows.map((r) => r.id);
    const params = [workflows];
    const totals = (await tx.query<TotalsRow>(
      `SELECT workflow_id, stage, ${['succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown', 'approved', 'overridden', 'model_calls', 'tokens_in', 'tokens_out', 'cost_usd', 'latency_ms']
        .map((c) => `sum(${c})::float8 AS ${c}`).join(', ')}
         FROM metric_hours WHERE ${only} GROUP BY workflow_id, stage ORDER BY workflow_id, stage`, params,
    )).rows;
    // The last 24 hours: the current hour and the 23 before it.
    const since = new Date(hourOf(now).getTime() - 23 * 3_600_000);
    const recent = (await tx.query<RecentRow>(
      `SELECT workflow_id, stage, sum(runs)::float8 AS runs, sum(automated)::float8 AS automated, sum(reviewed)::float8 AS reviewed,
              sum(overridden)::float8 AS overridden
         FROM metric_hours WHERE ${only} AND hour >= $2 GROUP BY workflow_id, stage ORDER BY workflow_id, stage`, [workflows, since],
    )).rows;
    const latency = (await tx.query<LatencyRow>(
      `SELECT workflow_id, stage, value, sum(runs)::float8 AS runs
         FROM metric_counts WHERE ${only} AND dimension = 'latency' GROUP BY workflow_id, stage, value`, params,
    )).rows;
    const queues = (await tx.query<QueueRow>(
      `SELECT workflow_id, count(*)::int AS open, min(created_at) AS oldest
         FROM reviews WHERE status IN ('pending', 'escalated') AND workflow_id = ANY($1::text[]) GROUP BY workflow_id`, params,
    )).rows;
    return { now, workflows, totals, recent, latency, queues };
  });
}

/** A label value or HELP text as the format wants it: backslash, double quote (labels) and newline escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

type Labels = Record<string, string>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Labels, value: number): void {
    const text = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    this.lines.push(`${name}${text ? `{${text}}` : ''} ${formatValue(value)}`);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** The latency bounds as Prometheus `le` values: seconds, as short as they print. */
export const latencyBoundsSeconds: readonly string[] = latencyBounds.map((ms) => String(ms / 1000));

/** The text a scrape answers. Every family is written with its HELP and TYPE even when it has no sample. */
export function renderPrometheus(f: PrometheusFigures): string {
  const out = new Exposition();
  const byWorkflow = <T extends { workflow_id: string }>(rows: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) m.set(r.workflow_id, [...(m.get(r.workflow_id) ?? []), r]);
    return m;
  };
  const totals = byWorkflow(f.totals);

  out.family('keel_runs_total', 'counter', 'Runs that ended, by workflow, stage and end status (from the hourly rollups).');
  for (const r of f.totals) for (const status of endStatuses) out.sample('keel_runs_total', { workflow: r.workflow_id, stage: r.stage, status }, Number(r[status]));

  out.family('keel_reviews_decided_total', 'counter', 'Review tasks people decided, by decision: approved as proposed, or overridden (edited or rejected).');
  for (const r of f.totals) {
    out.sample('keel_reviews_decided_total', { workflow: r.workflow_id, stage: r.stage, decision: 'approved' }, Number(r.approved));
    out.sample('keel_reviews_decided_total', { workflow: r.workflow_id, stage: r.stage, decision: 'overridden' }, Number(r.overridden));
  }

  const sumOf = (id: string, key: 'model_calls' | 'tokens_in' | 'tokens_out' | 'cost_usd') => (totals.get(id) ?? []).reduce((s, r) => s + Number(r[key]), 0);
  const counted = f.workflows.filter((id) => totals.has(id));
  out.family('keel_model_calls_total', 'counter', 'Model calls, counted when traced (a run still waiting for a person included).');
  for (const id of counted) out.sample('keel_model_calls_total', { workflow: id }, sumOf(id, 'model_calls'));
  out.family('keel_model_tokens_total', 'counter', 'Model tokens, by direction (input or output), counted when traced.');
  for (const id of counted) {
    out.sample('keel_model_tokens_total', { workflow: id, direction: 'input' }, sumOf(id, 'tokens_in'));
    out.sample('keel_model_tokens_total', { workflow: id, direction: 'output' }, sumOf(id, 'tokens_out'));
  }
  out.family('keel_model_cost_usd_total', 'counter', 'Model cost in US dollars from the configured prices, counted when traced.');
  for (const id of counted) out.sample('keel_model_cost_usd_total', { workflow: id }, sumOf(id, 'cost_usd'));

  const queues = new Map(f.queues.map((q) => [q.workflow_id, q]));
  out.family('keel_review_queue_size', 'gauge', 'Review tasks open now (pending or escalated).');
  for (const id of f.workflows) out.sample('keel_review_queue_size', { workflow: id }, queues.get(id)?.open ?? 0);
  out.family('keel_review_queue_oldest_age_seconds', 'gauge', 'Age of the oldest open review task; 0 when none is open.');
  for (const id of f.workflows) {
    const oldest = queues.get(id)?.oldest;
    out.sample('keel_review_queue_oldest_age_seconds', { workflow: id }, oldest ? Math.max(0, (f.now.getTime() - oldest.getTime()) / 1000) : 0);
  }

  out.family('keel_automation_coverage_ratio', 'gauge', 'Of runs that ended in the last 24 hours, those that succeeded with no review task (0-1); absent when none ended.');
  for (const r of f.recent) if (Number(r.runs) > 0) out.sample('keel_automation_coverage_ratio', { workflow: r.workflow_id, stage: r.stage }, Number(r.automated) / Number(r.runs));
  out.family('keel_human_override_ratio', 'gauge', 'Of review tasks people decided in the last 24 hours, those edited or rejected (0-1); absent when none was decided.');
  for (const r of f.recent) if (Number(r.reviewed) > 0) out.sample('keel_human_override_ratio', { workflow: r.workflow_id, stage: r.stage }, Number(r.overridden) / Number(r.reviewed));

  renderLatency(out, f);
  return out.toString();
}

function renderLatency(out: Exposition, f: PrometheusFigures): void {
  const name = 'keel_run_latency_seconds';
  out.family(name, 'histogram', 'Run latency from trigger to end. Buckets are the rollups\' own (1, 2, 5 steps from 1 ms); _sum is the sum of latencies.');
  const series = new Map<string, { workflow: string; stage: string; counts: Map<string, number> }>();
  for (const r of f.latency) {
    const key = `${r.workflow_id}\u0000${r.stage}`;
    const s = series.get(key) ?? { workflow: r.workflow_id, stage: r.stage, counts: new Map<string, number>() };
    s.counts.set(r.value, (s.counts.get(r.value) ?? 0) + Number(r.runs));
    series.set(key, s);
  }
  const sums = new Map(f.totals.map((t) => [`${t.workflow_id}\u0000${t.stage}`, Number(t.latency_ms)]));
  for (const [key, s] of [...series].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const labels = { workflow: s.workflow, stage: s.stage };
    let cumulative = 0;
    latencyBounds.forEach((ms, i) => {
      cumulative += s.counts.get(String(ms)) ?? 0;
      out.sample(`${name}_bucket`, { ...labels, le: latencyBoundsSeconds[i]! }, cumulative);
    });
    cumulative += s.counts.get('+Inf') ?? 0;
    out.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, cumulative);
    out.sample(`${name}_sum`, labels, (sums.get(key) ?? 0) / 1000);
    out.sample(`${name}_count`, labels, cumulative);
  }
}
