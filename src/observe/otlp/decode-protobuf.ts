// Binary OTLP: an ExportTraceServiceRequest decoded straight into Keel's span model. Field numbers
// from opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// resource/v1/resource.proto, common/v1/common.proto):
//   ExportTraceServiceRequest  resource_spans = 1
//   ResourceSpans              resource = 1, scope_spans = 2, schema_url = 3
//   Resource                   attributes = 1, dropped_attributes_count = 2, entity_refs = 3
//   ScopeSpans                 scope = 1, spans = 2, schema_url = 3
//   InstrumentationScope       name = 1, version = 2, attributes = 3, dropped_attributes_count = 4
//   Span                       trace_id = 1 (bytes), span_id = 2, trace_state = 3, parent_span_id = 4,
//                              name = 5, kind = 6 (enum), start_time_unix_nano = 7 (fixed64),
//                              end_time_unix_nano = 8 (fixed64), attributes = 9, dropped_attributes_count = 10,
//                              events = 11, dropped_events_count = 12, links = 13, dropped_links_count = 14,
//                              status = 15, flags = 16 (fixed32)
//   Span.Event                 time_unix_nano = 1 (fixed64), name = 2, attributes = 3, dropped_attributes_count = 4
//   Status                     message = 2, code = 3 (field 1 is reserved)
//   KeyValue                   key = 1, value = 2
//   AnyValue (oneof)           string_value = 1, bool_value = 2, int_value = 3 (int64), double_value = 4,
//                              array_value = 5, kvlist_value = 6, bytes_value = 7
//   ArrayValue, KeyValueList   values = 1
// Fields Keel does not keep (schema urls, trace state, links, dropped counts, flags) are skipped.
import type { Attributes, SpanEvent } from '../span.js';
import { ProtobufReader, wire } from './protobuf-reader.js';
import { toAttributeValue, type AnyValue, type OtlpRequest, type OtlpResourceSpans, type OtlpScopeSpans, type OtlpSpan } from './request.js';

// Keys: field number << 3 | wire type, for the fields this decoder reads.
const lenKey = (field: number) => (field << 3) | wire.bytes;
const varintKey = (field: number) => (field << 3) | wire.varint;
const fixed64Key = (field: number) => (field << 3) | wire.fixed64;
/** AnyValue's wire type by field number (index 0 unused). */
const anyValueWire = [0, wire.bytes, wire.varint, wire.varint, wire.fixed64, wire.bytes, wire.bytes, wire.bytes];

/** Decodes a binary ExportTraceServiceRequest; throws invalid_input naming the byte offset of the fault. */
export function decodeTraceRequestProtobuf(body: Uint8Array): OtlpRequest {
  const r = new ProtobufReader(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const resourceSpans: OtlpResourceSpans[] = [];
  while (r.pos < r.length) {
    const key = r.tag();
    if (key === lenKey(1)) resourceSpans.push(readResourceSpans(r, r.lengthEnd()));
    else if (key >>> 3 === 1) r.expect(key, wire.bytes, 'ExportTraceServiceRequest.resource_spans');
    else r.skip(key);
  }
  return { resourceSpans };
}

function readResourceSpans(r: ProtobufReader, end: number): OtlpResourceSpans {
  let resource: Attributes = {};
  const scopeSpans: OtlpScopeSpans[] = [];
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) resource = readResource(r, r.lengthEnd());
    else if (key === lenKey(2)) scopeSpans.push(readScopeSpans(r, r.lengthEnd()));
    else if (key >>> 3 <= 2) r.expect(key, wire.bytes, 'ResourceSpans');
    else r.skip(key);
  }
  r.close(end, 'ResourceSpans');
  return { resource, scopeSpans };
}

function readResource(r: ProtobufReader, end: number): Attributes {
  const attributes: Attributes = {};
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) readKeyValue(r, r.lengthEnd(), attributes);
    else r.skip(key);
  }
  r.close(end, 'Resource');
  return attributes;
}

function readScopeSpans(r: ProtobufReader, end: number): OtlpScopeSpans {
  let scope: string | null = null;
  const spans: OtlpSpan[] = [];
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(2)) spans.push(readSpan(r, r.lengthEnd()));
    else if (key === lenKey(1)) scope = readScopeName(r, r.lengthEnd());
    else if (key >>> 3 <= 2) r.expect(key, wire.bytes, 'ScopeSpans');
    else r.skip(key);
  }
  r.close(end, 'ScopeSpans');
  return { scope, spans };
}

function readScopeName(r: ProtobufReader, end: number): string | null {
  let name: string | null = null;
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) name = r.string();
    else r.skip(key);
  }
  r.close(end, 'InstrumentationScope');
  return name;
}

