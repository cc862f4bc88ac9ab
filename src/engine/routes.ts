import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, stageSchema, visibleWorkflowIds, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { listModelCalls, modelCallSchema, publicModelCall } from '../models/index.js';
import { listReviews, publicReview, reviewSchema } from '../review/index.js';
import { getRun, listAttempts, listRuns } from './run-store.js';
import { acceptWebhook, startRun } from './triggers.js';
import { runPurposes, runStatuses, triggerKinds } from './types.js';

const timestamp = z.string().datetime({ offset: true }).describe('ISO 8601 timestamp');

const storedError = z.object({ code: z.string(), message: z.string(), hint: z.string().optional(), retriable: z.boolean() }).passthrough();

export const runSchema = z.object({
  id: z.string(), workflow_id: z.string(), version_id: z.string(), stage: stageSchema, status: z.enum(runStatuses),
  purpose: z.enum(runPurposes).describe('live for every trigger; eval, shadow or drill for the runs Keel starts to try a version'),
  wait_reason: z.string().nullable().describe('Why a queued or waiting run waits: retry, review, outcome_unknown, or paused (held by a pause)'),
  held_by: z.string().nullable().describe('What holds a paused run: stage (its stage is paused) or connector:<id> (the kill switch); the resume releases it'),
  trigger_kind: z.enum(triggerKinds), input: z.unknown(),
  state: z.record(z.string(), z.unknown()), current_step: z.string().nullable(), output: z.unknown(), error: storedError.nullable(),
  claims: z.number().int(), created_at: z.string(), updated_at: z.string(), started_at: z.string().nullable(), finished_at: z.string().nullable(),
}).openapi('Run');

export const attemptSchema = z.object({
  id: z.number().int(), step_id: z.string(), kind: z.string(), attempt: z.number().int(), worker: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'interrupted', 'waiting']), output: z.unknown(), error: storedError.nullable(),
  delivery: z.string().nullable(), idempotency_key: z.string().nullable(), effect: z.string().nullable(), next_step: z.string().nullable(),
  started_at: z.string(), finished_at: z.string().nullable(),
}).openapi('StepAttempt');

export const createdSchema = z.object({ run_id: z.string(), status: z.enum(runStatuses), deduplicated: z.boolean() }).openapi('RunAccepted');

export const runDetailSchema = z.object({
  run: runSchema, attempts: z.array(attemptSchema), reviews: z.array(reviewSchema),
  model_calls: z.array(modelCallSchema).describe('Every attempt to call a model: provider, reported model version, tokens, cost, latency, error class'),
}).openapi('RunDetail');

/** Public view of a run: lease internals (token, owner) stay inside. */
function publicRun<T extends { lease_token: unknown; lease_owner: unknown; dedupe_key: unknown }>(run: T) {
  const { lease_token: _t, lease_owner: _o, dedupe_key: _d, ...rest } = run;
  return rest;
}

export interface EngineRouteDeps {
  db: Db;
  /** Webhook secrets by environment variable name. */
  secrets: Readonly<Record<string, string>>;
}

/** Runs (start, list, follow) and the webhook trigger. */
export function registerEngineRoutes(app: ApiApp, deps: EngineRouteDeps): void {
  const { db } = deps;
  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/runs', tags: ['runs'], summary: 'Start a run by hand (manual trigger)',
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: z.object({ input: z.unknown(), stage: stageSchema.default('production'), idempotency_key: z.string().min(1).optional() }) } }, required: true },
    },
    responses: { 202: jsonBody(createdSchema, 'Accepted (held until the resume when the stage is paused and queues triggers)'), ...problems(400, 404, 409, 422, 503) },
  }), async (c) => {
    const body = c.req.valid('json');
    const { run, deduplicated } = await startRun(db, {
      workflowId: c.req.valid('param').id, stage: body.stage, trigger: 'manual', input: body.input ?? {},
      dedupeKey: body.idempotency_key ? `manual:${body.idempotency_key}` : undefined, requestedBy: c.get('actor'),
    });
    return sendJson(c, { run_id: run.id, status: run.status, deduplicated }, 202);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/runs', tags: ['runs'], summary: 'Runs, newest first',
    request: {
      query: z.object({
        workflow: z.string().optional(), status: z.enum(runStatuses).optional(), stage: stageSchema.optional(),
        version: z.coerce.number().int().min(1).optional().describe('Only runs of this version number; needs workflow'),
        reason: z.string().min(1).max(200).optional().describe('Runs waiting for this reason (review, retry, outcome_unknown, paused) or stopped with this error code'),
        purpose: z.enum([...runPurposes, 'any']).default('live').describe('live runs by default; eval, shadow or drill runs, or any'),
        since: timestamp.optional().describe('Runs created at or after this time'),
        until: timestamp.optional().describe('Runs created before this time'),
        before: z.string().optional().describe('Run id to page from'), limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
    },
    responses: { 200: jsonBody(z.object({ runs: z.array(runSchema) }), 'Runs'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const since = q.since === undefined ? undefined : new Date(q.since);
    const until = q.until === undefined ? undefined : new Date(q.until);
    const issues = [
      ...(q.version !== undefined && q.workflow === undefined ? [{ path: 'query.version', message: 'needs workflow: version numbers are counted per workflow' }] : []),
      ...(since && until && since >= until ? [{ path: 'query.since', message: 'must be before until' }] : []),
    ];
    if (issues.length > 0) throw new KeelError('invalid_input', 'The request query is invalid.', { problems: issues });
    const runs = await listRuns(db, {
      workflowIds: visibleWorkflowIds(c), workflowId: q.workflow, status: q.status, stage: q.stage,
      version: q.version, reason: q.reason, purpose: q.purpose, since, until, before: q.before, limit: q.limit,
    });
    return sendJson(c, { runs: runs.map(publicRun) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/runs/{id}', tags: ['runs'], summary: 'One run with every step attempt and its reviews',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonBody(runDetailSchema, 'The run'),
      ...problems(404),
    },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const run = await getRun(db, id);
    const attempts = (await listAttempts(db, id)).map(({ lease_token: _t, run_id: _r, ...a }) => a);
    const modelCalls = (await listModelCalls(db, id)).map(publicModelCall);
    return sendJson(c, { run: publicRun(run), attempts, reviews: (await listReviews(db, { runId: id })).map(publicReview), model_calls: modelCalls });
  });

  app.openapi(createRoute({
    method: 'post', path: '/hooks/{workflow}', tags: ['triggers'],
    summary: 'Webhook trigger (Standard Webhooks signature when the workflow sets a secret; deduplicated by webhook-id or Idempotency-Key)',
    request: {
      params: z.object({ workflow: z.string() }),
      query: z.object({ stage: stageSchema.default('production') }),
      // The body is read raw (not declared here) because the signature covers its exact bytes, and an
      // unsigned caller must get 401 before anything about the payload is said.
    },
    responses: {
      200: jsonBody(createdSchema, 'Already received: the first run is returned'),
      202: jsonBody(createdSchema, 'Accepted: a run was created (held until the resume when the stage is paused and queues triggers)'),
      ...problems(400, 401, 404, 409, 413, 422, 503),
    },
  }), async (c) => {
    const headers: Record<string, string | undefined> = {};
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'idempotency-key']) headers[name] = c.req.header(name);
    const { run, deduplicated } = await acceptWebhook(db, {
      workflowId: c.req.valid('param').workflow, stage: c.req.valid('query').stage, headers, rawBody: await c.req.text(), secrets: deps.secrets,
    });
    return sendJson(c, { run_id: run.id, status: run.status, deduplicated }, deduplicated ? 200 : 202);
  });
}
