// Monitors, incidents and drift over HTTP: a workflow's rules (from its file and through the API)
// with their current state, creating and deleting API rules, the incidents list and acknowledging
// one, and a workflow's drift report. Changing monitors is an operation on the workflow, so it needs
// deployments:write there (its owner, builders, admins).
import { recordAudit } from '../audit/index.js';
import { randomBytes } from 'node:crypto';
import { connectorKinds, monitorNotifyProblems } from '../connectors/index.js';
import { createRoute, jsonBody, problems, sendJson, stageSchema, visibleWorkflowIds, z, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersionById, getWorkflow } from '../registry/index.js';
import { monitorSchema, parseDuration, type MonitorSpec } from '../spec/index.js';
import { readDrift, type DriftReport } from './drift.js';
import { acknowledgeIncident, getIncident, listIncidents, type IncidentRow } from './incidents.js';
import { driftSchema, incidentListSchema, incidentSchema, monitorListSchema, monitorRuleSchema, monitorViewSchema } from './monitor-schemas.js';
import { listMonitorRules } from './monitor-rules.js';

export interface MonitorRouteDeps {
  db: Db;
  now?: () => Date;
}

function driftBody(r: DriftReport) {
  return {
    workflow_id: r.workflowId, stage: r.stage,
    windows: { recent_from: r.windows.recentFrom, baseline_from: r.windows.baselineFrom, to: r.windows.to },
    features: r.features.map((f) => ({
      dimension: f.dimension, psi: f.psi, level: f.level, baseline_cases: f.baselineCases, recent_cases: f.recentCases,
      movers: f.movers.map((m) => ({ value: m.value, baseline_pct: m.baselinePct, recent_pct: m.recentPct })),
    })),
    index: r.index,
    acceptance: { baseline_pct: r.acceptance.baselinePct, recent_pct: r.acceptance.recentPct, relative_change_pct: r.acceptance.relativeChangePct },
  };
}

function incidentBody(i: IncidentRow) {
  return { ...i, value: i.value === null ? null : Number(i.value), threshold: i.threshold === null ? null : Number(i.threshold) };
}

async function monitorViews(db: Db, workflowId: string) {
  const rules = await listMonitorRules(db, [workflowId]);
  const states = await db.query<{ monitor_key: string; state: string; value: number | null; detail: Record<string, unknown>; evaluated_at: Date; changed_at: Date }>(
    `SELECT monitor_key, state, value, detail, evaluated_at, changed_at FROM monitor_states WHERE workflow_id = $1`, [workflowId],
  );
  const byKey = new Map(states.rows.map((s) => [s.monitor_key, s]));
  return rules.map((r) => {
    const s = byKey.get(r.key);
    return {
      key: r.key, id: r.id, source: r.source, workflow_id: r.workflowId, rule: r.rule,
      state: s ? { state: s.state, value: s.value === null ? null : Number(s.value), summary: String(s.detail.summary ?? ''), evaluated_at: s.evaluated_at, since: s.changed_at } : null,
    };
  });
}

/** An API rule's notify entries must reach connectors the workflow may use, as a file's would. */
async function checkNotify(db: Db, workflowId: string, rule: MonitorSpec): Promise<void> {
  const workflow = await getWorkflow(db, workflowId);
  if (rule.notify.length === 0) return;
  const latest = workflow.latest_version_id ? (await getVersionById(db, workflow.latest_version_id)).definition : undefined;
  const problemsFound = await monitorNotifyProblems(db, connectorKinds, latest?.access ?? [], rule);
  if (problemsFound.length > 0) {
    throw new KeelError('invalid_input', `The monitor's notify list names actions the workflow may not use.`, { problems: problemsFound });
  }
}

