// The approval boundary: per run, before its first side effect, whether the output is acted on
// automatically, sent to review, or escalated. The defaults fail safe: sandbox always goes to a
// person, a matched exclusion is always escalated, and a high-risk workflow acts automatically only
// where its file says so in writing (a rule or a default of `auto`).
import type { ReviewReason } from '../review/index.js';
import type { ApprovalRule, WorkflowSpec } from '../spec/index.js';
import { evaluateCondition } from './expressions.js';
import type { StepScope } from './types.js';

export interface BoundaryVerdict {
  decision: 'auto' | 'review' | 'escalate';
  reason: ReviewReason;
  /** Who gets the task (review or escalate). */
  role?: string;
  /** What decided: a rule's index, `default`, or a fail-safe (`sandbox`, `exclusion`, `risk`). */
  by: number | 'default' | 'sandbox' | 'exclusion' | 'risk';
  /** The step whose output was judged, if any. */
  subject: string | null;
  confidence: number | null;
  exclusions: string[];
  flags: string[];
}

/**
 * Judges the run's outputs before the step at `beforeIndex` (its first action). Rules see `output`
 * (the judged step's output), `confidence` (0 when no step stated one, so a missing confidence never
 * passes a threshold), `risk`, `stage`, `exclusions` (names matched), `flags` (every `flags` list the
 * judged step and the model and classify steps returned), and `input`, `steps`, `run`.
 */
export function judgeBoundary(spec: WorkflowSpec, scope: StepScope, beforeIndex: number): BoundaryVerdict {
  const subject = spec.approval?.output ?? lastJudgedStep(spec, scope, beforeIndex);
  const output = subject === null ? null : scope.steps[subject] ?? null;
  const confidence = confidenceOf(output) ?? lowestConfidence(spec, scope);
  const flags = collectFlags(spec, scope, subject);
  const base = { ...scope, output, confidence: confidence ?? 0, risk: spec.risk, stage: scope.run.stage, flags, exclusions: [] as string[] };
  const exclusions = spec.exclusions.flatMap((e, i) =>
    typeof e !== 'string' && evaluateCondition(e.when, base as unknown as StepScope, `exclusions[${i}].when`) ? [e.name] : [],
  );
  const facts = { subject, confidence, exclusions, flags };
  const reviewRole = spec.approval?.review.role ?? 'reviewer';
  const escalationRole = spec.approval?.review.escalate_to[0] ?? 'approver';

  if (scope.run.stage === 'sandbox') return { decision: 'review', reason: 'sandbox', role: reviewRole, by: 'sandbox', ...facts };
  if (exclusions.length > 0) return { decision: 'escalate', reason: 'policy', role: escalationRole, by: 'exclusion', ...facts };
  const celScope = { ...base, exclusions } as unknown as StepScope;
  const rules = spec.approval?.rules ?? [];
  for (const [i, rule] of rules.entries()) {
    if (evaluateCondition(rule.when, celScope, `approval.rules[${i}].when`)) {
      return { decision: rule.then, reason: ruleReason(rule), role: ruleRole(rule, reviewRole, escalationRole), by: i, ...facts };
    }
  }
  const written = spec.approval?.default;
  if (written) return { decision: written, reason: 'policy', role: written === 'escalate' ? escalationRole : reviewRole, by: 'default', ...facts };
  if (spec.risk === 'high') return { decision: 'review', reason: 'risk', role: reviewRole, by: 'risk', ...facts };
  return { decision: 'auto', reason: 'policy', by: 'default', ...facts };
}

function ruleReason(rule: ApprovalRule): ReviewReason {
  return rule.reason ?? 'policy';
}

function ruleRole(rule: ApprovalRule, reviewRole: string, escalationRole: string): string | undefined {
  if (rule.then === 'auto') return undefined;
  return rule.role ?? (rule.then === 'escalate' ? escalationRole : reviewRole);
}

const judgedKinds = new Set(['model', 'classify']);

/** The last model or classify step before the action that has an output in this run. */
function lastJudgedStep(spec: WorkflowSpec, scope: StepScope, beforeIndex: number): string | null {
  for (let i = Math.min(beforeIndex, spec.steps.length) - 1; i >= 0; i -= 1) {
    const step = spec.steps[i]!;
    if (judgedKinds.has(step.kind) && step.id in scope.steps) return step.id;
  }
  return null;
}

function confidenceOf(output: unknown): number | undefined {
  if (typeof output !== 'object' || output === null) return undefined;
  const value = (output as { confidence?: unknown }).confidence;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The least sure of the run's model and classify answers: the boundary is as strong as its weakest judgement. */
function lowestConfidence(spec: WorkflowSpec, scope: StepScope): number | null {
  const values = spec.steps.filter((s) => judgedKinds.has(s.kind)).map((s) => confidenceOf(scope.steps[s.id])).filter((v): v is number => v !== undefined);
  return values.length > 0 ? Math.min(...values) : null;
}

/** Policy flags: every `flags` list of the judged output and of the model and classify answers. */
function collectFlags(spec: WorkflowSpec, scope: StepScope, subject: string | null): string[] {
  const flags = new Set<string>();
  for (const step of spec.steps) {
    if (!judgedKinds.has(step.kind) && step.id !== subject) continue;
    const output = scope.steps[step.id];
    const list = typeof output === 'object' && output !== null ? (output as { flags?: unknown }).flags : undefined;
    if (Array.isArray(list)) for (const f of list) if (typeof f === 'string') flags.add(f);
  }
  return [...flags];
}
