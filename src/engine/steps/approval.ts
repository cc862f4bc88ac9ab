import type { ReviewRow } from '../../review/index.js';
import { APPROVAL, type ActionStep, type ReviewPolicySpec, type RetrySpec } from '../../spec/index.js';
import { judgeBoundary, type BoundaryVerdict } from '../boundary.js';
import type { StepHandler, StepOutcome, StepRun } from './step.js';
import { currentTask, openTask, outcomeOfTask, type DecisionMapping } from './step-review.js';

/**
 * The approval boundary as a step the executor inserts before a run's first action. Its output,
 * `steps.approval`, records how the run was let through (auto, approved, edited) and why; an edit
 * replaces the judged step's output for everything after it.
 */
export interface ApprovalGate {
  id: typeof APPROVAL;
  kind: 'approval';
  /** The action the gate stands in front of, and its index in the file. */
  before: string;
  beforeIndex: number;
  timeout: string;
  retry: RetrySpec;
}

export function approvalGate(before: string, beforeIndex: number): ApprovalGate {
  return { id: APPROVAL, kind: 'approval', before, beforeIndex, timeout: '30s', retry: { max_attempts: 3, backoff: '1s', max_backoff: '30s' } };
}

const defaultPolicy: ReviewPolicySpec = { due: '24h', escalate_to: [], on_deadline: 'reject', quorum: 1 };

/** What an action would send if the run went on now (see action.ts previewAction). */
export type ActionPreviewer = (step: ActionStep, run: StepRun) => Promise<Record<string, unknown>>;

export function createApprovalStep(preview: ActionPreviewer): StepHandler<ApprovalGate> {
  return { execute: (gate, run) => judgeAndAsk(gate, run, preview) };
}

async function judgeAndAsk(gate: ApprovalGate, run: StepRun, preview: ActionPreviewer): Promise<StepOutcome> {
  const existing = await currentTask(run, APPROVAL);
  if (existing) return outcomeOfTask(existing, APPROVAL, 'approval', run, mapping(gate, existing));
  // A trial run is judged as production would judge it (the sandbox fail-safe would only say "review"):
  // what an eval or a shadow wants to know is whether this version's output would go out by itself.
  const scope = run.purpose === 'live' ? run.scope : { ...run.scope, run: { ...run.scope.run, stage: 'production' as const } };
  const verdict = judgeBoundary(run.spec, scope, gate.beforeIndex);
  const summary = summarise(verdict);
  if (verdict.decision === 'auto') return { kind: 'completed', output: { decision: 'auto', ...summary }, next: gate.before };
  if (run.purpose !== 'live') {
    // Nobody is asked; the output keeps the verdict a live run of this version would have had.
    return { kind: 'completed', output: { decision: verdict.decision, ...summary, asked: false, purpose: run.purpose }, next: gate.before };
  }
  const approval = run.spec.approval;
  const subjectStep = run.spec.steps.find((s) => s.id === verdict.subject);
  const review = await openTask(run, {
    stepId: APPROVAL, kind: 'approval', reason: verdict.reason, escalated: verdict.decision === 'escalate', role: verdict.role,
    title: approval?.review.title ?? title(verdict, gate),
    proposed: verdict.subject === null ? null : run.scope.steps[verdict.subject] ?? null,
    context: {
      input: run.scope.input, steps: run.scope.steps, ...summary,
      // Each action after the gate with exactly what it would send, so the person sees what approving sets going.
      actions: await Promise.all(run.spec.steps.slice(gate.beforeIndex).flatMap((s) => (s.kind === 'action' ? [preview(s, run)] : []))),
    },
    policy: approval?.review ?? defaultPolicy,
    outputSchema: approval?.output_schema ?? (subjectStep?.kind === 'model' ? subjectStep.output_schema : undefined),
  });
  return outcomeOfTask(review, APPROVAL, 'approval', run, mapping(gate, review));
}

function summarise(verdict: BoundaryVerdict) {
  return { by: verdict.by, reason: verdict.reason, subject: verdict.subject, confidence: verdict.confidence, exclusions: verdict.exclusions, flags: verdict.flags };
}

function title(verdict: BoundaryVerdict, gate: ApprovalGate): string {
  if (verdict.by === 'sandbox') return `Sandbox: check the output before ${gate.before}`;
  if (verdict.by === 'exclusion') return `Escalated: ${verdict.exclusions.join(', ')}`;
  if (verdict.by === 'risk') return `High-risk workflow: approve before ${gate.before}`;
  const confidence = verdict.confidence === null ? '' : ` (confidence ${verdict.confidence.toFixed(2)})`;
  return `${verdict.decision === 'escalate' ? 'Escalated' : 'Approve'} before ${gate.before}${confidence}`;
}

/** Approve lets the run on; edit also replaces the judged output; reject (or the deadline's reject) ends the run. */
function mapping(gate: ApprovalGate, task: ReviewRow): DecisionMapping {
  const subject = typeof task.context?.subject === 'string' ? task.context.subject : null;
  const decided = (review: ReviewRow, decision: string) => ({
    decision, by: task.context?.by ?? null, reason: review.reason, subject, confidence: task.context?.confidence ?? null,
    reviewer: review.decided_by, comment: review.comment, review: review.id,
  });
  return {
    approved: (review): StepOutcome => ({ kind: 'completed', output: decided(review, review.status === 'expired' ? 'expired_approved' : 'approved'), next: gate.before }),
    edited: (review): StepOutcome => ({
      kind: 'completed', output: decided(review, 'edited'), next: gate.before,
      patch: subject === null ? undefined : { [subject]: review.decided_output },
    }),
    rejected: (review): StepOutcome => ({ kind: 'rejected', output: decided(review, review.status === 'expired' ? 'expired' : 'rejected') }),
  };
}
