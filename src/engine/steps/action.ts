import { prepareAction, renderAction, type ConnectorRuntimeDeps, type PreparedAction } from '../../connectors/index.js';
import { KeelError, coerceError } from '../../errors.js';
import { evaluateJsonata } from '../expressions.js';
import type { ActionStep } from '../../spec/index.js';
import { startEffect } from '../transitions.js';
import { isOpen } from '../../review/index.js';
import type { StepHandler, StepOutcome, StepRun } from './step.js';
import { accessAnswer, askForAccess, asksOnDenial } from './access-review.js';
import { currentTask, outcomeOfTask } from './step-review.js';

/**
 * Runs a side effect under its delivery class. The effect is recorded as started (fenced by the
 * lease) before the call, so a worker that lost its lease never starts it, and a successor that finds
 * it started knows the call may have happened: `idempotent` repeats it with the same key,
 * `check-then-act` looks first, `unsafe` stops for a person (handled by the executor on resume).
 */
export function createActionStep(connectors: ConnectorRuntimeDeps): StepHandler<ActionStep> {
  return {
    async execute(step, run) {
      if (step.delivery === 'unsafe') {
        // An unsafe effect that may have happened is only ever resolved by a person's reconciliation.
        const outcome = await reconciled(step, run);
        if (outcome) return outcome;
      }
      const asked = await accessAnswer(step, run);
      if (asked !== undefined && asked !== 'retry') return asked;
      let action: PreparedAction;
      try {
        action = await prepareConnectorAction(step, run, connectors);
      } catch (error) {
        // After a person said the grant is in place, a refusal fails the run: nobody approves around a grant.
        if (asksOnDenial(error, run, asked === 'retry')) return askForAccess(step, run, error);
        throw error;
      }
      // In sandbox the side effect is recorded, not performed: no effect is started.
      if (action.intercepted) return { kind: 'completed', output: action.intercepted.output };
      if (run.checkFirst && step.delivery === 'check-then-act') {
        if (!action.check) throw new KeelError('misconfigured', `steps[${step.id}]: ${step.connector}.${step.action} cannot check before acting.`, { retriable: false });
        const found = await action.check();
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
        output = await action.perform();
      } catch (error) {
        throw classifyFailure(error, step);
      }
      run.faults.hit('after-call', step.id);
      return { kind: 'completed', output, attemptId };
    },
  };
}

/**
 * A connector's action through the governed path: its input evaluated from the run (each string of
 * `with` is JSONata), the grant checked, and in sandbox the call replaced by its record. The class
 * the workflow file states must be the connector action's own, so recovery after a crash follows
 * the right rules.
 */
async function prepareConnectorAction(step: ActionStep, run: StepRun, connectors: ConnectorRuntimeDeps): Promise<PreparedAction> {
  const input = await evaluateWith(step, run.scope);
  const prepared = await prepareAction(connectors, {
    workflowId: run.workflowId, runId: run.scope.run.id, stepId: step.id, connectorId: step.connector, action: step.action,
    input, idempotencyKey: run.idempotencyKey, signal: run.signal, intercept: run.scope.run.stage === 'sandbox',
  });
  if (prepared.delivery !== step.delivery) {
    throw new KeelError('misconfigured', `steps[${step.id}]: ${step.connector}.${step.action} is ${prepared.delivery}, but the workflow file says ${step.delivery}.`, {
      retriable: false, hint: `Set delivery: ${prepared.delivery} on the step, so that recovery after a crash follows the action's real class.`,
    });
  }
  return prepared;
}

/** The action's input as of now: each string of `with` is JSONata over the run's scope. */
async function evaluateWith(step: ActionStep, scope: StepRun['scope']): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(step.with)) {
    input[field] = typeof value === 'string' ? await evaluateJsonata(value, scope, `steps[${step.id}].with.${field}`) : value;
  }
  return input;
}

/**
 * What an action step would send if the run went on now, for the person deciding at the approval
 * boundary. A later action may depend on steps that have not run yet; then the preview says why it
 * cannot be shown instead of failing the run.
 */
export async function previewAction(step: ActionStep, run: StepRun, connectors: ConnectorRuntimeDeps): Promise<Record<string, unknown>> {
  const about = { step: step.id, connector: step.connector, action: step.action, delivery: step.delivery };
  try {
    return { ...about, ...(await renderAction(connectors, step.connector, step.action, await evaluateWith(step, run.scope))) };
  } catch (error) {
    return { ...about, preview_error: coerceError(error).message };
  }
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
