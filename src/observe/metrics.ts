// A workflow's metrics over a window, per version, stage and time bucket, read only from the hourly
// rollups (metric_hours for counters, metric_counts for latency buckets and error classes): a 30-day
// query reads at most 720 rows per stage and version whatever the traffic, and never scans spans or
// runs. The live review queue comes from the open-task index of reviews, as the overview reads it.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersionById, getWorkflow, stages, type Stage, type VersionRow } from '../registry/index.js';
import {
  addCounters, businessMetric, counterNames, emptyCounters, figuresOf, measureValue, type BusinessMetric, type Figures, type Histogram,
} from './metric-figures.js';

export const metricBuckets = ['hour', 'day'] as const;
export type MetricBucket = (typeof metricBuckets)[number];
const bucketMs: Record<MetricBucket, number> = { hour: 3_600_000, day: 86_400_000 };
/** A chart of more buckets than this is unreadable and costs a long answer: narrow the window or widen the bucket. */
export const maxBuckets = 400;

export interface MetricsQuery {
  workflowId: string;
  /** Start of the window; moved back to the start of its bucket (UTC). */
  from: Date;
  /** End of the window (exclusive); moved forward to the end of its bucket. */
  to: Date;
  bucket: MetricBucket;
  /** Only this stage (external workflows count under production); every stage when absent. */
  stage?: string;
  /** Only this version (its id); every version when absent. */
  versionId?: string;
  /** The clock the queue's age and the elapsed part of the window are taken at; injected by tests. */
  now?: Date;
}

export interface SeriesPoint extends Figures {
  /** Start of the bucket. */
  start: Date;
  /** The business metric's value in this bucket; null when not measured. */
  metric_value: number | null;
}

export interface Metrics {
  workflow_id: string;
  from: Date;
  to: Date;
  bucket: MetricBucket;
  stage: Stage | null;
  version_id: string | null;
  version: number | null;
  generated_at: Date;
  totals: Figures;
  failures_by_class: Array<{ error_class: string; runs: number }>;
  latency: {
    p50_ms: number | null; p95_ms: number | null; p99_ms: number | null; mean_ms: number | null;
    /** Runs slower than the largest bucket bound (their percentile reads as that bound). */
    above_largest_bound: number;
    /** Runs per bucket, upper bound in ms (null: above the largest bound); empty buckets left out. */
    histogram: Array<{ le_ms: number | null; runs: number }>;
  };
  queue: { open: number; oldest_age_seconds: number | null };
  business_metric: BusinessMetric | null;
  series: SeriesPoint[];
}

function invalid(path: string, message: string, hint?: string): KeelError {
  return new KeelError('invalid_input', `${path} ${message}.`, { problems: [{ path, message, ...(hint ? { hint } : {}) }], ...(hint ? { hint } : {}) });
}

/** Checks the query and answers the bucket-aligned window. */
function windowOf(q: MetricsQuery): { start: number; end: number; size: number; count: number; stage: Stage | undefined } {
  if (!(metricBuckets as readonly string[]).includes(q.bucket)) throw invalid('bucket', `must be one of ${metricBuckets.join(', ')}`);
  if (Number.isNaN(q.from.getTime())) throw invalid('from', 'is not a valid time');
  if (Number.isNaN(q.to.getTime())) throw invalid('to', 'is not a valid time');
  if (q.from.getTime() >= q.to.getTime()) throw invalid('from', `(${q.from.toISOString()}) must be before to (${q.to.toISOString()})`);
  if (q.stage !== undefined && !(stages as readonly string[]).includes(q.stage)) {
    throw invalid('stage', `"${q.stage}" is not a stage; use one of ${stages.join(', ')}`);
  }
  const size = bucketMs[q.bucket];
  const start = Math.floor(q.from.getTime() / size) * size;
  const end = Math.ceil(q.to.getTime() / size) * size;
  const count = (end - start) / size;
  if (count > maxBuckets) {
    throw invalid('bucket', `would give ${count} ${q.bucket} buckets, more than ${maxBuckets}`, q.bucket === 'hour' ? 'narrow the window or use bucket=day' : 'narrow the window');
  }
  return { start, end, size, count, stage: q.stage as Stage | undefined };
}

// One row per bucket: the bucket's index from the window's start, by arithmetic on epochs so that the
// session's time zone cannot move a day's edge. `stage = ANY` lets both key columns bound the scan.
const hoursSql = `
SELECT floor(extract(epoch FROM hour - $2::timestamptz) / $6)::int AS i,
       ${counterNames.map((c) => `sum(${c})::float8 AS ${c}`).join(', ')}
  FROM metric_hours
 WHERE workflow_id = $1 AND stage = ANY($4::text[]) AND hour >= $2 AND hour < $3 AND ($5::text IS NULL OR version_id = $5)
 GROUP BY 1`;

const countsSql = `
SELECT dimension, value, floor(extract(epoch FROM hour - $2::timestamptz) / $6)::int AS i, sum(runs)::float8 AS runs
  FROM metric_counts
 WHERE workflow_id = $1 AND stage = ANY($4::text[]) AND dimension = ANY('{latency,error_class}'::text[])
   AND hour >= $2 AND hour < $3 AND ($5::text IS NULL OR version_id = $5)
 GROUP BY 1, 2, 3`;