function readSpan(r: ProtobufReader, end: number): OtlpSpan {
  const span: OtlpSpan = {
    traceId: '', spanId: '', parentSpanId: '', name: '', kind: 0, startMs: 0, endMs: 0, attributes: {}, events: [], statusCode: 0, statusMessage: '',
  };
  while (r.pos < end) {
    const key = r.tag();
    switch (key) {
      case lenKey(1): span.traceId = r.hex(); break;
      case lenKey(2): span.spanId = r.hex(); break;
      case lenKey(4): span.parentSpanId = r.hex(); break;
      case lenKey(5): span.name = r.string(); break;
      case varintKey(6): span.kind = r.varint(); break;
      case fixed64Key(7): span.startMs = r.fixed64Millis(); break;
      case fixed64Key(8): span.endMs = r.fixed64Millis(); break;
      case lenKey(9): readKeyValue(r, r.lengthEnd(), span.attributes); break;
      case lenKey(11): span.events.push(readEvent(r, r.lengthEnd())); break;
      case lenKey(15): readStatus(r, r.lengthEnd(), span); break;
      default: {
        const field = key >>> 3;
        if (field === 1 || field === 2 || field === 4 || field === 5 || field === 9 || field === 11 || field === 15) r.expect(key, wire.bytes, `Span field ${field}`);
        else if (field === 6) r.expect(key, wire.varint, 'Span.kind');
        else if (field === 7 || field === 8) r.expect(key, wire.fixed64, `Span field ${field}`);
        r.skip(key);
      }
    }
  }
  r.close(end, 'Span');
  return span;
}

function readEvent(r: ProtobufReader, end: number): SpanEvent {
  let name = '';
  let timeMs = 0;
  let attributes: Attributes | undefined;
  while (r.pos < end) {
    const key = r.tag();
    if (key === fixed64Key(1)) timeMs = r.fixed64Millis();
    else if (key === lenKey(2)) name = r.string();
    else if (key === lenKey(3)) readKeyValue(r, r.lengthEnd(), (attributes ??= {}));
    else if (key >>> 3 <= 3) r.expect(key, (key >>> 3) === 1 ? wire.fixed64 : wire.bytes, 'Span.Event');
    else r.skip(key);
  }
  r.close(end, 'Span.Event');
  return attributes ? { name, time: new Date(timeMs), attributes } : { name, time: new Date(timeMs) };
}

function readStatus(r: ProtobufReader, end: number, span: OtlpSpan): void {
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(2)) span.statusMessage = r.string();
    else if (key === varintKey(3)) span.statusCode = r.varint();
    else r.skip(key);
  }
  r.close(end, 'Status');
}

function readKeyValue(r: ProtobufReader, end: number, into: Attributes): void {
  let name = '';
  let value: AnyValue = null;
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) name = r.string();
    else if (key === lenKey(2)) value = readAnyValue(r, r.lengthEnd());
    else if (key >>> 3 <= 2) r.expect(key, wire.bytes, 'KeyValue');
    else r.skip(key);
  }
  r.close(end, 'KeyValue');
  setOwn(into, name, toAttributeValue(value));
}

function readAnyValue(r: ProtobufReader, end: number): AnyValue {
  let value: AnyValue = null;
  while (r.pos < end) {
    const key = r.tag();
    switch (key) {
      case lenKey(1): value = r.string(); break;
      case varintKey(2): value = r.varint() !== 0; break;
      case varintKey(3): value = r.int64(); break;
      case fixed64Key(4): value = r.double(); break;
      case lenKey(5): value = readValues(r, r.lengthEnd()); break;
      case lenKey(6): value = readKeyValueList(r, r.lengthEnd()); break;
      case lenKey(7): value = r.base64(); break;
      default:
        if (key >>> 3 <= 7) r.expect(key, anyValueWire[key >>> 3]!, `AnyValue field ${key >>> 3}`);
        r.skip(key);
    }
  }
  r.close(end, 'AnyValue');
  return value;
}

function readValues(r: ProtobufReader, end: number): AnyValue[] {
  const values: AnyValue[] = [];
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) values.push(readAnyValue(r, r.lengthEnd()));
    else r.skip(key);
  }
  r.close(end, 'ArrayValue');
  return values;
}

function readKeyValueList(r: ProtobufReader, end: number): { [key: string]: AnyValue } {
  const out: { [key: string]: AnyValue } = {};
  while (r.pos < end) {
    const key = r.tag();
    if (key === lenKey(1)) {
      const kvEnd = r.lengthEnd();
      let name = '';
      let value: AnyValue = null;
      while (r.pos < kvEnd) {
        const k = r.tag();
        if (k === lenKey(1)) name = r.string();
        else if (k === lenKey(2)) value = readAnyValue(r, r.lengthEnd());
        else r.skip(k);
      }
      r.close(kvEnd, 'KeyValue');
      setOwn(out, name, value);
    } else r.skip(key);
  }
  r.close(end, 'KeyValueList');
  return out;
}

/** Sets a key as an own property, including `__proto__`, which plain assignment would treat as the prototype. */
export function setOwn<T>(into: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}
