import type { Db } from '../db/index.js';
import { createRoute, diffEntrySchema, jsonBody, problems, sendJson, stageSchema, visibleWorkflowIds, z, type ApiApp } from '../contract/index.js';
import { validateWorkflowText } from '../spec/index.js';
import { deployWorkflow, type StageCheck } from './deploy.js';
import { diffDefinitions } from './diff.js';
import { setPaused } from './pause.js';
import { rollbackStage } from './rollback.js';
import { getVersion, getWorkflow, listVersions, listWorkflows, moveDeployment } from './queries.js';

export const deploymentSchema = z.object({
  workflow_id: z.string(), stage: stageSchema, version_id: z.string(), version_number: z.number().int(),
  paused: z.boolean(),
  paused_at: z.string().nullable().describe('When the stage was paused; null while it runs'),
  paused_by: z.string().nullable().describe('Who paused it: a person, or monitor:<id> when a stop condition fired'),
  pause_reason: z.string().nullable().describe('Why, as the pauser wrote it (shown to refused senders)'),
  deployed_by: z.string(), deployed_at: z.string(),
}).openapi('Deployment');

export const workflowSchema = z.object({
  id: z.string(), kind: z.enum(['managed', 'external']), title: z.string(), owner: z.string(), team: z.string().nullable(),
  risk: z.enum(['low', 'medium', 'high']), latest_version_id: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
  deployments: z.array(deploymentSchema),
}).openapi('Workflow');

export const versionSummarySchema = z.object({
  id: z.string(), workflow_id: z.string(), number: z.number().int(), content_hash: z.string(),
  source_name: z.string().nullable(), created_by: z.string(), created_at: z.string(),
}).openapi('VersionSummary');

export const versionSchema = versionSummarySchema.extend({
  definition: z.record(z.string(), z.unknown()), source: z.string(),
}).openapi('Version');

export const diffSchema = z.object({
  from: z.string(), to: z.string(),
  changes: z.array(diffEntrySchema),
}).openapi('VersionDiff');

export const deployResultSchema = z.object({
  workflow: workflowSchema.omit({ deployments: true }), version: versionSummarySchema, version_created: z.boolean(), deployment_changed: z.boolean(),
}).openapi('DeployResult');

const deployBody = z.object({
  source: z.string().min(1).describe('The workflow file (YAML)'),
  source_name: z.string().default('workflow.yaml').describe('File name used in error positions'),
  stage: stageSchema.default('testing'),
});

const pauseBody = z.object({ reason: z.string().max(2000).optional().describe('Why; recorded on the deployment and in the audit log') });

const idParam = z.object({ id: z.string() });
const stageParams = z.object({ id: z.string(), stage: stageSchema });

