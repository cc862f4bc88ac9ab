// A trace as the waterfall draws it: spans in tree order (each after its parent, siblings by start),
// each with its depth and its place on the trace's time axis; and what a span says about a model
// call, read from the GenAI semantic conventions (and the Vercel AI SDK's ai.* keys) the way the
// server reads them when it counts usage (src/observe/otlp/model-usage.ts).
import type { Span, Trace } from '../../lib/api-types';

export interface SpanRow {
  span: Span;
  depth: number;
  /** ms from the trace's start. */
  offset: number;
  duration: number;
}

const time = (at: string) => new Date(at).getTime();

/** The spans in tree order. A span whose parent is not in the trace (not sent, or left out) starts its own tree. */
export function spanRows(trace: Trace): { rows: SpanRow[]; start: number; total: number } {
  const start = time(trace.started_at);
  const total = Math.max(time(trace.ended_at) - start, 0);
  const ids = new Set(trace.spans.map((s) => s.span_id));
  const children = new Map<string | null, Span[]>();
  for (const s of trace.spans) {
    const parent = s.parent_span_id !== null && ids.has(s.parent_span_id) && s.parent_span_id !== s.span_id ? s.parent_span_id : null;
    const list = children.get(parent) ?? [];
    list.push(s);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => time(a.started_at) - time(b.started_at) || a.name.localeCompare(b.name));
  const rows: SpanRow[] = [];
  const seen = new Set<string>();
  const walk = (parent: string | null, depth: number) => {
    for (const s of children.get(parent) ?? []) {
      if (seen.has(s.span_id)) continue;
      seen.add(s.span_id);
      rows.push({ span: s, depth, offset: time(s.started_at) - start, duration: s.duration_ms });
      walk(s.span_id, depth + 1);
    }
  };
  walk(null, 0);
  // Spans caught in a parent cycle (a malformed trace) are still shown, at the top level.
  for (const s of trace.spans) if (!seen.has(s.span_id)) rows.push({ span: s, depth: 0, offset: time(s.started_at) - start, duration: s.duration_ms });
  return { rows, start, total };
}

export interface ModelUse {
  model: string | null;
  provider: string | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
}

type Attributes = Span['attributes'];

const inputKeys = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'ai.usage.promptTokens', 'ai.usage.inputTokens'];
const outputKeys = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'ai.usage.completionTokens', 'ai.usage.outputTokens'];
const costKeys = ['gen_ai.usage.cost', 'keel.cost_usd'];
const modelKeys = ['gen_ai.response.model', 'gen_ai.request.model', 'ai.model.id'];

function numberAt(a: Attributes, keys: readonly string[]): number | null {
  for (const k of keys) {
    const v = a[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Number(v);
  }
  return null;
}

function textAt(a: Attributes, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = a[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** The model call a span records (a GenAI operation, or token usage), or null. */
export function modelUseOf(span: Span): ModelUse | null {
  const a = span.attributes;
  const tokensIn = numberAt(a, inputKeys);
  const tokensOut = numberAt(a, outputKeys);
  if (a['gen_ai.operation.name'] === undefined && tokensIn === null && tokensOut === null) return null;
  return {
    model: textAt(a, modelKeys), provider: textAt(a, ['gen_ai.provider.name', 'gen_ai.system', 'ai.model.provider']),
    tokensIn, tokensOut, costUsd: numberAt(a, costKeys),
  };
}

/** The error a failed span names (error.type), else its status message. */
export function errorOf(span: Span): string | null {
  if (span.status !== 'error') return null;
  const type = span.attributes['error.type'];
  return [typeof type === 'string' ? type : null, span.status_message].filter(Boolean).join(': ') || 'error';
}

/** Which kind of work a span is, for its bar's colour (the row also says it in words). */
export function spanTone(span: Span): 'error' | 'model' | 'root' | 'review' | 'step' {
  if (span.status === 'error') return 'error';
  if (modelUseOf(span)) return 'model';
  if (span.parent_span_id === null) return 'root';
  if (span.attributes['keel.review.id'] !== undefined) return 'review';
  return 'step';
}
