import { KeelError } from '../../errors.js';
import { openReview, retireReview } from '../../review/index.js';
import { parseDuration, type ReviewStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import { openAttempt, suspendRun } from '../transitions.js';
import type { StepHandler, StepRun } from './step.js';

/**
 * Suspends the run until a person decides. The open review row is keyed by (run, step), so a
 * decision made before the run gets here applies at once, and a worker that dies here leaves
 * nothing doubled. A decision already acted on is retired when a loop brings the run back.
 */
export const reviewStep: StepHandler<ReviewStep> = {
  async execute(step, run) {
    let review = await open(step, run);
    if (review.status !== 'pending' && usedBefore(run.previousOutput, review.id)) {
      // A loop brought the run back: the old decision was for the earlier visit, so ask again.
      await retireReview(run.db, review.id);
      review = await open(step, run);
    }
    const attemptId = run.openAttempt?.id;
    const decided = { reviewer: review.decided_by, comment: review.comment, review: review.id };
    switch (review.status) {
      case 'pending': {
        const id = attemptId ?? (await openAttempt(run.db, run.lease, facts(step, run)));
        run.recordedAttemptId = id;
        await suspendRun(run.db, run.lease, { ...facts(step, run), attemptId: id }, 'review');
        return { kind: 'waiting' };
      }
      case 'approved':
        return { kind: 'completed', output: { decision: 'approved', output: review.proposed, ...decided }, attemptId };
      case 'edited':
        return { kind: 'completed', output: { decision: 'edited', output: review.decided_output, ...decided }, attemptId };
      case 'rejected': {
        const output = { decision: 'rejected', output: null, ...decided };
        if (step.on_reject === 'end') return { kind: 'rejected', output, attemptId };
        return { kind: 'completed', output, next: step.on_reject, attemptId };
      }
      case 'expired':
        throw new KeelError('review_expired', `Review ${review.id} (${step.title}) was not decided before ${review.due_at?.toISOString()}.`, {
          retriable: false, hint: 'Start a new run once someone can review it; escalation chains come with the review queue.',
        });
    }
  },
};

function open(step: ReviewStep, run: StepRun) {
  return proposedOutput(step, run).then((proposed) => openReview(run.db, {
    runId: run.lease.runId,
    stepId: step.id,
    workflowId: run.workflowId,
    title: step.title,
    proposed,
    assignedRole: step.assign?.role,
    assignedTo: step.assign?.user,
    dueAt: new Date(Date.now() + parseDuration(step.due)),
  }));
}

/** Whether the step's last successful visit already acted on this review's decision. */
function usedBefore(previousOutput: unknown, reviewId: string): boolean {
  return typeof previousOutput === 'object' && previousOutput !== null && (previousOutput as { review?: unknown }).review === reviewId;
}

function facts(step: ReviewStep, run: StepRun) {
  return { stepId: step.id, kind: step.kind, attempt: run.attempt, startedAt: run.startedAt };
}

/** What the reviewer sees: `show` when given, else the output of the step that ran just before. */
async function proposedOutput(step: ReviewStep, run: StepRun): Promise<unknown> {
  if (step.show) return evaluateJsonata(step.show, run.scope, `steps[${step.id}].show`);
  const r = await run.db.query<{ step_id: string }>(
    `SELECT step_id FROM step_attempts WHERE run_id = $1 AND status = 'succeeded' ORDER BY id DESC LIMIT 1`, [run.lease.runId],
  );
  const previous = r.rows[0]?.step_id;
  return previous === undefined ? run.scope.input : run.scope.steps[previous];
}
