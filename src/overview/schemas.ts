// The answers of the dashboard's read routes, as the OpenAPI document and the web pages see them.
import { stageSchema, z } from '../contract/index.js';

export const overviewWorkflowSchema = z.object({
  id: z.string(), title: z.string(), kind: z.enum(['managed', 'external']), owner: z.string(), team: z.string().nullable(),
  risk: z.enum(['low', 'medium', 'high']),
  stages: z.array(z.object({ stage: stageSchema, version_number: z.number().int(), paused: z.boolean(), deployed_at: z.string() }))
    .describe('One entry per stage the workflow is deployed to, design -> production'),
  health: z.enum(['ok', 'failing', 'stuck', 'paused', 'idle', 'not_deployed'])
    .describe('The first that holds: not_deployed: no stage points at a version; paused: production is paused; '
      + 'failing: in the last 24 h more runs ended failed or outcome_unknown than succeeded (at least one); '
      + 'stuck: an open review task is past its SLA (due_at); idle: no run started and no review task asked for in 7 days; else ok'),
  runs_today: z.number().int().describe('Runs created since midnight UTC'),
  failed_today: z.number().int().describe('Of the runs created since midnight UTC, those that failed'),
  coverage_pct: z.number().nullable().describe('Of runs that ended in the window, the share that succeeded without a review task (0-100)'),
  override_pct: z.number().nullable().describe('Of review tasks people decided in the window, the share edited or rejected (0-100)'),
  queue_open: z.number().int().describe('Review tasks open now (pending or escalated)'),
  queue_oldest_at: z.string().nullable().describe('When the oldest open task was created'),
  last_run_at: z.string().nullable().describe('When the newest run was created'),
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
  declared: z.boolean().describe('The version\'s file allows this move; false: runs made it anyway (ending failed, canceled or outcome_unknown, or following another version\'s steps)'),
  count: z.number().int().describe('Distinct runs that made this move in the window'),
}).openapi('FlowEdge');

export const flowSchema = z.object({
  workflow_id: z.string(),
  version_number: z.number().int().nullable().describe('The version whose steps are shown; null when the workflow has none yet'),
  stage: stageSchema.nullable().describe('Only runs of this stage were counted; null: every stage'),
  since: z.string(), until: z.string().describe('The window [since, until) moves were counted in'),
  nodes: z.array(flowNodeSchema), edges: z.array(flowEdgeSchema),
}).openapi('Flow');

/**
 * What GET /api/events sends for each change (event name `run` or `review`): a run when it is
 * created or moves on (its updated_at changes), a review task when it is created, claimed, released,
 * commented, approved by one of a quorum, decided, escalated or expired. `status` is the stored
 * status at the time the change is read; views refetch what they show rather than patch it.
 */
export const changeSchema = z.object({
  id: z.string(), workflow_id: z.string(), status: z.string(),
  run_id: z.string().nullable().optional(), stage: z.string().nullable().optional(), at: z.string(),
}).openapi('Change');
