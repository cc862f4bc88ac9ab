// The shapes of the monitor, incident and drift answers (the OpenAPI document is built from them).
import { isoDate, stageSchema, z } from '../contract/index.js';
import { driftFeatures, monitorMetrics } from '../spec/index.js';

const notify = z.object({ connector: z.string(), action: z.string(), with: z.record(z.string(), z.string()).optional() });

/** The rule as a workflow file writes it under runbook.monitors; checked in full by the workflow format's schema. */
export const monitorRuleSchema = z.object({
  name: z.string(),
  metric: z.enum(monitorMetrics).optional(), above: z.number().optional(), below: z.number().optional(),
  drift: z.object({ feature: z.enum(driftFeatures).optional(), psi: z.number().optional(), acceptance_change_pct: z.number().optional() }).optional(),
  no_runs_for: z.string().optional(), cost_per_day_above: z.number().optional(),
  window: z.string().optional(), baseline: z.string().optional(), min_runs: z.number().int().optional(),
  stage: stageSchema.optional(), stop: z.boolean().optional(), notify: z.array(notify).optional(),
}).openapi('MonitorRule');

export const monitorViewSchema = z.object({
  key: z.string().describe('file:<workflow>:<stage>:<name> for a file rule, the id for an API rule'),
  id: z.string().nullable().describe('The API monitor\'s id; null for a file rule'),
  source: z.enum(['file', 'api']),
  workflow_id: z.string(),
  rule: monitorRuleSchema,
  state: z.object({
    state: z.enum(['ok', 'firing', 'no_data']), value: z.number().nullable(), summary: z.string(), evaluated_at: isoDate, since: isoDate,
  }).nullable().describe('The last verdict; null before the first evaluation'),
}).openapi('Monitor');

export const monitorListSchema = z.object({ workflow_id: z.string(), monitors: z.array(monitorViewSchema) }).openapi('MonitorList');

export const incidentSchema = z.object({
  id: z.string(), monitor_key: z.string(), workflow_id: z.string(), monitor_name: z.string(), stage: z.string(),
  status: z.enum(['open', 'acknowledged']), summary: z.string(), value: z.number().nullable(), threshold: z.number().nullable(),
  detail: z.record(z.string(), z.unknown()), paused_stage: z.boolean().describe('A stop condition paused the stage when it opened'),
  notifications: z.array(z.object({
    connector: z.string(), action: z.string(), status: z.enum(['pending', 'sent', 'failed']), attempts: z.number().int(),
    error: z.string().optional(), sent_at: isoDate.optional(),
  })),
  opened_at: isoDate, cleared_at: isoDate.nullable().describe('When the condition stopped holding'),
  acknowledged_by: z.string().nullable(), acknowledged_at: isoDate.nullable(), note: z.string().nullable(),
}).openapi('Incident');

export const incidentListSchema = z.object({ incidents: z.array(incidentSchema) }).openapi('IncidentList');

export const driftSchema = z.object({
  workflow_id: z.string(), stage: z.string(),
  windows: z.object({ recent_from: isoDate, baseline_from: isoDate, to: isoDate }),
  features: z.array(z.object({
    dimension: z.enum(['label', 'route', 'confidence', 'output_length']), psi: z.number(), level: z.enum(['none', 'moderate', 'significant']),
    baseline_cases: z.number().int(), recent_cases: z.number().int(),
    movers: z.array(z.object({ value: z.string(), baseline_pct: z.number(), recent_pct: z.number() })).describe('The values whose share moved most'),
  })),
  index: z.number().nullable().describe('The largest PSI over features with enough cases: < 0.1 none, 0.1-0.25 moderate, > 0.25 significant'),
  acceptance: z.object({ baseline_pct: z.number().nullable(), recent_pct: z.number().nullable(), relative_change_pct: z.number().nullable() }),
}).openapi('Drift');
