import { KeelError, coerceError } from '../../errors.js';
import type { ActionStep } from '../../spec/index.js';
import { startEffect } from '../transitions.js';
import { isOpen } from '../../review/index.js';
import type { ActionHandler, StepHandler, StepOutcome, StepRun } from './step.js';
import { currentTask, outcomeOfTask } from './step-review.js';

/**
 * Runs a side effect under its delivery class. The effect is recorded as started (fenced by the
 * lease) before the call, so a worker that lost its lease never starts it, and a successor that finds
 * it started knows the call may have happened: `idempotent` repeats it with the same key,
 * `check-then-act` looks first, `unsafe` stops for a person (handled by the executor on resume).
 */
export function createActionStep(actions: ReadonlyMap<string, ActionHandler>): StepHandler<ActionStep> {
  return {
    async execute(step, run) {
      const action = actions.get(step.action);
      if (!action) {
        throw new KeelError('misconfigured', `steps[${step.id}]: no action named "${step.action}".`, {
          hint: `Available actions: ${[...actions.keys()].join(', ')}.`, retriable: false,
        });
      }
      if (step.delivery === 'unsafe') {
        // An unsafe effect that may have happened is only ever resolved by a person's reconciliation.
        const outcome = await reconciled(step, run);
        if (outcome) return outcome;
      }
      const request = { config: step.with, scope: run.scope, idempotencyKey: run.idempotencyKey, signal: run.signal };
      if (run.checkFirst && step.delivery === 'check-then-act') {
        if (!action.check) throw new KeelError('misconfigured', `steps[${step.id}]: action ${step.action} cannot check before acting.`, { retriable: false });
        const found = await action.check(request);
        if (found.exists) return { kind: 'completed', output: found.output ?? null };
      }
      run.faults.hit('before-effect', step.id);
      const attemptId = await startEffect(run.db, run.lease, {
        stepId: step.id, kind: step.kind, attempt: run.attempt, startedAt: run.startedAt,
      }, step.delivery, run.idempotencyKey);
      run.recordedAttemptId = attemptId;
      run.faults.hit('before-call', step.id);
      let output: unknown;
      try {
        output = await action.call(request);
      } catch (error) {
        throw classifyFailure(error, step);
      }
      run.faults.hit('after-call', step.id);
      return { kind: 'completed', output, attemptId };
    },
  };
}

/**
 * A person's answer to "did it take effect?" for this visit of the step, if they gave one; an
 * `outcome_unknown` error when an earlier attempt started the effect and nobody has answered yet.
 */
async function reconciled(step: ActionStep, run: StepRun): Promise<StepOutcome | undefined> {
  const task = await currentTask(run, step.id);
  if (task && task.reason === 'outcome_unknown' && !isOpen(task)) {
    return outcomeOfTask(task, step.id, step.kind, run, {
      approved: (review) => ({ kind: 'completed', output: { reconciled: 'took_effect', reviewer: review.decided_by, comment: review.comment } }),
      edited: (review) => ({ kind: 'completed', output: review.decided_output }),
      rejected: (review) => ({ kind: 'rejected', output: { reconciled: review.status === 'expired' ? 'expired' : 'did_not_take_effect', reviewer: review.decided_by, comment: review.comment, review: review.id } }),
    });
  }
  if (!run.checkFirst) return undefined;
  throw new KeelError('outcome_unknown', `steps[${step.id}]: the ${step.action} call may have taken effect and nobody has reconciled it yet.`, {
    retriable: false, hint: 'Decide its outcome_unknown review task; Keel never repeats an unsafe action by itself.',
  });
}

/** An unsafe call that may have reached the target (timeout, dropped connection) is not retried blindly. */
function classifyFailure(error: unknown, step: ActionStep): KeelError {
  const e = coerceError(error);
  const mayHaveHappened = e.code === 'step_timeout' || (e.code === 'action_failed' && e.retriable && e.details?.sent !== false);
  if (step.delivery === 'unsafe' && mayHaveHappened) {
    return new KeelError('outcome_unknown', `steps[${step.id}]: the ${step.action} call may or may not have taken effect (${e.message}).`, {
      retriable: false, cause: e, hint: 'Check the target system, then reconcile the run.',
    });
  }
  return e;
}
