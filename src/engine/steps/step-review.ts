import { KeelError } from '../../errors.js';
import { findReview, openReview, retireReview, type ReviewReason, type ReviewRow } from '../../review/index.js';
import { parseDuration, type StepReviewSpec, type StepSpec } from '../../spec/index.js';
import { openAttempt, suspendRun } from '../transitions.js';
import type { StepOutcome, StepRun } from './step.js';

// A model or classify step that cannot use its answer by itself (low confidence, malformed, no
// answer, over budget) hands it to a person and waits, like a review step. The decision is then the
// step's output: approve keeps the proposed answer, edit replaces it, reject ends the run.

export interface StepReviewRequest {
  reason: ReviewReason;
  title: string;
  /** The answer the person approves or edits; null when there is none (no response, budget). */
  proposed: unknown;
  context: Record<string, unknown>;
  review: StepReviewSpec;
}

/**
 * The decision on this visit of the step, if one was asked for. A review opened before the step's
 * last success belonged to an earlier visit (a loop came back) and is retired, not reused.
 */
export async function decisionForStep(step: StepSpec, run: StepRun): Promise<StepOutcome | undefined> {
  const review = await findReview(run.db, run.lease.runId, step.id);
  if (!review) return undefined;
  if (await decidedBeforeLastVisit(run, step.id, review)) {
    await retireReview(run.db, review.id);
    return undefined;
  }
  return outcomeOf(review, step, run);
}

/** Opens (once) the review for this step and suspends the run until someone decides. */
export async function sendToReview(step: StepSpec, run: StepRun, request: StepReviewRequest): Promise<StepOutcome> {
  const review = await openReview(run.db, {
    runId: run.lease.runId, stepId: step.id, workflowId: run.workflowId, title: request.title, reason: request.reason,
    proposed: request.proposed, context: request.context, assignedRole: request.review.user ? undefined : request.review.role ?? 'reviewer',
    assignedTo: request.review.user, dueAt: new Date(Date.now() + parseDuration(request.review.due)),
  });
  // A decision that arrived before the run got here (through the API by run and step) applies at once.
  return outcomeOf(review, step, run);
}

async function outcomeOf(review: ReviewRow, step: StepSpec, run: StepRun): Promise<StepOutcome> {
  const attemptId = run.openAttempt?.id;
  switch (review.status) {
    case 'pending': {
      const facts = { stepId: step.id, kind: step.kind, attempt: run.attempt, startedAt: run.startedAt };
      const id = attemptId ?? (await openAttempt(run.db, run.lease, facts));
      run.recordedAttemptId = id;
      await suspendRun(run.db, run.lease, { ...facts, attemptId: id }, 'review');
      return { kind: 'waiting' };
    }
    case 'approved':
      return { kind: 'completed', output: review.proposed, attemptId };
    case 'edited':
      return { kind: 'completed', output: review.decided_output, attemptId };
    case 'rejected':
      return { kind: 'rejected', output: { decision: 'rejected', reason: review.reason, comment: review.comment, reviewer: review.decided_by, review: review.id }, attemptId };
    case 'expired':
      throw new KeelError('review_expired', `Review ${review.id} (${review.title ?? step.id}, ${review.reason}) was not decided before ${review.due_at?.toISOString()}.`, {
        retriable: false, hint: 'Start a new run once someone can review it.',
      });
  }
}

async function decidedBeforeLastVisit(run: StepRun, stepId: string, review: ReviewRow): Promise<boolean> {
  const r = await run.db.query<{ last: Date | null }>(
    `SELECT max(finished_at) AS last FROM step_attempts WHERE run_id = $1 AND step_id = $2 AND status = 'succeeded'`, [run.lease.runId, stepId],
  );
  const last = r.rows[0]?.last;
  return last !== null && last !== undefined && new Date(last) >= new Date(review.created_at);
}