// The queue now, whatever the window: open tasks through the open-task partial indexes, as in the
// overview. A task of an external workflow without a stage counts under production, as its spans do.
const queueSql = `
SELECT count(*)::int AS open, min(created_at) AS oldest
  FROM reviews
 WHERE workflow_id = $1 AND status IN ('pending', 'escalated') AND created_at <= $4
   AND ($2::text IS NULL OR coalesce(stage, 'production') = $2) AND ($3::text IS NULL OR version_id = $3)`;

/**
 * The metrics of one workflow over a window: totals, a series with one point per bucket (empty
 * buckets as zeros, so a chart has a continuous axis), failures by error class, latency percentiles
 * (the upper bound of the bucket each falls in; see latencyBounds), the review queue now, and the
 * workflow's business metric against its baseline and target.
 */
export async function readMetrics(db: Queryable, q: MetricsQuery): Promise<Metrics> {
  const w = windowOf(q);
  const now = q.now ?? new Date();
  const workflow = await getWorkflow(db, q.workflowId);
  const version = await shownVersion(db, workflow, q);
  const params = [q.workflowId, new Date(w.start), new Date(w.end), w.stage ? [w.stage] : [...stages], q.versionId ?? null, w.size / 1000];
  const hourRows = (await db.query<Record<string, number> & { i: number }>(hoursSql, params)).rows;
  const countRows = (await db.query<{ i: number; dimension: string; value: string; runs: number }>(countsSql, params)).rows;
  const queue = (await db.query<{ open: number; oldest: Date | null }>(queueSql, [q.workflowId, w.stage ?? null, q.versionId ?? null, now])).rows[0];

  const buckets = Array.from({ length: w.count }, () => ({ counters: emptyCounters(), latency: new Map() as Histogram }));
  const total = { counters: emptyCounters(), latency: new Map() as Histogram };
  for (const row of hourRows) {
    addCounters(buckets[row.i]!.counters, row);
    addCounters(total.counters, row);
  }
  const failures = new Map<string, number>();
  for (const row of countRows) {
    const runs = Number(row.runs);
    if (row.dimension === 'error_class') failures.set(row.value, (failures.get(row.value) ?? 0) + runs);
    else {
      for (const h of [buckets[row.i]!.latency, total.latency]) h.set(row.value, (h.get(row.value) ?? 0) + runs);
    }
  }

  const metric = version?.definition.metric;
  const elapsedDays = (Math.min(w.end, Math.max(now.getTime(), w.start)) - w.start) / 86_400_000;
  const totals = figuresOf(total.counters, total.latency);
  const series = buckets.map((b, i): SeriesPoint => {
    const figures = figuresOf(b.counters, b.latency);
    return { start: new Date(w.start + i * w.size), ...figures, metric_value: metric ? measureValue(metric, figures, w.size / 86_400_000) : null };
  });
  return {
    workflow_id: q.workflowId, from: new Date(w.start), to: new Date(w.end), bucket: q.bucket, stage: w.stage ?? null,
    version_id: q.versionId ?? null, version: q.versionId ? version?.number ?? null : null, generated_at: now,
    totals,
    failures_by_class: [...failures].map(([error_class, runs]) => ({ error_class, runs })).sort((a, b) => b.runs - a.runs || a.error_class.localeCompare(b.error_class)),
    latency: latencyBlock(totals, total.latency),
    queue: { open: queue?.open ?? 0, oldest_age_seconds: queue?.oldest ? Math.max(0, (now.getTime() - queue.oldest.getTime()) / 1000) : null },
    business_metric: metric ? businessMetric(metric, measureValue(metric, totals, elapsedDays)) : null,
    series,
  };
}

function latencyBlock(totals: Figures, histogram: Histogram): Metrics['latency'] {
  const rows = [...histogram].filter(([, runs]) => runs > 0)
    .map(([le, runs]) => ({ le_ms: le === '+Inf' ? null : Number(le), runs }))
    .sort((a, b) => (a.le_ms ?? Infinity) - (b.le_ms ?? Infinity));
  return {
    p50_ms: totals.latency_p50_ms, p95_ms: totals.latency_p95_ms, p99_ms: totals.latency_p99_ms, mean_ms: totals.latency_mean_ms,
    above_largest_bound: histogram.get('+Inf') ?? 0, histogram: rows,
  };
}

/**
 * The version whose metric block applies: the one asked for, else the one deployed at the stage
 * asked for (production when none), else the latest. Undefined for a workflow with no version.
 */
async function shownVersion(db: Queryable, workflow: Awaited<ReturnType<typeof getWorkflow>>, q: MetricsQuery): Promise<VersionRow | undefined> {
  if (q.versionId !== undefined) {
    const v = await getVersionById(db, q.versionId).catch(() => undefined);
    if (!v || v.workflow_id !== workflow.id) throw new KeelError('not_found', `Workflow ${workflow.id} has no version ${q.versionId}.`, { hint: 'List versions with `keel versions <workflow>`.' });
    return v;
  }
  const deployed = workflow.deployments.find((d) => d.stage === (q.stage ?? 'production'));
  const id = deployed?.version_id ?? workflow.latest_version_id;
  return id ? getVersionById(db, id) : undefined;
}