/** Workflows, versions and deployments. */
export function registerRegistryRoutes(app: ApiApp, db: Db, checkStage?: StageCheck): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows', tags: ['registry'], summary: 'List every workflow with its deployments',
    responses: { 200: jsonBody(z.object({ workflows: z.array(workflowSchema) }), 'The registry') },
  }), async (c) => sendJson(c, { workflows: await listWorkflows(db, visibleWorkflowIds(c)) }));

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/validate', tags: ['registry'], summary: 'Check a workflow file without storing it',
    request: { body: { content: { 'application/json': { schema: deployBody.pick({ source: true, source_name: true }) } }, required: true } },
    responses: { 200: jsonBody(z.object({ ok: z.boolean(), problems: z.array(z.object({ path: z.string(), message: z.string(), hint: z.string().optional() })) }), 'Every problem at once') },
  }), async (c) => {
    const body = c.req.valid('json');
    const result = validateWorkflowText(body.source, body.source_name);
    return sendJson(c, result.ok ? { ok: true, problems: [] } : { ok: false, problems: result.problems });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/deploy', tags: ['registry'],
    summary: 'Store a version (once per content) and point a stage at it; a file with any problem is never deployed',
    request: { body: { content: { 'application/json': { schema: deployBody } }, required: true } },
    responses: {
      200: jsonBody(deployResultSchema, 'Deployed'),
      ...problems(400, 409, 422),
    },
  }), async (c) => {
    const body = c.req.valid('json');
    const access = c.get('access');
    const r = await deployWorkflow(db, {
      source: body.source, sourceName: body.source_name, stage: body.stage, actor: access.actor, checkStage,
      authorize: (workflowId, exists) => access.require('workflows:deploy', exists ? workflowId : undefined),
    });
    const { definition: _d, source: _s, ...version } = r.version;
    return sendJson(c, { workflow: r.workflow, version, version_created: r.versionCreated, deployment_changed: r.deploymentChanged });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}', tags: ['registry'], summary: 'One workflow with its deployments',
    request: { params: idParam }, responses: { 200: jsonBody(workflowSchema, 'The workflow'), ...problems(404) },
  }), async (c) => sendJson(c, await getWorkflow(db, c.req.valid('param').id)));

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/versions', tags: ['registry'], summary: 'Versions, newest first',
    request: { params: idParam }, responses: { 200: jsonBody(z.object({ versions: z.array(versionSummarySchema) }), 'Versions'), ...problems(404) },
  }), async (c) => sendJson(c, { versions: await listVersions(db, c.req.valid('param').id) }));

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/versions/{version}', tags: ['registry'], summary: 'One version by number (3, v3) or id',
    request: { params: z.object({ id: z.string(), version: z.string() }) },
    responses: { 200: jsonBody(versionSchema, 'The version'), ...problems(404) },
  }), async (c) => {
    const p = c.req.valid('param');
    return sendJson(c, await getVersion(db, p.id, p.version));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/diff', tags: ['registry'], summary: 'What changed between two versions',
    request: { params: idParam, query: z.object({ from: z.string(), to: z.string() }) },
    responses: {
      200: jsonBody(diffSchema, 'The diff'),
      ...problems(404),
    },
  }), async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const [from, to] = await Promise.all([getVersion(db, id, q.from), getVersion(db, id, q.to)]);
    return sendJson(c, { from: from.id, to: to.id, changes: diffDefinitions(from.definition, to.definition) });
  });

  app.openapi(createRoute({
    method: 'put', path: '/api/workflows/{id}/deployments/{stage}', tags: ['registry'],
    summary: "Point a stage at an existing version: a version the stage ran before, or one that meets the stage's gate",
    request: { params: stageParams, body: { content: { 'application/json': { schema: z.object({ version: z.string() }) } }, required: true } },
    responses: { 200: jsonBody(deploymentSchema, 'The deployment'), ...problems(404, 409, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    return sendJson(c, await moveDeployment(db, p.id, p.stage, c.req.valid('json').version, c.get('actor'), checkStage));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/deployments/{stage}/rollback', tags: ['registry'],
    summary: 'Roll a stage back to the version it ran before the current one (runs in flight finish on their own version)',
    request: { params: stageParams },
    responses: {
      200: jsonBody(z.object({ deployment: deploymentSchema, from: z.object({ id: z.string(), number: z.number().int() }) }), 'The stage after the rollback, and the version it left'),
      ...problems(404, 409),
    },
  }), async (c) => {
    const p = c.req.valid('param');
    return sendJson(c, await rollbackStage(db, p.id, p.stage, c.get('actor')));
  });

  for (const action of ['pause', 'resume'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/workflows/{id}/deployments/{stage}/${action}`, tags: ['registry'],
      summary: action === 'pause'
        ? 'Pause a stage: new triggers are refused (503) or queued, runs in flight finish or wait, as the workflow\'s on_pause says'
        : 'Resume a stage: triggers are accepted again and the runs its pause held go on',
      request: { params: stageParams, body: { content: { 'application/json': { schema: pauseBody } }, required: false } },
      responses: { 200: jsonBody(deploymentSchema, 'The deployment'), ...problems(404, 409, 422) },
    }), async (c) => {
      const p = c.req.valid('param');
      const body = c.req.valid('json') as z.infer<typeof pauseBody> | undefined;
      return sendJson(c, await setPaused(db, p.id, p.stage, action === 'pause', c.get('actor'), { reason: body?.reason }));
    });
  }
}
