// What a run adds to the rollups, as it happens: a model call its tokens and cost when it is traced,
// a finished step its features (the first classify step's label and confidence, a route step's
// choice) and whether its prompt gave a valid output on the first try, and the run's end its state,
// latency, reviews and output length. A run waiting for a person therefore already shows in drift
// and cost.
import type { WorkflowSpec } from '../spec/index.js';
import type { TracedAttempt, TracedModelCall, TracedReview, TracedRun } from './run-rows.js';
import type { RunFacts } from './rollup.js';

/** Confidence in tenths: '0.0' holds [0, 0.1), ..., '0.9' holds [0.9, 1]. */
export function confidenceBin(confidence: number): string {
  return (Math.min(9, Math.max(0, Math.floor(confidence * 10))) / 10).toFixed(1);
}

/** Output length in characters of its JSON, by powers of two: the bin is its upper bound. */
export function lengthBin(chars: number): string {
  let bound = 16;
  while (bound < chars && bound < 1 << 24) bound *= 2;
  return String(bound);
}

type Place = Pick<RunFacts, 'workflowId' | 'versionId' | 'stage' | 'at'>;

function placeOf(run: TracedRun, at: Date): Place {
  return { workflowId: run.workflow_id, versionId: run.version_id, stage: run.stage, at };
}

/** What one model call adds: its tokens and cost. */
export function callFacts(run: TracedRun, call: TracedModelCall, at: Date): RunFacts {
  return { ...placeOf(run, at), status: null, modelCalls: 1, tokensIn: call.tokens_in, tokensOut: call.tokens_out, costUsd: Number(call.cost_usd) };
}

/**
 * A failed attempt the engine will not try again (src/engine/executor.ts recordFailure): its error is
 * not retriable, or it was the step's last try. Its step ends there, so its prompt is judged there.
 */
function failedForGood(attempt: TracedAttempt, step: WorkflowSpec['steps'][number] | undefined): boolean {
  return attempt.status === 'failed' && (attempt.error?.retriable !== true || attempt.attempt >= (step?.retry.max_attempts ?? 1));
}

/**
 * What a step adds once it is over: a succeeded one the drift features of classify and route steps;
 * a succeeded one or one that failed for good, if it called a model, whether the first call gave a
 * valid output (it answered, and no repair was asked). A model step whose every try failed is a
 * prompt that did not succeed, so it counts too, or the prompt success rate would leave out its worst cases.
 */
export function stepFacts(
  run: TracedRun, attempt: TracedAttempt, calls: readonly TracedModelCall[], spec: WorkflowSpec | undefined, at: Date,
): RunFacts | null {
  const step = spec?.steps.find((s) => s.id === attempt.step_id);
  if (attempt.status !== 'succeeded' && !failedForGood(attempt, step)) return null;
  const counts: Array<{ dimension: string; value: string }> = [];
  const firstClassify = spec?.steps.find((s) => s.kind === 'classify');
  const output = (attempt.status === 'succeeded' ? attempt.output ?? {} : {}) as { label?: unknown; confidence?: unknown; to?: unknown };
  if (step && step === firstClassify) {
    if (typeof output.label === 'string') counts.push({ dimension: 'label', value: output.label });
    if (typeof output.confidence === 'number') counts.push({ dimension: 'confidence', value: confidenceBin(output.confidence) });
  }
  if (step?.kind === 'route' && attempt.status === 'succeeded') counts.push({ dimension: 'route', value: `${step.id}:${typeof output.to === 'string' ? output.to : 'none'}` });
  const own = calls.filter((c) => c.step_id === attempt.step_id && c.created_at.getTime() <= attempt.finished_at.getTime() + 1);
  const prompt = own.length > 0 ? { modelSteps: 1, firstTryValid: own[0]!.error_class === null && !own.some((c) => c.purpose === 'repair') ? 1 : 0 } : {};
  if (counts.length === 0 && own.length === 0) return null;
  return { ...placeOf(run, at), status: null, counts, ...prompt };
}

/** What a run's end adds: its end state, latency, how its review tasks were decided, output length or error class. */
export function endFacts(run: TracedRun, reviews: readonly TracedReview[], at: Date): RunFacts {
  const decided = reviews.filter((r) => r.decided_at && ['approved', 'edited', 'rejected'].includes(r.status));
  const escalated = decided.filter((r) => r.escalated_at);
  const counts: Array<{ dimension: string; value: string }> = [];
  if (run.status === 'succeeded') counts.push({ dimension: 'output_length', value: lengthBin(JSON.stringify(run.output ?? null).length) });
  if (run.status === 'failed') counts.push({ dimension: 'error_class', value: run.error?.code ?? 'internal' });
  return {
    ...placeOf(run, at),
    status: run.status as RunFacts['status'],
    latencyMs: run.finished_at ? run.finished_at.getTime() - run.created_at.getTime() : null,
    automated: run.status === 'succeeded' && reviews.length === 0,
    reviewed: decided.length,
    approved: decided.filter((r) => r.status === 'approved').length,
    overridden: decided.filter((r) => r.status !== 'approved').length,
    escalated: escalated.length,
    escalationMs: escalated.reduce((sum, r) => sum + (r.decided_at!.getTime() - r.escalated_at!.getTime()), 0),
    counts,
  };
}
