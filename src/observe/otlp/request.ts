// An OTLP ExportTraceServiceRequest as both decoders (binary protobuf and JSON) hand it to ingest:
// already in Keel's attribute model, but not yet judged. Ids are lower-case hex of whatever bytes
// were sent and times are as sent, so a span with a bad id or an end before its start is rejected
// on its own (partial success) rather than failing the whole request.
import type { AttributeValue, Attributes, SpanEvent } from '../span.js';

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Unix milliseconds; 0 when the sender left the time out. */
  startMs: number;
  endMs: number;
  attributes: Attributes;
  events: SpanEvent[];
  /** Status.code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
}

export interface OtlpScopeSpans {
  /** InstrumentationScope.name; null when not sent. */
  scope: string | null;
  spans: OtlpSpan[];
}

export interface OtlpResourceSpans {
  resource: Attributes;
  scopeSpans: OtlpScopeSpans[];
}

export interface OtlpRequest {
  resourceSpans: OtlpResourceSpans[];
}

export function countSpans(request: OtlpRequest): number {
  let n = 0;
  for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/** A decoded AnyValue before it becomes an attribute: kvlists are objects, arrays may nest. */
export type AnyValue = string | number | boolean | null | AnyValue[] | { [key: string]: AnyValue };

/**
 * Keel's attributes hold primitives and flat arrays of primitives (what the OpenTelemetry API
 * allows); anything deeper (a kvlist, an array inside an array) is kept as its JSON text.
 */
export function toAttributeValue(value: AnyValue): AttributeValue {
  if (value === null || typeof value !== 'object') return value;
  if (!Array.isArray(value)) return JSON.stringify(value);
  const out: Array<string | number | boolean | null> = [];
  for (const v of value) out.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
  return out;
}
