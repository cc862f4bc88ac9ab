// Stored spans as the OpenTelemetry SDK's ReadableSpan, so the official serializers
// (@opentelemetry/otlp-transformer) write the OTLP request: Keel does not hand-roll the wire format
// it sends. Keel's own spans get a resource of service.name (from the configuration) and
// keel.workflow.id; spans received over OTLP keep the resource they arrived with.
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes as OtelAttributes, type AttributeValue as OtelAttributeValue, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer, type IExportTraceServiceResponse } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Attributes, SpanKind as KeelSpanKind, SpanStatus } from './span.js';
import type { StoredSpan } from './span-store.js';

/** The SDK's span shape, as the serializers take it (named through them, so the types always agree). */
export type ReadableSpan = Parameters<typeof ProtobufTraceSerializer.serializeRequest>[0][number];
type Resource = ReadableSpan['resource'];
type InstrumentationScope = ReadableSpan['instrumentationScope'];

export type OtlpProtocol = 'http/protobuf' | 'http/json';

const kinds: Record<KeelSpanKind, SpanKind> = {
  internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER,
};
const statusCodes: Record<SpanStatus, SpanStatusCode> = { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR };

/** A Date as OpenTelemetry's [seconds, nanoseconds]. */
function hrTime(date: Date): HrTime {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return [seconds, (ms - seconds * 1000) * 1_000_000];
}

function hrDuration(start: Date, end: Date): HrTime {
  const ms = Math.max(0, end.getTime() - start.getTime());
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
}

/**
 * Stored attribute values are JSON: null has no OTLP form and is left out (as the SDK drops it);
 * arrays and anything nested pass through, the serializers encode them element by element.
 */
function otelAttributes(attributes: Attributes | null | undefined): OtelAttributes {
  const out: OtelAttributes = {};
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value !== null && value !== undefined) out[key] = value as OtelAttributeValue;
  }
  return out;
}

/**
 * Turns one batch of stored spans into ReadableSpans. Resources and scopes are shared objects per
 * batch because the serializers group spans by object identity: one ResourceSpans per workflow (or
 * per distinct received resource), one ScopeSpans per scope within it.
 */
export function readableSpans(spans: readonly StoredSpan[], serviceName: string): ReadableSpan[] {
  const resources = new Map<string, Resource>();
  const scopes = new Map<string, InstrumentationScope>();
  const resourceOf = (span: StoredSpan): Resource => {
    const attributes: Attributes = span.source === 'keel'
      ? { 'service.name': serviceName, 'keel.workflow.id': span.workflowId }
      : span.resource ?? {};
    const key = JSON.stringify(attributes);
    let resource = resources.get(key);
    if (!resource) resources.set(key, (resource = resourceFromAttributes(otelAttributes(attributes))));
    return resource;
  };
  const scopeOf = (resource: Resource, span: StoredSpan): InstrumentationScope => {
    const name = span.scope ?? (span.source === 'keel' ? 'keel' : '');
    const key = `${JSON.stringify(resource.attributes)}\u0000${name}`;
    let scope = scopes.get(key);
    if (!scope) scopes.set(key, (scope = { name }));
    return scope;
  };
  return spans.map((span): ReadableSpan => {
    const resource = resourceOf(span);
    const context = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false };
    return {
      name: span.name,
      kind: kinds[span.kind],
      spanContext: () => context,
      ...(span.parentSpanId ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: false } } : {}),
      startTime: hrTime(span.startedAt),
      endTime: hrTime(span.endedAt),
      duration: hrDuration(span.startedAt, span.endedAt),
      ended: true,
      status: { code: statusCodes[span.status], ...(span.statusMessage ? { message: span.statusMessage } : {}) },
      attributes: otelAttributes(span.attributes),
      links: [],
      events: (span.events ?? []).map((e) => ({ name: e.name, time: hrTime(e.time), attributes: otelAttributes(e.attributes), droppedAttributesCount: 0 })),
      resource,
      instrumentationScope: scopeOf(resource, span),
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  });
}

const serializers = { 'http/protobuf': ProtobufTraceSerializer, 'http/json': JsonTraceSerializer } as const;
const contentTypes: Record<OtlpProtocol, string> = { 'http/protobuf': 'application/x-protobuf', 'http/json': 'application/json' };

/** An ExportTraceServiceRequest for the spans, in the protocol's encoding, with its content type. */
export function encodeSpans(spans: readonly StoredSpan[], serviceName: string, protocol: OtlpProtocol): { body: Uint8Array; contentType: string } {
  const body = serializers[protocol].serializeRequest(readableSpans(spans, serviceName));
  // The serializers return undefined only when they fail to encode, which is a bug in the input.
  if (!body) throw new Error('the OTLP serializer could not encode the batch');
  return { body, contentType: contentTypes[protocol] };
}

/** The collector's answer; an empty or unreadable body counts as full success (the specification's reading). */
export function decodeExportResponse(bytes: Uint8Array, protocol: OtlpProtocol): IExportTraceServiceResponse {
  if (bytes.length === 0) return {};
  try {
    return serializers[protocol].deserializeResponse(bytes);
  } catch {
    return {};
  }
}
