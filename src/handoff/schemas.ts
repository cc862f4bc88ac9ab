// The handoff pack as data: one zod schema per section, so the JSON the API answers, the OpenAPI
// document and the TypeScript types the renderers read cannot drift apart. Times are ISO strings
// (the pack is a document to keep, not a live object); secrets appear by name, version and rotation
// date only.
import { z } from '../contract/index.js';

const iso = () => z.string().describe('ISO 8601 timestamp');
const maybe = <T extends z.ZodType>(t: T) => t.nullable();

export const failureModeSchema = z.object({
  name: z.string(), description: z.string(), mitigation: maybe(z.string()), prompt: maybe(z.string()),
});

export const cardSchema = z.object({
  title: z.string(),
  kind: z.enum(['managed', 'external']),
  owner: z.string(),
  team: maybe(z.string()),
  risk: z.enum(['low', 'medium', 'high']),
  description: maybe(z.string()),
  triggers: z.array(z.string()).describe('Each trigger in words'),
  input_contract: z.array(z.string()).describe('The input contract, one line per field'),
  steps: z.array(z.object({ id: z.string(), kind: z.string(), summary: z.string() })),
  systems: z.array(z.object({ connector: z.string(), uses: z.array(z.string()) })).describe('Connectors the workflow touches and how'),
  actions: z.array(z.object({ step: z.string(), connector: z.string(), action: z.string(), delivery: z.string() })),
  approval_boundary: z.array(z.string()).describe('The approval boundary in words, rule by rule; empty when the workflow has none'),
  metric: maybe(z.object({
    name: z.string(), unit: maybe(z.string()), baseline: maybe(z.number()), target: maybe(z.number()), measure: maybe(z.string()), per_run: z.boolean(),
  })),
  exclusions: z.array(z.object({ name: z.string(), escalated_when: maybe(z.string()) })),
});

export const ownerRoles = ['quality', 'access', 'approvals', 'incidents', 'scope'] as const;
export type OwnerRole = (typeof ownerRoles)[number];

export const ownerMapSchema = z.object(Object.fromEntries(ownerRoles.map((r) => [r, maybe(z.string())])) as Record<OwnerRole, z.ZodNullable<z.ZodString>>);

export const accessSchema = z.object({
  listed: z.array(z.object({
    connector: z.string(), scope: z.string(),
    grant: z.enum(['approved', 'requested', 'rejected', 'revoked', 'expired', 'none']).describe('The best grant the workflow holds for it'),
    live: z.boolean(), grant_id: maybe(z.string()), expires_at: maybe(iso()),
  })).describe('Each scope the workflow file lists under access, and whether a live approved grant covers it'),
  connectors: z.array(z.object({
    id: z.string(), exists: z.boolean(), kind: maybe(z.string()), title: maybe(z.string()), owner: maybe(z.string()),
    credential_owner: maybe(z.string()), rotation_days: maybe(z.number()), paused: z.boolean(),
    grants: z.array(z.object({
      id: z.string(), scope: z.string(), status: z.string(), decided_by: maybe(z.string()), decided_at: maybe(iso()),
      expires_at: maybe(iso()), expired: z.boolean(), last_used_at: maybe(iso()), use_count: z.number(),
    })),
    secrets: z.array(z.object({ name: z.string(), version: z.number(), rotate_by: maybe(iso()), rotation_due: z.boolean() })),
  })),
});

export const promptsSchema = z.object({
  entries: z.array(z.object({
    ref: z.string().describe('The reference as the workflow file writes it'),
    id: maybe(z.string()).describe('The pinned library version; null when the version pinned none'),
    resolved: z.boolean(),
    name: z.string(), kind: maybe(z.string()), number: maybe(z.number()), content_hash: maybe(z.string()),
    labels: z.array(z.string()).describe('Labels that point at this version now'),
    description: maybe(z.string()), model: maybe(z.string()), parameters: z.record(z.string(), z.unknown()),
    failure_modes: z.array(failureModeSchema),
  })),
  models: z.array(z.object({ step: z.string(), kind: z.string(), model: z.string(), source: z.string() })).describe('Model and classify steps: which model, and whose instructions'),
  workflow_failure_modes: z.array(failureModeSchema).describe('Known failure classes not tied to one prompt'),
});

