// An action refused for want of a live grant, in a workflow that says `on_access_denied: review`:
// instead of failing the run, a person is asked. Approving means "the grant is in place now": the
// step is tried again and the grant checked again (still missing, the run fails closed; nobody can
// approve their way around a grant). Editing gives the step's result for an action a person did by
// hand; rejecting, or the deadline, ends the run. Without the setting the run fails closed at once.
import { isKeelError, KeelError } from '../../errors.js';
import { retireReview } from '../../review/index.js';
import type { ActionStep, ReviewPolicySpec } from '../../spec/index.js';
import type { StepOutcome, StepRun } from './step.js';
import { currentTask, openTask, outcomeOfTask, type DecisionMapping } from './step-review.js';

const accessPolicy: ReviewPolicySpec = { due: '24h', escalate_to: [], on_deadline: 'reject', quorum: 1, priority: 'high' };

/**
 * The person's answer for this visit of the step: `retry` once they approved (the task is retired,
 * so a later task of the step, e.g. a reconciliation, opens fresh), an outcome for any other state,
 * or undefined when nobody was asked.
 */
export async function accessAnswer(step: ActionStep, run: StepRun): Promise<'retry' | StepOutcome | undefined> {
  const task = await currentTask(run, step.id);
  if (!task || task.reason !== 'access_denied') return undefined;
  if (task.status === 'approved') {
    await retireReview(run.db, task.id);
    return 'retry';
  }
  return outcomeOfTask(task, step.id, step.kind, run, mapping);
}

/** Whether this refusal goes to a person rather than failing the run. */
export function asksOnDenial(error: unknown, run: StepRun, alreadyAsked: boolean): error is KeelError {
  return !alreadyAsked && run.spec.on_access_denied === 'review' && isKeelError(error) && error.code === 'permission_denied';
}

/** Opens the task (once for this visit) and waits for it. */
export async function askForAccess(step: ActionStep, run: StepRun, denial: KeelError): Promise<StepOutcome> {
  const review = await openTask(run, {
    stepId: step.id, kind: step.kind, reason: 'access_denied', policy: accessPolicy, role: 'approver',
    title: `${step.id} may not use ${step.connector}.${step.action} yet: get the grant, then approve to retry`,
    proposed: null,
    context: {
      input: run.scope.input, connector: step.connector, action: step.action, delivery: step.delivery, why: denial.message,
      how: 'approve once the connector\'s owner has granted the scope (the step is tried again and the grant checked again); edit to give the result if a person did it by hand; reject to end the run',
    },
  });
  return outcomeOfTask(review, step.id, step.kind, run, mapping);
}

const mapping: DecisionMapping = {
  // Approval is turned into a retry before the call (accessAnswer); one that lands between opening
  // the task and reading it is retried the same way on the step's next attempt, never skipped.
  approved: () => {
    throw new KeelError('permission_denied', 'The access task was approved while it was being opened; the step is tried again.', { retriable: true });
  },
  edited: (review) => ({ kind: 'completed', output: review.decided_output }),
  rejected: (review) => ({ kind: 'rejected', output: { decision: review.status, reason: 'access_denied', comment: review.comment, reviewer: review.decided_by, review: review.id } }),
};
