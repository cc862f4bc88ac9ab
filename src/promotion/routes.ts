// Gates, sign-offs, promotion and rollback drills over HTTP. Reading a gate follows the workflow;
// signing is checked against the gate's roles in the handler (people sign in a role they hold,
// never for a version they wrote); promoting and drilling move deployments.
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, problems, sendJson, stageSchema, z, type ApiApp } from '../contract/index.js';
import { deploymentSchema, getWorkflow } from '../registry/index.js';
import { signerRoles } from '../spec/index.js';
import { listDrills, runDrill } from './drills.js';
import { evaluateGate } from './gates.js';
import { promote } from './promote.js';
import { revokeSignoff, signGate } from './signoffs.js';

const gatedStage = z.enum(['testing', 'sandbox', 'production']);

export const signoffSchema = z.object({
  id: z.number().int(), workflow_id: z.string(), version_id: z.string(), stage: gatedStage, role: z.string(),
  signed_by: z.string(), statement: z.string(),
  observed: z.object({ decided: z.number().int(), overridden: z.number().int(), errorRate: z.number() }).nullable()
    .describe('Into production: the sandbox sample as it stood when signed (the written acceptance of its error rate)'),
  signed_at: isoDate, revoked_at: isoDate.nullable(), revoked_by: z.string().nullable(),
}).openapi('GateSignoff');

export const gateReportSchema = z.object({
  workflowId: z.string(), stage: gatedStage, from: stageSchema,
  version: z.object({ id: z.string(), number: z.number().int(), createdBy: z.string().describe('The author, who may not sign') }),
  met: z.boolean(),
  items: z.array(z.object({ id: z.string(), label: z.string(), met: z.boolean(), detail: z.string(), kind: z.enum(['check', 'signoff']) })),
  signers: z.array(z.string()), signoffs: z.array(signoffSchema),
}).openapi('GateReport');

export const drillSchema = z.object({
  id: z.string(), workflow_id: z.string(), version_id: z.string(), rolled_back_to: z.string().nullable(),
  status: z.enum(['running', 'passed', 'failed']),
  steps: z.array(z.object({ step: z.string(), ok: z.boolean(), at: z.string(), detail: z.string(), version: z.string().optional(), run: z.string().optional() })),
  error: z.string().nullable(), started_by: z.string(), started_at: isoDate, finished_at: isoDate.nullable(),
}).openapi('RollbackDrill');

const idParam = z.object({ id: z.string() });

export function registerPromotionRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/gates/{stage}', tags: ['promotion'],
    summary: 'The gate into a stage for a version (the one at the stage before by default): every check and sign-off, met or missing',
    request: { params: z.object({ id: z.string(), stage: gatedStage }), query: z.object({ version: z.string().optional() }) },
    responses: { 200: jsonBody(gateReportSchema, 'The gate'), ...problems(404, 409) },
  }), async (c) => {
    const p = c.req.valid('param');
    return sendJson(c, await evaluateGate(db, { workflowId: p.id, stage: p.stage, version: c.req.valid('query').version }));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/gates/{stage}/signoffs', tags: ['promotion'],
    summary: "Sign a version's gate in one of its roles, with a written statement (never the version's author; one role per person)",
    request: {
      params: z.object({ id: z.string(), stage: gatedStage }),
      body: { content: { 'application/json': { schema: z.object({
        version: z.string().optional().describe('The version at the stage before when absent'),
        role: z.enum(signerRoles), statement: z.string().max(2000).describe('What was checked and is accepted, in words'),
      }) } }, required: true },
    },
    responses: { 201: jsonBody(signoffSchema, 'Signed'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const body = c.req.valid('json');
    const access = c.get('access');
    const version = body.version ?? String((await evaluateGate(db, { workflowId: p.id, stage: p.stage })).version.id);
    const signed = await signGate(db, {
      workflowId: p.id, version, stage: p.stage, role: body.role, statement: body.statement, actor: access.actor, actorRoles: access.reviewRolesOn(p.id),
    });
    return sendJson(c, signed, 201);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/workflows/{id}/gates/{stage}/signoffs/{signoffId}', tags: ['promotion'],
    summary: 'Withdraw a sign-off (the person who gave it, or an admin)',
    request: { params: z.object({ id: z.string(), stage: gatedStage, signoffId: z.coerce.number().int() }) },
    responses: { 200: jsonBody(signoffSchema, 'Withdrawn'), ...problems(403, 404, 409) },
  }), async (c) => {
    const p = c.req.valid('param');
    const access = c.get('access');
    return sendJson(c, await revokeSignoff(db, { workflowId: p.id, id: p.signoffId, actor: access.actor, isAdmin: access.reviewRolesOn(p.id) === 'all' }));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/promote', tags: ['promotion'],
    summary: 'Promote a version into a stage through its gate; refused (409 gate_not_met) with every unmet item as a problem',
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: z.object({ to: gatedStage, version: z.string().optional().describe('The version at the stage before when absent') }) } }, required: true },
    },
    responses: { 200: jsonBody(z.object({ deployment: deploymentSchema, gate: gateReportSchema, moved: z.boolean() }), 'Promoted'), ...problems(404, 409) },
  }), async (c) => {
    const body = c.req.valid('json');
    return sendJson(c, await promote(db, { workflowId: c.req.valid('param').id, stage: body.to, version: body.version, actor: c.get('actor') }));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/drills', tags: ['promotion'],
    summary: 'Run a rollback drill on sandbox: roll back, a run must flow on the older version, roll forward, a run must flow on the version',
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: z.object({ input: z.unknown().optional().describe("The drill runs' input; the first case of the eval dataset when absent") }) } }, required: false },
    },
    responses: { 200: jsonBody(drillSchema, 'The drill, passed or failed, with its steps'), ...problems(404, 409, 422) },
  }), async (c) => {
    const body = (c.req.valid('json') as { input?: unknown } | undefined) ?? {};
    return sendJson(c, await runDrill(db, { workflowId: c.req.valid('param').id, actor: c.get('actor'), input: body.input }));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/drills', tags: ['promotion'], summary: "A workflow's rollback drills, newest first",
    request: { params: idParam },
    responses: { 200: jsonBody(z.object({ drills: z.array(drillSchema) }), 'Drills'), ...problems(404) },
  }), async (c) => {
    const { id } = c.req.valid('param');
    await getWorkflow(db, id);
    return sendJson(c, { drills: await listDrills(db, id) });
  });
}
