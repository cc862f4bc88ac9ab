// Eval runs over HTTP, under their workflow's path so the permission table checks the workflow:
// start one, list them, read one with its progress and figures, page through its case results,
// cancel it, and compare two.
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { getWorkflow } from '../registry/index.js';
import { compareEvalRuns } from './eval-compare.js';
import { cancelEvalRun, getEvalRun, listEvalResults, listEvalRuns, startEvalRun, type EvalRunRow } from './eval-runs.js';

const interval = z.object({ low: z.number(), high: z.number() });

export const evalRunSchema = z.object({
  id: z.string(), workflow_id: z.string(), version_id: z.string(), version_number: z.number().int(),
  dataset: z.string(), dataset_version: z.number().int(),
  status: z.enum(['running', 'finished', 'failed', 'canceled']),
  concurrency: z.number().int(), threshold: z.number(),
  total: z.number().int(), done: z.number().int().describe('Cases scored so far'), passed: z.number().int(),
  summary: z.object({
    scorers: z.array(z.record(z.string(), z.unknown())).describe('Per scorer: cases, passed, pass rate, mean score, cost; a label scorer adds accuracy, per-label precision/recall/F1, macro-F1 and the confusion counts'),
    passRate: z.number(), interval: interval.describe("The pass rate's 95 % Wilson interval"),
    meetsThreshold: z.boolean().describe("The interval's lower bound reaches the threshold (what the promotion gate reads)"),
    runErrors: z.number().int(), costUsd: z.number(),
    latencyMs: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() }),
    durationMs: z.number(),
  }).nullable().describe('Set when the last case is scored'),
  error: z.record(z.string(), z.unknown()).nullable(),
  started_by: z.string(), created_at: isoDate, finished_at: isoDate.nullable(),
}).openapi('EvalRun');

export const evalResultSchema = z.object({
  case_id: z.string(), position: z.number().int(), run_id: z.string().nullable(),
  status: z.enum(['pending', 'running', 'scored']), passed: z.boolean().nullable(),
  scores: z.array(z.record(z.string(), z.unknown())).nullable().describe('One verdict per scorer: passed, score, detail'),
  run_status: z.string().nullable().describe('How the case\'s run ended; `refused` when the input contract refused the case'),
  error: z.record(z.string(), z.unknown()).nullable(), cost_usd: z.number().nullable(), latency_ms: z.number().nullable(),
}).openapi('EvalResult');

const caseChange = z.object({
  case_id: z.string(),
  a: z.object({ passed: z.boolean(), run_id: z.string().nullable(), failed_scorers: z.array(z.string()) }),
  b: z.object({ passed: z.boolean(), run_id: z.string().nullable(), failed_scorers: z.array(z.string()) }),
});

export const evalComparisonSchema = z.object({
  a: evalRunSchema, b: evalRunSchema,
  regressed: z.array(caseChange).describe('Passed in a, failed in b'), improved: z.array(caseChange).describe('Failed in a, passed in b'),
  unchanged: z.object({ passed: z.number().int(), failed: z.number().int() }),
  onlyInA: z.number().int(), onlyInB: z.number().int(),
}).openapi('EvalComparison');

const startBody = z.object({
  version: z.string().optional().describe("A version number (3, v3) or id; the workflow's latest version when absent"),
  dataset: z.string().optional().describe("The workflow file's evals.dataset when absent"),
  dataset_version: z.number().int().min(1).optional().describe('The latest version of the dataset when absent'),
  concurrency: z.number().int().min(1).max(64).optional().describe("Cases in flight at once; the file's evals.concurrency, else 8"),
});

const evalParams = z.object({ id: z.string(), evalId: z.string() });

/** An eval run as answered: its version's number beside the id, so people read "v3". */
async function present(db: Db, run: EvalRunRow) {
  const r = await db.query<{ number: number }>(`SELECT number FROM workflow_versions WHERE id = $1`, [run.version_id]);
  return { ...run, version_number: r.rows[0]?.number ?? 0 };
}

