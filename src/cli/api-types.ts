// The JSON the Keel API answers, as the CLI reads it (timestamps arrive as ISO strings). Status and
// stage lists are typed as records over the server's unions so a new value does not compile until
// the CLI knows it.
import type { Stage } from '../registry/index.js';
import type { RunStatus } from '../engine/index.js';
import type { ReviewStatus } from '../review/index.js';
import type { auditEventSchema, auditVerdictSchema } from '../audit/index.js';
import type {
  GlobalRole, meSchema, passwordLinkSchema, Permission, teamSchema, tokenSchema, userSchema, WorkflowRole, workflowMemberSchema,
} from '../auth/index.js';
import type { z } from '../contract/index.js';

export type { Stage, RunStatus, ReviewStatus, GlobalRole, Permission, WorkflowRole };

const stageSet: Record<Stage, true> = { design: true, testing: true, sandbox: true, production: true };
const runStatusSet: Record<RunStatus, true> = {
  queued: true, running: true, waiting: true, succeeded: true, failed: true, rejected: true, outcome_unknown: true, canceled: true,
};
const reviewStatusSet: Record<ReviewStatus, true> = { pending: true, approved: true, edited: true, rejected: true, expired: true };

export const stageNames = Object.keys(stageSet) as Stage[];
export const runStatusNames = Object.keys(runStatusSet) as RunStatus[];
export const reviewStatusNames = Object.keys(reviewStatusSet) as ReviewStatus[];

/** A problem+json answer. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code: string;
  detail: string;
  hint?: string;
  problems?: Array<{ path: string; message: string; hint?: string }>;
}

export interface Deployment {
  workflow_id: string;
  stage: Stage;
  version_id: string;
  version_number: number;
  paused: boolean;
  deployed_by: string;
  deployed_at: string;
}

export interface Workflow {
  id: string;
  kind: 'managed' | 'external';
  title: string;
  owner: string;
  team: string | null;
  risk: 'low' | 'medium' | 'high';
  latest_version_id: string | null;
  created_at: string;
  updated_at: string;
  deployments: Deployment[];
}

export interface VersionSummary {
  id: string;
  workflow_id: string;
  number: number;
  content_hash: string;
  source_name: string | null;
  created_by: string;
  created_at: string;
}

export interface DeployResult {
  workflow: Omit<Workflow, 'deployments'>;
  version: VersionSummary;
  version_created: boolean;
  deployment_changed: boolean;
}

export interface DiffResult {
  from: string;
  to: string;
  changes: Array<{ path: string; change: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown }>;
}

export interface StoredError {
  code: string;
  message: string;
  hint?: string;
  retriable: boolean;
}

export interface Run {
  id: string;
  workflow_id: string;
  version_id: string;
  stage: Stage;
  status: RunStatus;
  wait_reason: string | null;
  trigger_kind: string;
  input: unknown;
  state: Record<string, unknown>;
  current_step: string | null;
  output: unknown;
  error: StoredError | null;
  claims: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface Attempt {
  id: number;
  step_id: string;
  kind: string;
  attempt: number;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted' | 'waiting';
  output: unknown;
  error: StoredError | null;
  delivery: string | null;
  idempotency_key: string | null;
  effect: string | null;
  next_step: string | null;
  started_at: string;
  finished_at: string | null;
}

export interface Review {
  id: string;
  run_id: string;
  step_id: string;
  workflow_id: string;
  status: ReviewStatus;
  reason: string;
  title: string | null;
  proposed: unknown;
  decided_output: unknown;
  comment: string | null;
  assigned_role: string | null;
  assigned_to: string | null;
  due_at: string | null;
  decided_by: string | null;
  decided_at: string | null;
  created_at: string;
}

export interface RunDetail {
  run: Run;
  attempts: Attempt[];
  reviews: Review[];
}

export interface RunAccepted {
  run_id: string;
  status: RunStatus;
  deduplicated: boolean;
}

/** One audit event (GET /api/audit, one line of the export). */
export type AuditEvent = z.infer<typeof auditEventSchema>;

export interface AuditPage {
  events: AuditEvent[];
  next_after_seq: number | null;
}

export type AuditVerdict = z.infer<typeof auditVerdictSchema>;

// Identity: the lists the CLI checks its arguments against, typed over the server's unions.
const globalRoleSet: Record<GlobalRole, true> = { admin: true, builder: true, approver: true, reviewer: true, viewer: true };
const workflowRoleSet: Record<WorkflowRole, true> = { owner: true, reviewer: true };
const permissionSet: Record<Permission, true> = {
  'workflows:read': true, 'workflows:deploy': true, 'deployments:write': true, 'members:write': true,
  'runs:read': true, 'runs:start': true, 'reviews:read': true, 'reviews:decide': true, 'gates:sign': true,
  'audit:read': true, 'users:read': true, 'users:write': true, 'teams:write': true, 'account:self': true,
};

export const globalRoleNames = Object.keys(globalRoleSet) as GlobalRole[];
export const workflowRoleNames = Object.keys(workflowRoleSet) as WorkflowRole[];
export const permissionNames = Object.keys(permissionSet) as Permission[];

export type User = z.infer<typeof userSchema>;

/** A one-time link (30 minutes) for a person to set their password. */
export type PasswordLink = z.infer<typeof passwordLinkSchema>;

export interface UserCreated {
  user: User;
  /** Only when no password was given. */
  password_link?: PasswordLink;
}

export type ApiToken = z.infer<typeof tokenSchema>;

/** POST /api/tokens: the only answer that ever holds the secret. */
export interface TokenCreated {
  token: ApiToken;
  secret: string;
}

export type Team = z.infer<typeof teamSchema>;

export type WorkflowMember = z.infer<typeof workflowMemberSchema>;

/** GET /api/auth/me. */
export type Me = z.infer<typeof meSchema>;
