import { findReview, isOpen, openReview, policyFromSpec, retireReview, type ReviewReason, type ReviewRow } from '../../review/index.js';
import type { ReviewPolicySpec, StepReviewSpec, StepSpec, WorkflowSpec } from '../../spec/index.js';
import { openAttempt, suspendRun } from '../transitions.js';
import type { StepOutcome, StepRun } from './step.js';

// Every way a run waits for a person goes through here: a model or classify step that cannot use
// its answer by itself, a review step, and the approval boundary. The task is opened once per visit
// (keyed by run and step), a decision that arrived first applies at once, and a task that reached
// its hard deadline resolves by the workflow's `on_deadline`.

export interface TaskRequest {
  /** The id the task is keyed by: the step's, or `approval` for the boundary. */
  stepId: string;
  kind: string;
  reason: ReviewReason;
  title: string;
  /** The answer the person approves or edits; null when there is none (no response, budget). */
  proposed: unknown;
  context: Record<string, unknown>;
  policy: ReviewPolicySpec;
  role?: string;
  user?: string;
  escalated?: boolean;
  outputSchema?: Record<string, unknown>;
}

/** How a decided task is turned into the step's outcome; each kind of wait words it its own way. */
export interface DecisionMapping {
  approved(review: ReviewRow): StepOutcome;
  edited(review: ReviewRow): StepOutcome;
  rejected(review: ReviewRow): StepOutcome;
}

/**
 * The task of this visit, if one exists. A task decided before the step's last success belonged to
 * an earlier visit (a loop came back) and is retired, not reused.
 */
export async function currentTask(run: StepRun, stepId: string): Promise<ReviewRow | undefined> {
  const review = await findReview(run.db, run.lease.runId, stepId);
  if (!review || isOpen(review)) return review;
  const r = await run.db.query<{ last: Date | null }>(
    `SELECT max(finished_at) AS last FROM step_attempts WHERE run_id = $1 AND step_id = $2 AND status = 'succeeded'`, [run.lease.runId, stepId],
  );
  const last = r.rows[0]?.last;
  if (last !== null && last !== undefined && new Date(last) >= new Date(review.created_at)) {
    await retireReview(run.db, review.id);
    return undefined;
  }
  return review;
}

/**
 * Opens (once) the task and returns it as it stands: a decision may already be there. A run Keel
 * started to try a version (eval, shadow, drill) asks nobody: the proposal goes on as if approved,
 * and the step's output says who would have been asked and why.
 */
export async function openTask(run: StepRun, request: TaskRequest): Promise<ReviewRow> {
  if (run.purpose !== 'live') return notAsked(run, request);
  return openReview(run.db, {
    runId: run.lease.runId, stepId: request.stepId, workflowId: run.workflowId, versionId: run.scope.run.version, stage: run.scope.run.stage,
    title: request.title, reason: request.reason, proposed: request.proposed,
    context: { actions: actionsAfter(run.spec, request.stepId), ...request.context },
    assignedRole: request.user ? undefined : request.role ?? 'reviewer', assignedTo: request.user,
    requestedBy: run.requestedBy, policy: policyFromSpec(request.policy), escalated: request.escalated, outputSchema: request.outputSchema,
  });
}

/** The task a trial run would have opened, approved as proposed and stored nowhere. */
function notAsked(run: StepRun, request: TaskRequest): ReviewRow {
  const now = new Date();
  return {
    id: `not-asked:${run.purpose}`, run_id: run.lease.runId, step_id: request.stepId, workflow_id: run.workflowId,
    version_id: run.scope.run.version, stage: run.scope.run.stage, status: 'approved', reason: request.reason,
    context: { would_ask: request.user ?? request.role ?? 'reviewer', ...request.context }, title: request.title, proposed: request.proposed,
    decided_output: null, comment: `not asked: ${run.purpose} run (would have asked ${request.user ?? request.role ?? 'reviewer'}: ${request.reason})`,
    assigned_role: request.role ?? null, assigned_to: request.user ?? null, priority: 0, requested_by: run.requestedBy, due_at: null,
    sla_seconds: null, escalation_chain: [], escalation_level: 0, escalated_at: null, deadline_at: null, on_deadline: 'reject', quorum: 1,
    diff: null, output_schema: null, external_ref: null, callback_url: null, decided_by: `keel:${run.purpose}`, decided_at: now,
    retired_at: null, claimed_by: null, claimed_until: null, created_at: now,
  };
}

