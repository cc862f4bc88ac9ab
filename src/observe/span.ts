// A span as Keel stores it: the OpenTelemetry span model (ids in lower-case hex, kind, status,
// attributes, events, resource) plus the workflow and run it belongs to. Keel's own spans get ids
// derived from what they describe, so materialising a run twice writes nothing new.
import { createHash } from 'node:crypto';

export type AttributeValue = string | number | boolean | null | Array<string | number | boolean | null>;
export type Attributes = Record<string, AttributeValue>;

export const spanKinds = ['internal', 'server', 'client', 'producer', 'consumer'] as const;
export type SpanKind = (typeof spanKinds)[number];
export const spanStatuses = ['unset', 'ok', 'error'] as const;
export type SpanStatus = (typeof spanStatuses)[number];

export interface SpanEvent {
  name: string;
  time: Date;
  attributes?: Attributes;
}

export interface SpanRecord {
  /** 32 lower-case hex characters, not all zero. */
  traceId: string;
  /** 16 lower-case hex characters, not all zero. */
  spanId: string;
  parentSpanId: string | null;
  workflowId: string;
  /** The Keel run a span belongs to; null for spans received over OTLP. */
  runId: string | null;
  source: 'keel' | 'otlp';
  name: string;
  kind: SpanKind;
  startedAt: Date;
  endedAt: Date;
  status: SpanStatus;
  statusMessage: string | null;
  attributes: Attributes;
  events: SpanEvent[] | null;
  /** Resource attributes (service.name, keel.workflow.id, ...) of spans received over OTLP. */
  resource: Attributes | null;
  /** The instrumentation scope's name. */
  scope: string | null;
}

function hexOf(text: string, bytes: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, bytes * 2);
}

/** The trace id of a Keel run: every span of the run shares it. */
export function runTraceId(runId: string): string {
  return hexOf(`keel:trace:${runId}`, 16);
}

/** The span id of one thing a run did: its root (`run`), a step attempt, a model call or a review. */
export function keelSpanId(kind: 'run' | 'attempt' | 'model_call' | 'review', id: string | number): string {
  return hexOf(`keel:${kind}:${id}`, 8);
}

export const traceIdPattern = /^[0-9a-f]{32}$/;
export const spanIdPattern = /^[0-9a-f]{16}$/;
