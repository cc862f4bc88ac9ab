import { KeelError, coerceError } from '../../errors.js';
import type { ActionStep } from '../../spec/index.js';
import { startEffect } from '../transitions.js';
import type { ActionHandler, StepHandler } from './step.js';

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