export const monitoringSchema = z.object({
  from: iso(), to: iso(),
  queue: z.object({ open: z.number(), oldest_age_seconds: maybe(z.number()) }),
  runs: z.object({ ended: z.number(), succeeded: z.number(), failed: z.number(), rejected: z.number(), canceled: z.number(), outcome_unknown: z.number() }),
  reviews: z.object({ approved: z.number(), edited: z.number(), rejected: z.number(), expired: z.number(), escalated: z.number(), override_pct: maybe(z.number()) }),
  latency: z.object({ p50_ms: maybe(z.number()), p95_ms: maybe(z.number()) }),
  cost: z.object({ total_usd: z.number(), per_run_usd: maybe(z.number()), tokens_in: z.number(), tokens_out: z.number() }),
  error_classes: z.array(z.object({ error_class: z.string(), runs: z.number() })),
  business_metric: maybe(z.object({
    name: z.string(), unit: maybe(z.string()), value: maybe(z.number()), baseline: maybe(z.number()), target: maybe(z.number()),
    beats_baseline: maybe(z.boolean()), meets_target: maybe(z.boolean()),
  })),
  monitors: z.array(z.object({ name: z.string(), source: z.enum(['file', 'api']), stage: z.string(), rule: z.string(), stop: z.boolean() })),
  open_incidents: z.array(z.object({ id: z.string(), name: z.string(), stage: z.string(), summary: z.string(), opened_at: iso(), paused_stage: z.boolean() })),
});

export const runbookSchema = z.object({
  deploy_path: z.array(z.object({
    stage: z.string(), version: maybe(z.number()), version_id: maybe(z.string()), deployed_by: maybe(z.string()), deployed_at: maybe(iso()),
    paused: z.boolean(), pause_reason: maybe(z.string()),
  })).describe('Every stage in promotion order and the version it points at'),
  history: z.array(z.object({
    at: iso(), stage: z.string(), action: z.string(), version: z.number(), previous_version: maybe(z.number()), actor: z.string(),
  })),
  rollback: maybe(z.string()).describe('What the runbook says about rolling back'),
  rollback_command: z.string(),
  stop_conditions: z.array(z.string()),
  contacts: z.array(z.string()),
  next_review: maybe(z.string()),
  review_due: z.boolean().describe('The next review date is today or has passed'),
});

export const changeRequestSchema = z.object({
  id: z.string(), from_version: z.number(), to_version: z.number(), areas: z.array(z.string()).describe('What the change touches: prompts, model settings, grants, approval boundary'),
  reason: z.string(), status: z.string(), requested_by: z.string(), requested_at: iso(),
});

export const changeProcessSchema = z.object({
  approvers: z.array(z.string()).describe('The owner and runbook.change_approvers'),
  rules: z.array(z.string()),
  open_change_requests: maybe(z.array(changeRequestSchema)).describe('Null when this Keel does not track change requests'),
});

export const readinessItemSchema = z.object({
  id: z.string(), label: z.string(), ok: z.boolean(),
  missing: z.string().optional().describe('What exactly is missing and how to fix it'),
});

export const handoffPackSchema = z.object({
  generated_at: iso(),
  workflow_id: z.string(),
  stage: z.string().describe('The stage the pack describes'),
  version: z.object({ id: z.string(), number: z.number(), content_hash: z.string(), source_name: maybe(z.string()), created_by: z.string(), created_at: iso() }),
  card: cardSchema,
  owners: ownerMapSchema,
  access: accessSchema,
  prompts: promptsSchema,
  monitoring: monitoringSchema,
  runbook: runbookSchema,
  change_process: changeProcessSchema,
  readiness: z.object({ ready: z.number(), total: z.number(), items: z.array(readinessItemSchema) }),
}).openapi('HandoffPack');

export type HandoffPack = z.infer<typeof handoffPackSchema>;
export type WorkflowCard = z.infer<typeof cardSchema>;
export type OwnerMap = z.infer<typeof ownerMapSchema>;
export type AccessSection = z.infer<typeof accessSchema>;
export type PromptsSection = z.infer<typeof promptsSchema>;
export type MonitoringView = z.infer<typeof monitoringSchema>;
export type RunbookSection = z.infer<typeof runbookSchema>;
export type ChangeProcess = z.infer<typeof changeProcessSchema>;
export type ChangeRequestSummary = z.infer<typeof changeRequestSchema>;
export type ReadinessItem = z.infer<typeof readinessItemSchema>;
export type FailureMode = z.infer<typeof failureModeSchema>;
