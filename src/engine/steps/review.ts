import type { ReviewRow } from '../../review/index.js';
import type { ReviewStep } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { StepHandler, StepRun } from './step.js';
import { currentTask, openTask, outcomeOfTask, type DecisionMapping } from './step-review.js';

/**
 * Suspends the run until a person decides. The task is keyed by (run, step), so a decision made
 * before the run gets here applies at once, and a worker that dies here leaves nothing doubled. A
 * decision already acted on is retired when a loop brings the run back.
 */
export const reviewStep: StepHandler<ReviewStep> = {
  async execute(step, run) {
    const review = (await currentTask(run, step.id)) ?? (await openTask(run, {
      stepId: step.id, kind: step.kind, reason: 'manual', title: step.title, proposed: await proposedOutput(step, run),
      context: { input: run.scope.input }, policy: step, role: step.assign?.role, user: step.assign?.user,
    }));
    return outcomeOfTask(review, step.id, step.kind, run, mapping(step));
  },
};

/** A review step's output names the decision, so later steps and routes can read it. */
function mapping(step: ReviewStep): DecisionMapping {
  const decided = (review: ReviewRow) => ({ reviewer: review.decided_by, comment: review.comment, review: review.id });
  return {
    approved: (review) => ({ kind: 'completed', output: { decision: 'approved', output: review.proposed, ...decided(review) } }),
    edited: (review) => ({ kind: 'completed', output: { decision: 'edited', output: review.decided_output, ...decided(review) } }),
    rejected: (review) => {
      const output = { decision: review.status === 'expired' ? 'expired' : 'rejected', output: null, ...decided(review) };
      return step.on_reject === 'end' ? { kind: 'rejected', output } : { kind: 'completed', output, next: step.on_reject };
    },
  };
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
