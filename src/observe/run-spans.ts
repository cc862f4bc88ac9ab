// A Keel run as OpenTelemetry spans: the run is the root, each finished step attempt a child, each
// model call a child of the attempt it ran in (GenAI semantic conventions), and each decided review a
// child of the run. Payloads are redacted (or reduced to their size) before they become attributes.
import type { StepSpec, WorkflowSpec } from '../spec/index.js';
import type { Redactor } from './redaction.js';
import type { TracedAttempt, TracedModelCall, TracedReview, TracedRun } from './run-rows.js';
import { keelSpanId, runTraceId, type Attributes, type SpanRecord } from './span.js';

export const terminalRunStatuses = new Set(['succeeded', 'failed', 'rejected', 'canceled']);

export interface SpanOptions {
  redactor: Redactor;
  /** Keep payloads (redacted); false keeps their size in bytes only. */
  payloads: boolean;
}

function payload(options: SpanOptions, name: string, value: unknown): Attributes {
  if (value === undefined || value === null) return {};
  const json = options.redactor.json(value);
  return options.payloads ? { [name]: json } : { [`${name}.bytes`]: Buffer.byteLength(json) };
}

function spanBase(run: TracedRun): Pick<SpanRecord, 'traceId' | 'workflowId' | 'runId' | 'source' | 'resource' | 'scope' | 'events' | 'kind'> {
  return { traceId: runTraceId(run.id), workflowId: run.workflow_id, runId: run.id, source: 'keel', resource: null, scope: 'keel', events: null, kind: 'internal' };
}

function runAttributes(run: TracedRun): Attributes {
  return { 'keel.workflow.id': run.workflow_id, 'keel.run.id': run.id, 'keel.version.id': run.version_id, 'keel.stage': run.stage };
}

// Versions are immutable: each one's steps are indexed once, not for every run.
const stepIndex = new WeakMap<WorkflowSpec, Map<string, StepSpec>>();
function stepsOf(spec: WorkflowSpec | undefined): Map<string, StepSpec> {
  if (!spec) return new Map();
  let steps = stepIndex.get(spec);
  if (!steps) stepIndex.set(spec, (steps = new Map(spec.steps.map((s) => [s.id, s]))));
  return steps;
}

export function runSpans(
  run: TracedRun, rows: { attempts: TracedAttempt[]; modelCalls: TracedModelCall[]; reviews: TracedReview[] },
  spec: WorkflowSpec | undefined, options: SpanOptions,
): SpanRecord[] {
  const base = spanBase(run);
  const rootId = keelSpanId('run', run.id);
  const common = runAttributes(run);
  const spans: SpanRecord[] = [];
  if (terminalRunStatuses.has(run.status) && run.finished_at) {
    spans.push({
      ...base, spanId: rootId, parentSpanId: null, name: `run ${run.workflow_id}`, kind: 'server',
      startedAt: run.created_at, endedAt: run.finished_at,
      status: run.status === 'failed' ? 'error' : 'ok', statusMessage: run.error?.message ?? null,
      attributes: {
        ...common, 'keel.trigger': run.trigger_kind, 'keel.run.status': run.status,
        ...(run.error ? { 'error.type': run.error.code } : {}),
        ...payload(options, 'keel.input', run.input), ...payload(options, 'keel.output', run.output),
      },
    });
  }
  const steps = stepsOf(spec);
  for (const a of rows.attempts) {
    const step = steps.get(a.step_id);
    const failed = a.status === 'failed' || a.status === 'interrupted';
    spans.push({
      ...base, spanId: keelSpanId('attempt', a.id), parentSpanId: rootId, name: `${a.kind} ${a.step_id}`,
      kind: a.kind === 'action' ? 'client' : 'internal', startedAt: a.started_at, endedAt: a.finished_at,
      status: failed ? 'error' : 'ok', statusMessage: failed ? a.error?.message ?? null : null,
      attributes: {
        ...common, 'keel.step.id': a.step_id, 'keel.step.kind': a.kind, 'keel.step.attempt': a.attempt, 'keel.step.status': a.status,
        ...(a.error ? { 'error.type': a.error.code } : {}),
        ...(step?.kind === 'action' ? { 'keel.connector.id': step.connector, 'keel.action': step.action, 'keel.action.delivery': step.delivery } : {}),
        ...(a.effect ? { 'keel.action.effect': a.effect } : {}),
        ...(a.next_step ? { 'keel.step.next': a.next_step } : {}),
        ...payload(options, 'keel.output', a.output),
      },
    });
  }
  for (const call of rows.modelCalls) spans.push(modelCallSpan(run, call, rows.attempts, base, common));
  for (const review of rows.reviews) {
    if (!review.decided_at || review.status === 'pending' || review.status === 'escalated') continue;
    spans.push({
      ...base, spanId: keelSpanId('review', review.id), parentSpanId: rootId, name: `decision ${review.step_id}`,
      startedAt: review.created_at, endedAt: review.decided_at, status: 'ok', statusMessage: null,
      attributes: {
        ...common, 'keel.step.id': review.step_id, 'keel.review.id': review.id, 'keel.review.reason': review.reason,
        'keel.review.decision': review.status, 'keel.review.escalation_level': review.escalation_level,
        ...(review.assigned_role ? { 'keel.review.role': review.assigned_role } : {}),
        ...(review.decided_by ? { 'keel.review.decided_by': review.decided_by } : {}),
        ...(review.comment ? { 'keel.review.comment': options.redactor.text(review.comment) } : {}),
      },
    });
  }
  return spans;
}

/** The attempt a model call ran in: the latest attempt of its step that had started by then. */
function attemptOf(call: TracedModelCall, attempts: readonly TracedAttempt[]): TracedAttempt | undefined {
  const started = call.created_at.getTime() - call.latency_ms;
  let found: TracedAttempt | undefined;
  for (const a of attempts) if (a.step_id === call.step_id && a.started_at.getTime() <= started + 1) found = a;
  return found;
}

function modelCallSpan(
  run: TracedRun, call: TracedModelCall, attempts: readonly TracedAttempt[], base: ReturnType<typeof spanBase>, common: Attributes,
): SpanRecord {
  const attempt = attemptOf(call, attempts);
  const operation = call.purpose === 'classify' ? 'classify' : 'chat';
  return {
    ...base, spanId: keelSpanId('model_call', call.id), parentSpanId: attempt ? keelSpanId('attempt', attempt.id) : keelSpanId('run', run.id),
    name: `${operation} ${call.model_id}`, kind: 'client',
    startedAt: new Date(call.created_at.getTime() - call.latency_ms), endedAt: call.created_at,
    status: call.error_class ? 'error' : 'ok', statusMessage: call.error_class ? call.error_message : null,
    attributes: {
      ...common, 'keel.step.id': call.step_id,
      'gen_ai.operation.name': operation, 'gen_ai.provider.name': call.provider, 'gen_ai.request.model': call.model_id,
      ...(call.response_model ? { 'gen_ai.response.model': call.response_model } : {}),
      'gen_ai.usage.input_tokens': call.tokens_in, 'gen_ai.usage.output_tokens': call.tokens_out,
      'keel.model.name': call.model, 'keel.model.purpose': call.purpose, 'keel.model.attempt': call.attempt, 'keel.cost_usd': call.cost_usd,
      ...(call.error_class ? { 'error.type': call.error_class } : {}),
      ...(call.http_status ? { 'http.response.status_code': call.http_status } : {}),
    },
  };
}
