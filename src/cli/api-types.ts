// The JSON the Keel API answers, as the CLI reads it (timestamps arrive as ISO strings). Status and
// stage lists are typed as records over the server's unions so a new value does not compile until
// the CLI knows it.
import type { Stage } from '../registry/index.js';
import type { RunStatus } from '../engine/index.js';
import type { ReviewStatus } from '../review/index.js';

export type { Stage, RunStatus, ReviewStatus };

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
export interface AuditEvent {
  seq: number;
  id: number;
  at: string;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  data: Record<string, unknown>;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  body: string;
}

export interface AuditPage {
  events: AuditEvent[];
  next_after_seq: number | null;
}

export interface AuditVerdict {
  ok: boolean;
  checked: number;
  head: { seq: number; hash: string } | null;
  first_bad?: { seq: number; id: number | null; problem: string; detail: string };
}
