// What Keel saw of its workflows, over HTTP: metrics per workflow, version, stage and time bucket
// (from the rollups), a workflow's newest traces, one whole trace (by its id, or by the Keel run it
// records), and GET /metrics for Prometheus.
// All of it only reads; every answer is narrowed to the workflows whose runs the caller may read.
import type { Context } from 'hono';
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, stageSchema, z, type ApiApp, type ApiEnv } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { getVersion, getWorkflow } from '../registry/index.js';
import { parseDuration } from '../spec/index.js';
import { readMetrics, type MetricBucket } from './metrics.js';
import { metricsSchema, traceListSchema, traceSchema } from './metrics-schemas.js';
import { prometheusContentType, readPrometheusFigures, renderPrometheus } from './prometheus.js';
import { listTraces, readTrace, type StoredSpan } from './span-store.js';
import { runTraceId, traceIdPattern } from './span.js';

export interface ObserveRouteDeps {
  db: Db;
  /** The clock windows and ages are taken at; injected by tests. */
  now?: () => Date;
}

const day = 86_400_000;

/** `7d`, `24h` (back from now) or an ISO 8601 timestamp. */
function timeOf(text: string, field: string, now: Date): Date {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text.trim()));
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw new KeelError('invalid_input', `${field} "${text}" is neither a duration nor a timestamp.`, {
      problems: [{ path: `query.${field}`, message: 'write a duration back from now (7d, 24h) or an ISO 8601 timestamp' }],
    });
  }
  return at;
}

const durationMs = (s: { startedAt: Date; endedAt: Date }) => s.endedAt.getTime() - s.startedAt.getTime();

function spanBody(s: StoredSpan) {
  return {
    trace_id: s.traceId, span_id: s.spanId, parent_span_id: s.parentSpanId, workflow_id: s.workflowId, run_id: s.runId,
    source: s.source, name: s.name, kind: s.kind, started_at: s.startedAt, ended_at: s.endedAt, duration_ms: durationMs(s),
    status: s.status, status_message: s.statusMessage, attributes: s.attributes, events: s.events, resource: s.resource, scope: s.scope,
  };
}

/** The trace answer for the spans of one trace the caller may read (at least one). */
function traceBody(traceId: string, spans: StoredSpan[]) {
  const root = spans.find((s) => s.parentSpanId === null) ?? spans[0]!;
  return {
    trace_id: traceId, workflow_id: root.workflowId, run_id: root.runId,
    started_at: new Date(Math.min(...spans.map((s) => s.startedAt.getTime()))),
    ended_at: new Date(Math.max(...spans.map((s) => s.endedAt.getTime()))),
    spans: spans.map(spanBody),
  };
}

