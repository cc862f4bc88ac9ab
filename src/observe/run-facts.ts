// What a finished run adds to the rollups: its end state, latency, reviews, model use, and the
// features drift compares (the first classify step's label and confidence, each route step's choice,
// and the output's length).
import type { WorkflowSpec } from '../spec/index.js';
import type { TracedModelCall, TracedReview, TracedRun } from './run-rows.js';
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

function features(run: TracedRun, spec: WorkflowSpec | undefined): Array<{ dimension: string; value: string }> {
  const out: Array<{ dimension: string; value: string }> = [];
  const classify = spec?.steps.find((s) => s.kind === 'classify');
  const judged = classify ? run.state[classify.id] as { label?: unknown; confidence?: unknown } | undefined : undefined;
  if (judged && typeof judged.label === 'string') out.push({ dimension: 'label', value: judged.label });
  if (judged && typeof judged.confidence === 'number') out.push({ dimension: 'confidence', value: confidenceBin(judged.confidence) });
  for (const step of spec?.steps ?? []) {
    if (step.kind !== 'route') continue;
    const chosen = run.state[step.id] as { to?: unknown } | undefined;
    if (chosen) out.push({ dimension: 'route', value: `${step.id}:${typeof chosen.to === 'string' ? chosen.to : 'none'}` });
  }
  if (run.status === 'succeeded') out.push({ dimension: 'output_length', value: lengthBin(JSON.stringify(run.output ?? null).length) });
  if (run.status === 'failed') out.push({ dimension: 'error_class', value: run.error?.code ?? 'internal' });
  return out;
}

/**
 * Model steps and those valid on the first try: a step's first call answered (no error) and no
 * repair call was needed for it.
 */
function promptFigures(calls: readonly TracedModelCall[]): { modelSteps: number; firstTryValid: number } {
  const bySteps = new Map<string, TracedModelCall[]>();
  for (const c of calls) bySteps.set(c.step_id, [...(bySteps.get(c.step_id) ?? []), c]);
  let firstTryValid = 0;
  for (const list of bySteps.values()) {
    if (list[0]!.error_class === null && !list.some((c) => c.purpose === 'repair')) firstTryValid += 1;
  }
  return { modelSteps: bySteps.size, firstTryValid };
}

/** The facts of a run that has ended; `at` is the time its hour is taken from. */
export function runFacts(
  run: TracedRun, rows: { modelCalls: TracedModelCall[]; reviews: TracedReview[] }, spec: WorkflowSpec | undefined, at: Date,
): RunFacts {
  const decided = rows.reviews.filter((r) => r.decided_at && ['approved', 'edited', 'rejected'].includes(r.status));
  const escalated = decided.filter((r) => r.escalated_at);
  return {
    workflowId: run.workflow_id, versionId: run.version_id, stage: run.stage, at,
    status: run.status as RunFacts['status'],
    latencyMs: run.finished_at ? run.finished_at.getTime() - run.created_at.getTime() : null,
    automated: run.status === 'succeeded' && rows.reviews.length === 0,
    reviewed: decided.length,
    approved: decided.filter((r) => r.status === 'approved').length,
    overridden: decided.filter((r) => r.status !== 'approved').length,
    escalated: escalated.length,
    escalationMs: escalated.reduce((sum, r) => sum + (r.decided_at!.getTime() - r.escalated_at!.getTime()), 0),
    ...promptFigures(rows.modelCalls),
    modelCalls: rows.modelCalls.length,
    tokensIn: rows.modelCalls.reduce((s, c) => s + c.tokens_in, 0),
    tokensOut: rows.modelCalls.reduce((s, c) => s + c.tokens_out, 0),
    costUsd: rows.modelCalls.reduce((s, c) => s + Number(c.cost_usd), 0),
    metricValue: null,
    counts: features(run, spec),
  };
}
