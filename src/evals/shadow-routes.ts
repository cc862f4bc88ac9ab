// Shadow runs over HTTP, under their workflow's path so the permission table checks the workflow:
// start one, list them, read one's report (agreement, disagreements, cost and latency side by
// side), stop one.
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { getWorkflow, stages } from '../registry/index.js';
import { shadowReport } from './shadow-report.js';
import { getShadow, listShadows, maxShadowRuns, startShadow, stopShadow, type ShadowRunRow } from './shadow-runs.js';

const sideFigures = z.object({ total: z.number(), p50: z.number().nullable(), p95: z.number().nullable() });
const sideBySide = z.object({ live: sideFigures, shadow: sideFigures });

export const shadowSummarySchema = z.object({
  compared: z.number().int(),
  agreementLive: z.number().nullable().describe("Share (0 to 1) of compared pairs where the candidate's value equals the live version's"),
  agreedLive: z.number().int(),
  people: z.object({
    decided: z.number().int().describe("Pairs whose live run had a person's approve or edit on the compared step"),
    agreed: z.number().int(), agreement: z.number().nullable(),
    rejected: z.number().int().describe('Pairs a person rejected: counted apart, neither answer is known to be right'),
  }),
  liveFailed: z.number().int(), shadowFailed: z.number().int(),
  costUsd: sideBySide, latencyMs: sideBySide.describe("From a run's creation to its end; a live run's includes its wait for review"),
}).openapi('ShadowSummary');

export const shadowRunSchema = z.object({
  id: z.string(), workflow_id: z.string(), candidate_version_id: z.string(), candidate_version_number: z.number().int(),
  live_stage: z.enum(stages), compare: z.object({ path: z.string(), step: z.string().nullable() }),
  mode: z.enum(['mirror', 'replay']), replay_limit: z.number().int().nullable(), max_runs: z.number().int(), concurrency: z.number().int(),
  status: z.enum(['running', 'stopped', 'finished']), since: isoDate, cursor_at: isoDate.nullable(), cursor_run_id: z.string().nullable(),
  summary: shadowSummarySchema.nullable().describe('Set once the last pair is compared'),
  started_by: z.string(), created_at: isoDate, stopped_at: isoDate.nullable(), finished_at: isoDate.nullable(),
}).openapi('ShadowRun');

export const shadowPairSchema = z.object({
  live_run_id: z.string(), trial_run_id: z.string().nullable(), position: z.number().int(),
  live_status: z.string().nullable(), shadow_status: z.string().nullable().describe('`refused` when the candidate\'s input contract refused the event'),
  agreement_live: z.boolean().nullable(), agreement_people: z.boolean().nullable(),
  people_decision: z.enum(['approved', 'edited', 'rejected']).nullable(), review_id: z.string().nullable(),
  live_output: z.unknown(), shadow_output: z.unknown(), people_output: z.unknown(),
  live_cost_usd: z.number().nullable(), shadow_cost_usd: z.number().nullable(),
  live_latency_ms: z.number().nullable(), shadow_latency_ms: z.number().nullable(),
}).openapi('ShadowPair');

export const shadowReportSchema = z.object({
  shadow: shadowRunSchema,
  pairs: z.object({ total: z.number().int(), pending: z.number().int(), running: z.number().int(), compared: z.number().int() }),
  figures: shadowSummarySchema.describe('Over the pairs compared so far'),
  disagreements: z.array(shadowPairSchema), disagreementCount: z.number().int(),
}).openapi('ShadowReport');

const startBody = z.object({
  version: z.string().min(1).describe('The candidate: a version number (3, v3) or id, not the one live at the stage'),
  stage: z.enum(stages).optional().describe('Whose live runs are copied; production by default'),
  mode: z.enum(['mirror', 'replay']).optional().describe('mirror (default): new live runs while it runs; replay: the last max_runs live runs that ended'),
  compare: z.string().min(1).max(2000).optional().describe("JSONata over { input, steps }; the approval boundary's judged step (else the last step with an answer) when absent"),
  max_runs: z.number().int().min(1).max(maxShadowRuns).optional().describe('mirror: stop copying after this many (500); replay: how many'),
  concurrency: z.number().int().min(1).max(64).optional().describe('Shadow runs in flight at once (8)'),
});

const shadowParams = z.object({ id: z.string(), shadowId: z.string() });

async function present(db: Db, shadow: ShadowRunRow) {
  const r = await db.query<{ number: number }>(`SELECT number FROM workflow_versions WHERE id = $1`, [shadow.candidate_version_id]);
  return { ...shadow, candidate_version_number: r.rows[0]?.number ?? 0 };
}

async function shadowOf(db: Db, workflowId: string, shadowId: string): Promise<ShadowRunRow> {
  const shadow = await getShadow(db, shadowId);
  if (shadow.workflow_id !== workflowId) throw new KeelError('not_found', `Workflow ${workflowId} has no shadow run ${shadowId}.`);
  return shadow;
}

export function registerShadowRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/shadows', tags: ['evals'],
    summary: "Start a shadow: a candidate version in sandbox on copies of a stage's live runs, compared with the live version and with people",
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: startBody } }, required: true } },
    responses: { 201: jsonBody(shadowRunSchema, 'Started'), ...problems(404, 409, 422) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await getWorkflow(db, id);
    const shadow = await startShadow(db, {
      workflowId: id, version: body.version, stage: body.stage, mode: body.mode, compare: body.compare,
      maxRuns: body.max_runs, concurrency: body.concurrency, actor: c.get('actor'),
    });
    return sendJson(c, await present(db, shadow), 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/shadows', tags: ['evals'], summary: "A workflow's shadow runs, newest first",
    request: { params: z.object({ id: z.string() }), query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
    responses: { 200: jsonBody(z.object({ shadows: z.array(shadowRunSchema) }), 'Shadow runs'), ...problems(404) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    await getWorkflow(db, id);
    const shadows = await listShadows(db, id, { limit: c.req.valid('query').limit });
    return sendJson(c, { shadows: await Promise.all(shadows.map((s) => present(db, s))) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/shadows/{shadowId}', tags: ['evals'],
    summary: 'One shadow: progress, agreement with the live version and with people, disagreements (paged), cost and latency side by side',
    request: {
      params: shadowParams,
      query: z.object({
        only: z.enum(['live', 'people']).optional().describe('Only disagreements with the live version, or only with people'),
        limit: z.coerce.number().int().min(1).max(1000).default(50), offset: z.coerce.number().int().min(0).default(0),
      }),
    },
    responses: { 200: jsonBody(shadowReportSchema, 'Report'), ...problems(404) },
  }), async (c) => {
    const p = c.req.valid('param');
    await shadowOf(db, p.id, p.shadowId);
    const report = await shadowReport(db, p.shadowId, c.req.valid('query'));
    return sendJson(c, { ...report, shadow: await present(db, report.shadow) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/shadows/{shadowId}/stop', tags: ['evals'],
    summary: 'Stop a shadow: no further live run is copied; runs already copied are still compared',
    request: { params: shadowParams },
    responses: { 200: jsonBody(shadowRunSchema, 'Stopped'), ...problems(404, 409) },
  }), async (c) => {
    const p = c.req.valid('param');
    await shadowOf(db, p.id, p.shadowId);
    return sendJson(c, await present(db, await stopShadow(db, p.shadowId, c.get('actor'))));
  });
}
