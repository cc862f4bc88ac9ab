// The answers of the dashboard's read routes, as the OpenAPI document and the web pages see them.
import { stageSchema, z } from '../contract/index.js';

export const overviewWorkflowSchema = z.object({
  id: z.string(), title: z.string(), kind: z.enum(['managed', 'external']), owner: z.string(), team: z.string().nullable(),
  risk: z.enum(['low', 'medium', 'high']),
  stages: z.array(z.object({ stage: stageSchema, version_number: z.number().int(), paused: z.boolean(), deployed_at: z.string() }))
    .describe('One entry per stage the workflow is deployed to, design -> production'),
  health: z.enum(['ok', 'failing', 'stuck', 'paused', 'idle', 'not_deployed'])
    .describe('failing: a run failed or ended outcome_unknown in the last 24 h and more than it succeeded; stuck: open review tasks past their SLA; paused: production paused; idle: no run in 7 days'),
  runs_today: z.number().int().describe('Runs created since midnight UTC'),
  failed_today: z.number().int(),
  coverage_pct: z.number().nullable().describe('Of runs that ended in the window, the share that succeeded without a review task (0-100)'),
  override_pct: z.number().nullable().describe('Of review tasks people decided in the window, the share edited or rejected (0-100)'),
  queue_open: z.number().int().describe('Review tasks open now (pending or escalated)'),
  queue_oldest_at: z.string().nullable().describe('When the oldest open task was created'),
  last_run_at: z.string().nullable(),
}).openapi('OverviewWorkflow');

export const overviewSchema = z.object({
  generated_at: z.string(), window_since: z.string().describe('Start of the window for coverage and override (7 days)'),
  workflows: z.array(overviewWorkflowSchema),
}).openapi('Overview');

export const flowNodeSchema = z.object({
  id: z.string().describe('A step id, or trigger / end:<run status>'),
  kind: z.string().describe('trigger, a step kind (model, classify, route, review, action, ...), approval, or end'),
  label: z.string(),
  runs: z.number().int().describe('Distinct runs that reached this node in the window'),
}).openapi('FlowNode');

export const flowEdgeSchema = z.object({
  from: z.string(), to: z.string(),
  declared: z.boolean().describe('The workflow file allows this move; false: seen in runs of another version only'),
  count: z.number().int().describe('Distinct runs that made this move in the window'),
}).openapi('FlowEdge');

export const flowSchema = z.object({
  workflow_id: z.string(), version_number: z.number().int().nullable(), stage: stageSchema.nullable(),
  since: z.string(), until: z.string(), nodes: z.array(flowNodeSchema), edges: z.array(flowEdgeSchema),
}).openapi('Flow');

/** What GET /api/events sends for each change (event name `run` or `review`). */
export const changeSchema = z.object({
  id: z.string(), workflow_id: z.string(), status: z.string(),
  run_id: z.string().nullable().optional(), stage: z.string().nullable().optional(), at: z.string(),
}).openapi('Change');