/** The eval run, if it belongs to the workflow in the path (else 404, as for a run of a workflow one cannot see). */
async function evalOf(db: Db, workflowId: string, evalId: string): Promise<EvalRunRow> {
  const run = await getEvalRun(db, evalId);
  if (run.workflow_id !== workflowId) throw new KeelError('not_found', `Workflow ${workflowId} has no eval run ${evalId}.`);
  return run;
}

export function registerEvalRunRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/evals', tags: ['evals'],
    summary: 'Start an eval run: a version in sandbox against a dataset version (actions recorded, never sent; nobody asked to review)',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: startBody } }, required: false } },
    responses: { 201: jsonBody(evalRunSchema, 'Started'), ...problems(404, 409, 422) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const body = (c.req.valid('json') as z.infer<typeof startBody> | undefined) ?? {};
    await getWorkflow(db, id);
    const run = await startEvalRun(db, {
      workflowId: id, version: body.version, dataset: body.dataset, datasetVersion: body.dataset_version, concurrency: body.concurrency, actor: c.get('actor'),
    });
    return sendJson(c, await present(db, run), 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/evals', tags: ['evals'], summary: "A workflow's eval runs, newest first",
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({ version: z.string().optional().describe('Only runs of this version id'), limit: z.coerce.number().int().min(1).max(200).default(20) }),
    },
    responses: { 200: jsonBody(z.object({ evals: z.array(evalRunSchema) }), 'Eval runs'), ...problems(404) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await getWorkflow(db, id);
    const runs = await listEvalRuns(db, id, { versionId: q.version, limit: q.limit });
    return sendJson(c, { evals: await Promise.all(runs.map((r) => present(db, r))) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/evals/compare', tags: ['evals'],
    summary: 'Two finished eval runs case by case: regressed (passed in a, failed in b) and improved',
    request: { params: z.object({ id: z.string() }), query: z.object({ a: z.string(), b: z.string() }) },
    responses: { 200: jsonBody(evalComparisonSchema, 'Comparison'), ...problems(404, 409, 422) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    await evalOf(db, id, q.a);
    await evalOf(db, id, q.b);
    const comparison = await compareEvalRuns(db, q.a, q.b);
    return sendJson(c, { ...comparison, a: await present(db, comparison.a), b: await present(db, comparison.b) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/evals/{evalId}', tags: ['evals'], summary: 'One eval run: progress while it runs, figures once finished',
    request: { params: evalParams },
    responses: { 200: jsonBody(evalRunSchema, 'Eval run'), ...problems(404) },
  }), async (c) => {
    const p = c.req.valid('param');
    return sendJson(c, await present(db, await evalOf(db, p.id, p.evalId)));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/evals/{evalId}/results', tags: ['evals'], summary: "An eval run's case results in the dataset's order",
    request: {
      params: evalParams,
      query: z.object({
        only: z.enum(['failed', 'passed']).optional(),
        limit: z.coerce.number().int().min(1).max(5000).default(100), offset: z.coerce.number().int().min(0).default(0),
      }),
    },
    responses: { 200: jsonBody(z.object({ results: z.array(evalResultSchema) }), 'Case results'), ...problems(404) },
  }), async (c) => {
    const p = c.req.valid('param');
    await evalOf(db, p.id, p.evalId);
    return sendJson(c, { results: await listEvalResults(db, p.evalId, c.req.valid('query')) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/evals/{evalId}/cancel', tags: ['evals'], summary: 'Cancel a running eval run: no further case starts',
    request: { params: evalParams },
    responses: { 200: jsonBody(evalRunSchema, 'Canceled'), ...problems(404, 409) },
  }), async (c) => {
    const p = c.req.valid('param');
    await evalOf(db, p.id, p.evalId);
    return sendJson(c, await present(db, await cancelEvalRun(db, p.evalId, c.get('actor'))));
  });
}