export function registerMonitorRoutes(app: ApiApp, deps: MonitorRouteDeps): void {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/monitors', tags: ['observe'],
    summary: 'A workflow\'s monitors (from its file and through the API) with their current state',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(monitorListSchema, 'The monitors'), ...problems(404) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    await getWorkflow(db, id);
    return sendJson(c, { workflow_id: id, monitors: await monitorViews(db, id) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/monitors', tags: ['observe'],
    summary: 'Add a monitor to a workflow (the same rule a workflow file writes under runbook.monitors)',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: monitorRuleSchema } }, required: true } },
    responses: { 201: jsonBody(monitorViewSchema, 'The monitor'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const parsed = monitorSchema.safeParse(c.req.valid('json'));
    if (!parsed.success) {
      throw new KeelError('invalid_input', 'The monitor is invalid.', { problems: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })) });
    }
    const rule = parsed.data;
    await checkNotify(db, id, rule);
    if ((await listMonitorRules(db, [id])).some((r) => r.rule.name === rule.name)) {
      throw new KeelError('conflict', `Workflow ${id} already has a monitor named "${rule.name}".`, { hint: 'Pick another name, or delete the API monitor first (a file monitor changes in its file).' });
    }
    const monitorId = `mon_${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
    const actor = c.get('actor');
    await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO monitors (id, workflow_id, name, rule, created_by) VALUES ($1, $2, $3, $4::jsonb, $5)`, [monitorId, id, rule.name, JSON.stringify(rule), actor]);
      await recordAudit(tx, { actor, action: 'monitor:created', subjectType: 'workflow', subjectId: id, data: { monitor: monitorId, rule } });
    });
    const view = (await monitorViews(db, id)).find((m) => m.key === monitorId)!;
    return sendJson(c, view, 201);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/monitors/{id}', tags: ['observe'],
    summary: 'Delete a monitor made through the API (a file monitor changes in its file); its incidents stay',
    request: { params: z.object({ id: z.string() }) },
    responses: { 204: { description: 'Deleted' }, ...problems(403, 404) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const found = await db.query<{ workflow_id: string }>(`SELECT workflow_id FROM monitors WHERE id = $1 AND deleted_at IS NULL`, [id]);
    const monitor = found.rows[0];
    if (!monitor || !c.get('access').can('workflows:read', monitor.workflow_id)) throw new KeelError('not_found', `No monitor ${id}.`);
    c.get('access').require('deployments:write', monitor.workflow_id);
    const actor = c.get('actor');
    await db.transaction(async (tx) => {
      await tx.query(`UPDATE monitors SET deleted_at = now(), deleted_by = $2 WHERE id = $1`, [id, actor]);
      await tx.query(`DELETE FROM monitor_states WHERE monitor_key = $1`, [id]);
      await recordAudit(tx, { actor, action: 'monitor:deleted', subjectType: 'workflow', subjectId: monitor.workflow_id, data: { monitor: id } });
    });
    return c.body(null, 204);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/incidents', tags: ['observe'],
    summary: 'Incidents monitors opened, newest first (open ones stay until acknowledged)',
    request: {
      query: z.object({
        status: z.enum(['open', 'acknowledged']).optional(),
        workflow: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).optional().describe('100 by default'),
      }),
    },
    responses: { 200: jsonBody(incidentListSchema, 'The incidents'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const incidents = await listIncidents(db, { workflowIds: visibleWorkflowIds(c), workflowId: q.workflow, status: q.status, limit: q.limit ?? 100 });
    return sendJson(c, { incidents: incidents.map(incidentBody) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/incidents/{id}/acknowledge', tags: ['observe'],
    summary: 'Acknowledge an incident: it leaves the open list (a paused stage stays paused until resumed)',
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: z.object({ note: z.string().max(2000).optional() }).strict() } }, required: false },
    },
    responses: { 200: jsonBody(incidentSchema, 'The incident'), ...problems(403, 404, 409) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const incident = await getIncident(db, id).catch(() => null);
    if (!incident || !c.get('access').can('workflows:read', incident.workflow_id)) throw new KeelError('not_found', `No incident ${id}.`);
    c.get('access').require('deployments:write', incident.workflow_id);
    const body = (await c.req.json().catch(() => ({}))) as { note?: string };
    return sendJson(c, incidentBody(await acknowledgeIncident(db, { id, actor: c.get('actor'), note: body.note })));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/drift', tags: ['observe'],
    summary: 'How far the recent window\'s labels, routes, confidence and output length moved from the baseline window (PSI), and the acceptance rate',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        window: z.string().regex(/^\d+(m|h|d)$/).optional().describe('1h by default: whole hours ending with the current one'),
        baseline: z.string().regex(/^\d+(h|d)$/).optional().describe('7d by default: the span before the recent window'),
        stage: stageSchema.optional().describe('production by default'),
        min_cases: z.coerce.number().int().min(1).optional().describe('Fewer cases in either window: no index (50 by default)'),
      }),
    },
    responses: { 200: jsonBody(driftSchema, 'The drift report'), ...problems(404, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    await getWorkflow(db, id);
    const report = await readDrift(db, {
      workflowId: id, stage: q.stage ?? 'production', now: now(), windowMs: parseDuration(q.window ?? '1h'),
      baselineMs: parseDuration(q.baseline ?? '7d'), minCases: q.min_cases ?? 50,
    });
    return sendJson(c, driftBody(report));
  });
}

