// Where a workflow's confidence threshold could sit, judged on what its reviewers decided: every
// decided task whose context carries the confidence the output was produced with is one labelled
// case (approved = the output was right; edited or rejected = it was not). The statistics are in
// calibration.ts; this file gathers the cases and reads the threshold the workflow runs with today.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { getVersionById, getWorkflow } from '../registry/index.js';
import { APPROVAL, autoThreshold } from '../spec/index.js';
import { suggestThreshold, type BoundMethod } from './calibration.js';

/** Fewest scored decisions (and accepted cases at the threshold) a suggestion rests on. */
export const minScoredDecisions = 30;

export interface BoundarySuggestInput {
  workflowId: string;
  /** Precision the outputs sent straight through must reach, in (0, 1). */
  precision: number;
  /** Only tasks of this step (or the approval boundary's tasks judging it, whose context names it as `subject`); every task when absent. */
  step?: string;
  /** Confidence of the one-sided lower bound; 0.95 by default. */
  confidenceLevel?: number;
  method?: BoundMethod;
}

/** The threshold the deployed production version runs with, when its definition has one. */
export interface CurrentThreshold {
  step: string;
  min_confidence: number;
  version: number;
  version_id: string;
}

export interface BoundarySuggestion {
  workflow_id: string;
  step: string | null;
  target_precision: number;
  confidence_level: number;
  method: BoundMethod;
  /** The lowest confidence whose precision lower bound reaches the target; null when none does. */
  threshold: number | null;
  /** The one-sided lower bound on precision at that threshold. */
  precision_lower_bound: number;
  /** Observed precision above the threshold. */
  precision: number;
  /** Share of the decided sample the threshold would have sent straight through. */
  coverage: number;
  /** Decided cases at or above the threshold. */
  accepted: number;
  /** Scored decisions the suggestion rests on. */
  n: number;
  approved: number;
  overridden: number;
  current: CurrentThreshold | null;
  /** The trade-off at up to 20 thresholds, high to low. */
  curve: Array<{ threshold: number; accepted: number; precision: number; lower_bound: number; coverage: number }>;
}

/**
 * Suggests a confidence threshold for a workflow from its decided review tasks.
 *
 * Cases: tasks decided by a person (approved = correct; edited or rejected = wrong) whose
 * `context.confidence` is a number from 0 to 1. Expired tasks are left out: nobody judged them.
 * Dataset cases join once eval runs score them (a case has an expected output but no confidence of
 * its own until a version is run on it); eval results will be added here when evals exist.
 *
 * Mind where the cases come from: in production only outputs below the current threshold (or
 * caught by a rule) reach a person, so the sample above it is thin. Sandbox sends every output to
 * review, which is the unbiased sample to calibrate on.
 *
 * Throws `conflict` when fewer than 30 scored decisions exist, saying how many there are.
 */
export async function suggestBoundary(db: Queryable, input: BoundarySuggestInput): Promise<BoundarySuggestion> {
  const workflow = await getWorkflow(db, input.workflowId);
  // The CASE keeps the cast from ever seeing a confidence that is not a JSON number.
  const r = await db.query<{ confidence: number; correct: boolean }>(
    `SELECT confidence, correct FROM (
       SELECT CASE WHEN jsonb_typeof(context->'confidence') = 'number' THEN (context->>'confidence')::float8 END AS confidence,
              status = 'approved' AS correct
         FROM reviews
        WHERE workflow_id = $1 AND status IN ('approved', 'edited', 'rejected')
          AND ($2::text IS NULL OR step_id = $2 OR context->>'subject' = $2)
     ) scored
     WHERE confidence BETWEEN 0 AND 1`,
    [input.workflowId, input.step ?? null],
  );
  const decisions = r.rows.map((row) => ({ confidence: Number(row.confidence), correct: row.correct }));
  if (decisions.length < minScoredDecisions) {
    const where = input.step ? ` for step ${input.step}` : '';
    throw new KeelError('conflict', `Workflow ${input.workflowId} has ${decisions.length} decided review${decisions.length === 1 ? '' : 's'} with a confidence${where}; a suggestion needs at least ${minScoredDecisions}.`, {
      hint: `Decide ${minScoredDecisions - decisions.length} more review tasks whose context carries a confidence (a sandbox deployment sends every output to review), then ask again.`,
    });
  }
  const s = suggestThreshold(decisions, {
    targetPrecision: input.precision, confidenceLevel: input.confidenceLevel, method: input.method, minAccepted: minScoredDecisions,
  });
  const production = workflow.deployments.find((d) => d.stage === 'production');
  const current = production ? configuredThreshold((await getVersionById(db, production.version_id)).definition, input.step) : undefined;
  const approved = decisions.filter((d) => d.correct).length;
  return {
    workflow_id: input.workflowId, step: input.step ?? null,
    target_precision: s.targetPrecision, confidence_level: s.confidenceLevel, method: s.method,
    threshold: s.threshold, precision_lower_bound: s.precisionLowerBound, precision: s.precision, coverage: s.coverage,
    accepted: s.accepted, n: s.total, approved, overridden: s.total - approved,
    current: current && production ? { ...current, version: production.version_number, version_id: production.version_id } : null,
    curve: s.curve.map((p) => ({ threshold: p.threshold, accepted: p.accepted, precision: p.precision, lower_bound: p.lowerBound, coverage: p.coverage })),
  };
}

interface StepLike { id?: unknown; kind?: unknown; min_confidence?: unknown }

/**
 * The threshold a definition sets: the approval boundary's `confidence >= X` rule (step
 * `approval`), else the `min_confidence` of the named step, or of the first classify or model step
 * that has one. Read loosely (a stored definition is whatever the format was when deployed).
 */
export function configuredThreshold(definition: unknown, step?: string): { step: string; min_confidence: number } | undefined {
  if (step === undefined || step === APPROVAL) {
    const rule = autoThreshold((definition as { approval?: { rules?: unknown } } | null)?.approval?.rules);
    if (rule) return { step: APPROVAL, min_confidence: rule.threshold };
    if (step === APPROVAL) return undefined;
  }
  const steps = (definition as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return undefined;
  const candidates = (steps as StepLike[]).filter((s) => typeof s === 'object' && s !== null && typeof s.id === 'string');
  const found = step !== undefined
    ? candidates.find((s) => s.id === step)
    : candidates.find((s) => (s.kind === 'classify' || s.kind === 'model') && typeof s.min_confidence === 'number');
  if (!found || typeof found.min_confidence !== 'number') return undefined;
  return { step: found.id as string, min_confidence: found.min_confidence };
}
