// The answers of the metrics and trace routes, as the OpenAPI document, the CLI and the dashboard
// see them.
import { isoDate, stageSchema, z } from '../contract/index.js';
import { metricMeasures } from '../spec/index.js';

const count = (what: string) => z.number().describe(what);
const pct = (what: string) => z.number().nullable().describe(`${what}, 0 to 100; null when there is nothing to divide by`);
const latency = (p: string) => z.number().nullable()
  .describe(`${p} latency from trigger to end: the upper bound (ms) of the bucket it falls in (1, 2, 5 steps); above the largest bound (1e8 ms) it reads as that bound; null when no run ended`);

const figures = {
  runs: count('Runs that ended (succeeded, failed, rejected, canceled, outcome_unknown)'),
  succeeded: count('Runs that succeeded'), failed: count('Runs that failed'), rejected: count('Runs a person rejected'),
  canceled: count('Runs canceled'), outcome_unknown: count('Runs whose side effect is in doubt'),
  automated: count('Runs that succeeded with no review task'),
  reviewed: count('Review tasks people decided (approved, edited, rejected)'),
  approved: count('Of those, approved as proposed'), overridden: count('Of those, edited or rejected'),
  escalated: count('Escalated review tasks people decided'), escalation_ms: count('Sum of ms from escalation to decision over those'),
  latency_ms: count('Sum of run latencies (ms)'),
  model_steps: count('Steps that called a model and succeeded, counted as they finish (a run still waiting included)'),
  first_try_valid: count('Of those, valid on the first call (no repair, no retry)'),
  model_calls: count('Model calls, counted as they are traced'), tokens_in: count('Input tokens of those calls'), tokens_out: count('Output tokens of those calls'),
  cost_usd: count('Model cost in US dollars of those calls, from the configured prices'),
  metric_sum: count('Sum of the business metric values reported per run'), metric_count: count('Runs that reported one'),
  coverage_pct: pct('automated / runs: work acted on without a person'),
  override_pct: pct('overridden / reviewed'),
  acceptance_pct: pct('approved / reviewed'),
  failure_pct: pct('failed / runs'),
  prompt_success_pct: pct('first_try_valid / model_steps'),
  escalation_mean_ms: z.number().nullable().describe('escalation_ms / escalated'),
  latency_mean_ms: z.number().nullable().describe('Mean run latency (ms)'),
  latency_p50_ms: latency('Median'), latency_p95_ms: latency('95th percentile'), latency_p99_ms: latency('99th percentile'),
  cost_per_run_usd: z.number().nullable().describe('cost_usd / runs: the window\'s model cost per run that ended in it'),
  metric_mean: z.number().nullable().describe('metric_sum / metric_count'),
};

export const metricFiguresSchema = z.object(figures).openapi('MetricFigures');

export const businessMetricSchema = z.object({
  name: z.string(), unit: z.string().nullable(),
  measure: z.enum(metricMeasures).nullable().describe('Which of Keel\'s figures the metric is; null when reported per run or not measured'),
  per_run: z.boolean(),
  value: z.number().nullable().describe('The current value over the window, in unit; null when not measured or nothing measured yet'),
  baseline: z.number().nullable(), target: z.number().nullable(),
  better: z.enum(['higher', 'lower']).nullable().describe('From baseline to target when they differ, else the measure\'s own direction'),
  beats_baseline: z.boolean().nullable().describe('value is better than baseline'),
  meets_target: z.boolean().nullable().describe('value is at least as good as target'),
}).openapi('BusinessMetric');

export const metricsSchema = z.object({
  workflow_id: z.string(),
  from: isoDate.describe('Start of the window, moved back to the start of its bucket (UTC)'),
  to: isoDate.describe('End of the window (exclusive), moved forward to the end of its bucket'),
  bucket: z.enum(['hour', 'day']), stage: stageSchema.nullable(),
  version_id: z.string().nullable(), version: z.number().int().nullable(), generated_at: isoDate,
  totals: metricFiguresSchema,
  failures_by_class: z.array(z.object({ error_class: z.string(), runs: z.number() })).describe('Failed runs by error code, most first'),
  latency: z.object({
    p50_ms: z.number().nullable(), p95_ms: z.number().nullable(), p99_ms: z.number().nullable(), mean_ms: z.number().nullable(),
    above_largest_bound: z.number().describe('Runs slower than 1e8 ms (about 28 hours)'),
    histogram: z.array(z.object({ le_ms: z.number().nullable().describe('Upper bound; null: above the largest'), runs: z.number() })),
  }),
  queue: z.object({
    open: z.number().int().describe('Review tasks open now (pending or escalated), whatever the window'),
    oldest_age_seconds: z.number().nullable(),
  }),
  business_metric: businessMetricSchema.nullable().describe('The workflow file\'s metric (of the version shown); null when it declares none'),
  series: z.array(z.object({ start: isoDate, ...figures, metric_value: z.number().nullable() }))
    .describe('One point per bucket from from to to, empty buckets as zeros'),
}).openapi('Metrics');

const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))]);
const attributes = z.record(z.string(), attributeValue);

export const traceSummarySchema = z.object({
  trace_id: z.string(), workflow_id: z.string(), run_id: z.string().nullable(), source: z.enum(['keel', 'otlp']),
  name: z.string().describe('The root span\'s name'), started_at: isoDate, ended_at: isoDate, duration_ms: z.number(),
  status: z.enum(['unset', 'ok', 'error']), spans: z.number().int(),
}).openapi('TraceSummary');

export const traceListSchema = z.object({
  workflow_id: z.string(), traces: z.array(traceSummarySchema),
  next_before: isoDate.nullable().describe('Pass as before for the next page; null at the end'),
}).openapi('TraceList');

export const spanSchema = z.object({
  trace_id: z.string(), span_id: z.string(), parent_span_id: z.string().nullable(), workflow_id: z.string(), run_id: z.string().nullable(),
  source: z.enum(['keel', 'otlp']), name: z.string(), kind: z.enum(['internal', 'server', 'client', 'producer', 'consumer']),
  started_at: isoDate, ended_at: isoDate, duration_ms: z.number(),
  status: z.enum(['unset', 'ok', 'error']), status_message: z.string().nullable(),
  attributes: attributes.describe('OpenTelemetry attributes (GenAI semantic conventions on model calls), redacted before they were stored'),
  events: z.array(z.object({ name: z.string(), time: isoDate, attributes: attributes.optional() })).nullable(),
  resource: attributes.nullable(), scope: z.string().nullable(),
}).openapi('Span');

export const traceSchema = z.object({
  trace_id: z.string(), workflow_id: z.string(), run_id: z.string().nullable(),
  started_at: isoDate, ended_at: isoDate, spans: z.array(spanSchema).describe('In start order'),
}).openapi('Trace');