/** Suspends the run while the task is open; otherwise maps the decision (or the deadline's outcome). */
export async function outcomeOfTask(review: ReviewRow, stepId: string, kind: string, run: StepRun, map: DecisionMapping): Promise<StepOutcome> {
  const attemptId = run.openAttempt?.id;
  const withAttempt = (o: StepOutcome): StepOutcome => (o.kind === 'waiting' ? o : { ...o, attemptId });
  switch (review.status) {
    case 'pending':
    case 'escalated': {
      const facts = { stepId, kind, attempt: run.attempt, startedAt: run.startedAt };
      const id = attemptId ?? (await openAttempt(run.db, run.lease, facts));
      run.recordedAttemptId = id;
      await suspendRun(run.db, run.lease, { ...facts, attemptId: id }, 'review');
      return { kind: 'waiting' };
    }
    case 'approved':
      return withAttempt(map.approved(review));
    case 'edited':
      return withAttempt(map.edited(review));
    case 'rejected':
      return withAttempt(map.rejected(review));
    case 'expired':
      // Nobody decided by the hard deadline: the workflow's default, never an approval it did not ask for.
      if (review.on_deadline === 'approve') return withAttempt(map.approved(review));
      if (review.on_deadline === 'cancel') return { kind: 'canceled', output: deadlineOutput(review), attemptId };
      return withAttempt(map.rejected(review));
  }
}

function deadlineOutput(review: ReviewRow) {
  return { decision: 'expired', on_deadline: review.on_deadline, review: review.id, deadline: review.deadline_at };
}

export interface StepReviewRequest {
  reason: ReviewReason;
  title: string;
  proposed: unknown;
  context: Record<string, unknown>;
  review: StepReviewSpec;
  /** The JSON Schema an edited answer must match (a model step's output schema). */
  outputSchema?: Record<string, unknown>;
}

/** Opens (once) the review for a model or classify step and waits; the decision is the step's output. */
export async function sendToReview(step: StepSpec, run: StepRun, request: StepReviewRequest): Promise<StepOutcome> {
  const review = await openTask(run, {
    ...request, stepId: step.id, kind: step.kind, policy: request.review, role: request.review.role, user: request.review.user,
  });
  return outcomeOfTask(review, step.id, step.kind, run, answerMapping);
}

/** The decision on this visit of a model or classify step, if one was asked for. */
export async function decisionForStep(step: StepSpec, run: StepRun): Promise<StepOutcome | undefined> {
  const review = await currentTask(run, step.id);
  return review ? outcomeOfTask(review, step.id, step.kind, run, answerMapping) : undefined;
}

/** A step's answer: approve keeps the proposal, edit replaces it, reject (or the deadline) ends the run. */
const answerMapping: DecisionMapping = {
  approved: (review) => ({ kind: 'completed', output: review.proposed }),
  edited: (review) => ({ kind: 'completed', output: review.decided_output }),
  rejected: (review) => ({
    kind: 'rejected',
    output: { decision: review.status, reason: review.reason, comment: review.comment, reviewer: review.decided_by, review: review.id },
  }),
};

/** The side effects that follow a step in file order, with their delivery class: what an approval lets happen. */
export function actionsAfter(spec: WorkflowSpec, stepId: string): { step: string; connector: string; action: string; delivery: string }[] {
  const index = spec.steps.findIndex((s) => s.id === stepId);
  return spec.steps.slice(index + 1).flatMap((s) => (s.kind === 'action' ? [{ step: s.id, connector: s.connector, action: s.action, delivery: s.delivery }] : []));
}