/** Registers GET /api/metrics, GET /api/workflows/{id}/traces, GET /api/traces/{traceId}, GET /api/runs/{id}/trace and GET /metrics. */
export function registerObserveRoutes(app: ApiApp, deps: ObserveRouteDeps): void {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  app.openapi(createRoute({
    method: 'get', path: '/api/metrics', tags: ['observe'],
    summary: 'A workflow\'s metrics over a window, in total and per hour or day bucket, from the hourly rollups',
    description: 'Runs, failures by error class, latency percentiles (the upper bound of the rollup bucket each falls in), tokens and cost, '
      + 'automation coverage %, human override %, acceptance %, escalation latency, prompt success %, the review queue now, and the '
      + 'workflow\'s business metric against its baseline and target. The window is widened to whole buckets (UTC); at most 400 buckets.',
    request: {
      query: z.object({
        workflow: z.string().min(1).describe('The workflow id'),
        from: z.string().optional().describe('Start: a duration back from now (7d, 24h) or a timestamp; 7 days (hour buckets: 24 hours) before to by default'),
        to: z.string().optional().describe('End (exclusive): a timestamp; now by default'),
        bucket: z.enum(['hour', 'day']).optional().describe('day by default'),
        stage: stageSchema.optional().describe('Only this stage (external workflows count under production)'),
        version: z.string().optional().describe('Only this version (number, v3 or id)'),
      }),
    },
    responses: { 200: jsonBody(metricsSchema, 'The metrics'), ...problems(403, 404, 422) },
  }), async (c) => {
    const q = c.req.valid('query');
    // The route rule only asks for runs:read somewhere: the workflow is in the query, so it is checked here
    // (404 when the caller may not see it, as for a path parameter).
    c.get('access').require('runs:read', q.workflow);
    const at = now();
    const bucket: MetricBucket = q.bucket ?? 'day';
    const to = q.to === undefined ? at : timeOf(q.to, 'to', at);
    const from = q.from === undefined ? new Date(to.getTime() - (bucket === 'hour' ? day : 7 * day)) : timeOf(q.from, 'from', at);
    const versionId = q.version === undefined ? undefined : (await getVersion(db, q.workflow, q.version)).id;
    return sendJson(c, await readMetrics(db, { workflowId: q.workflow, from, to, bucket, stage: q.stage, versionId, now: at }));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/traces', tags: ['observe'],
    summary: 'A workflow\'s newest traces (their root spans), newest first',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        before: z.string().datetime({ offset: true }).optional().describe('Only traces that started before this (next_before of the previous page)'),
        limit: z.coerce.number().int().min(1).max(200).optional().describe('50 by default'),
      }),
    },
    responses: { 200: jsonBody(traceListSchema, 'The traces'), ...problems(404, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    await getWorkflow(db, id);
    const limit = q.limit ?? 50;
    const traces = await listTraces(db, id, { before: q.before === undefined ? undefined : new Date(q.before), limit });
    return sendJson(c, {
      workflow_id: id,
      traces: traces.map((t) => ({
        trace_id: t.traceId, workflow_id: t.workflowId, run_id: t.runId, source: t.source, name: t.name,
        started_at: t.startedAt, ended_at: t.endedAt, duration_ms: durationMs(t), status: t.status, spans: t.spans,
      })),
      next_before: traces.length === limit ? traces[traces.length - 1]!.startedAt : null,
    });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/traces/{traceId}', tags: ['observe'],
    summary: 'Every span of one trace, in start order',
    request: { params: z.object({ traceId: z.string().regex(traceIdPattern, { error: 'must be 32 lower-case hex characters' }) }) },
    responses: { 200: jsonBody(traceSchema, 'The trace'), ...problems(404, 422) },
  }), async (c) => {
    const traceId = c.req.valid('param').traceId;
    const access = c.get('access');
    // Spans of workflows whose runs the caller may not read are left out; a trace left empty is
    // answered as missing, so its existence says nothing about a private workflow.
    const spans = (await readTrace(db, traceId)).filter((s) => access.can('runs:read', s.workflowId));
    if (spans.length === 0) throw new KeelError('not_found', `No trace ${traceId}.`, { hint: 'List a workflow\'s traces with GET /api/workflows/{id}/traces.' });
    return sendJson(c, traceBody(traceId, spans));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/runs/{id}/trace', tags: ['observe'],
    summary: 'The trace of one Keel run: its spans so far, in start order',
    description: 'A run\'s spans are written by the tracer after the work they describe (about a second later); a run with none yet answers 404.',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(traceSchema, 'The trace'), ...problems(404) },
  }), async (c) => {
    // The route rule found the run and checked runs:read on its workflow; every span of a Keel run is of that workflow.
    const runId = c.req.valid('param').id;
    const traceId = runTraceId(runId);
    const spans = await readTrace(db, traceId);
    if (spans.length === 0) {
      throw new KeelError('not_found', `Run ${runId} has no spans yet.`, { hint: 'The tracer writes a run\'s spans about a second after each step ends; ask again shortly.' });
    }
    return sendJson(c, traceBody(traceId, spans));
  });

  app.openapi(createRoute({
    method: 'get', path: '/metrics', tags: ['observe'],
    summary: 'Keel\'s figures in the Prometheus text format (0.0.4), for the workflows whose runs the caller may read',
    description: 'Scrape with an API token holding runs:read (authorization: Bearer). Counters are sums over all of the hourly rollups; '
      + 'coverage and override ratios cover the last 24 hours; the review queue is now.',
    responses: { 200: { description: 'The exposition', content: { 'text/plain': { schema: z.string() } } }, ...problems(401, 403) },
  }), async (c: Context<ApiEnv>) => {
    const where = c.get('access').workflowsWhere('runs:read');
    const figures = await readPrometheusFigures(db, where === 'all' ? undefined : where, now());
    return c.body(renderPrometheus(figures), 200, { 'content-type': prometheusContentType }) as never;
  });
}
