// The JSON the Keel API answers, as the CLI reads it: each type is inferred from the schema the
// route declares (and the OpenAPI document is made from), so the two cannot drift. Status and stage
// lists are typed as records over the server's unions so a new value does not compile until the
// CLI knows it.
import type { deployResultSchema, deploymentSchema, diffSchema, Stage, versionSummarySchema, workflowSchema } from '../registry/index.js';
import type { attemptSchema, runAcceptedSchema, runDetailSchema, RunStatus, runSchema } from '../engine/index.js';
import type { ReviewStatus, TaskState, reviewDecidedSchema, reviewDetailSchema, reviewSchema } from '../review/index.js';
import type { auditEventSchema, auditVerdictSchema } from '../audit/index.js';
import type {
  GlobalRole, meSchema, passwordLinkSchema, Permission, teamSchema, tokenSchema, userSchema, WorkflowRole, workflowMemberSchema,
} from '../auth/index.js';
import type { modelCallSchema, modelSchema } from '../models/index.js';
import type { libraryDiffSchema, libraryEntrySchema, libraryLabelMovedSchema, libraryVersionSchema } from '../prompts/index.js';
import type { connectorDetailSchema, connectorSchema, grantRequestedSchema, grantSchema, inventorySchema } from '../connectors/index.js';
import type { z } from '../contract/index.js';

export type { Stage, RunStatus, ReviewStatus, GlobalRole, Permission, WorkflowRole };

const stageSet: Record<Stage, true> = { design: true, testing: true, sandbox: true, production: true };
const runStatusSet: Record<RunStatus, true> = {
  queued: true, running: true, waiting: true, succeeded: true, failed: true, rejected: true, outcome_unknown: true, canceled: true,
};
const reviewStatusSet: Record<ReviewStatus, true> = { pending: true, escalated: true, approved: true, edited: true, rejected: true, expired: true };

export const stageNames = Object.keys(stageSet) as Stage[];
export const runStatusNames = Object.keys(runStatusSet) as RunStatus[];
export const reviewStatusNames = Object.keys(reviewStatusSet) as ReviewStatus[];
const reviewStateSet: Record<TaskState, true> = { ...reviewStatusSet, claimed: true };
export const reviewStateNames = Object.keys(reviewStateSet) as TaskState[];

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

export type Deployment = z.infer<typeof deploymentSchema>;

export type Workflow = z.infer<typeof workflowSchema>;

export type VersionSummary = z.infer<typeof versionSummarySchema>;

export type DeployResult = z.infer<typeof deployResultSchema>;

export type DiffResult = z.infer<typeof diffSchema>;

export type StoredError = NonNullable<Run['error']>;

export type Run = z.infer<typeof runSchema>;

export type Attempt = z.infer<typeof attemptSchema>;

export type Review = z.infer<typeof reviewSchema>;
export type ReviewDetail = z.infer<typeof reviewDetailSchema>;
export type ReviewDecided = z.infer<typeof reviewDecidedSchema>;

export type RunDetail = z.infer<typeof runDetailSchema>;

export type RunAccepted = z.infer<typeof runAcceptedSchema>;

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
  'runs:read': true, 'runs:start': true, 'reviews:read': true, 'reviews:decide': true, 'reviews:request': true, 'gates:sign': true,
  'audit:read': true, 'users:read': true, 'users:write': true, 'teams:write': true, 'account:self': true,
  'connectors:read': true, 'connectors:write': true, 'grants:request': true, 'grants:decide': true,
  'traces:write': true, 'changes:decide': true,
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

export type Model = z.infer<typeof modelSchema>;
export type ModelCall = z.infer<typeof modelCallSchema>;

/** The instruction library (GET /api/prompts and friends). */
export type LibraryEntry = z.infer<typeof libraryEntrySchema>;
export type LibraryVersion = z.infer<typeof libraryVersionSchema>;
export type LibraryDiff = z.infer<typeof libraryDiffSchema>;
export type LibraryLabelMoved = z.infer<typeof libraryLabelMovedSchema>;

/** What decided reviews tell about a workflow (GET .../review-metrics, .../boundary/suggestion). */
export type ReviewMetrics = z.infer<typeof import('../review/index.js').reviewMetricsSchema>;
export type ReviewFigures = z.infer<typeof import('../review/index.js').reviewFiguresSchema>;
export type BoundarySuggestion = z.infer<typeof import('../review/index.js').boundarySuggestionSchema>;

/** A workflow's metrics from the rollups (GET /api/metrics). */
export type Metrics = z.infer<typeof import('../observe/index.js').metricsSchema>;
export type MetricFigures = z.infer<typeof import('../observe/index.js').metricFiguresSchema>;

/** A workflow's labelled cases (POST /api/reviews/{id}/dataset-case, GET .../datasets/{dataset}/cases). */
export type DatasetCase = z.infer<typeof import('../evals/index.js').datasetCaseSchema>;
export type AddedDatasetCase = z.infer<typeof import('../evals/index.js').addedCaseSchema>;
/** Dataset versions (GET .../datasets, .../versions/{n}/cases, POST .../import, .../cases). */
export type DatasetVersion = z.infer<typeof import('../evals/index.js').datasetVersionSchema>;
export type DatasetSummary = z.infer<typeof import('../evals/index.js').datasetSummarySchema>;
export type ImportedDatasetCases = z.infer<typeof import('../evals/index.js').importedCasesSchema>;
export type DatasetVersionCases = z.infer<typeof import('../evals/index.js').versionCasesSchema>;

// Connectors, grants and the access inventory (GET /api/connectors, /api/grants, /api/access/inventory).
export type Connector = z.infer<typeof connectorSchema>;
export type ConnectorDetail = z.infer<typeof connectorDetailSchema>;
export type Grant = z.infer<typeof grantSchema>;
export type GrantRequested = z.infer<typeof grantRequestedSchema>;
export type AccessInventory = z.infer<typeof inventorySchema>;
export type MonitorList = z.infer<typeof import('../observe/index.js').monitorListSchema>;
export type Incident = z.infer<typeof import('../observe/index.js').incidentSchema>;
export type IncidentList = z.infer<typeof import('../observe/index.js').incidentListSchema>;
export type Drift = z.infer<typeof import('../observe/index.js').driftSchema>;
/** Eval runs (POST/GET /api/workflows/{id}/evals, .../evals/{evalId}, .../results, .../compare). */
export type EvalRun = z.infer<typeof import('../evals/index.js').evalRunSchema>;
export type EvalResult = z.infer<typeof import('../evals/index.js').evalResultSchema>;
export type EvalComparison = z.infer<typeof import('../evals/index.js').evalComparisonSchema>;
/** Gates, sign-offs and rollback drills (GET /api/workflows/{id}/gates/{stage}, POST .../signoffs, POST .../drills). */
export type GateReport = z.infer<typeof import('../promotion/index.js').gateReportSchema>;
export type GateSignoff = z.infer<typeof import('../promotion/index.js').signoffSchema>;
export type RollbackDrill = z.infer<typeof import('../promotion/index.js').drillSchema>;
/** Shadow runs (POST/GET /api/workflows/{id}/shadows, GET .../shadows/{shadowId}, POST .../stop). */
export type ShadowRun = z.infer<typeof import('../evals/index.js').shadowRunSchema>;
export type ShadowReport = z.infer<typeof import('../evals/index.js').shadowReportSchema>;
