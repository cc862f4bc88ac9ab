// OTLP/JSON: the proto3 JSON mapping of ExportTraceServiceRequest with OTLP's deviations (trace and
// span ids as case-insensitive hex, enums as integers only, lowerCamelCase keys; 64-bit integers as
// decimal strings or numbers). Unknown keys are ignored as the spec requires, and null means
// absent as in proto3 JSON. A value of the wrong shape fails the request with its JSON path.
import { KeelError } from '../../errors.js';
import type { Attributes, SpanEvent } from '../span.js';
import { setOwn } from './decode-protobuf.js';
import { toAttributeValue, type AnyValue, type OtlpRequest, type OtlpResourceSpans, type OtlpScopeSpans, type OtlpSpan } from './request.js';

type Json = Record<string, unknown>;

function invalid(path: string, message: string): KeelError {
  return new KeelError('invalid_input', `The OTLP/JSON body is invalid at ${path}: ${message}.`, {
    problems: [{ path, message }],
    hint: 'Send an OTLP ExportTraceServiceRequest in the OTLP/JSON encoding (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).',
  });
}

/** Parses and checks an OTLP/JSON body; throws invalid_input naming the JSON path of the fault. */
export function decodeTraceRequestJson(body: Uint8Array): OtlpRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new KeelError('invalid_input', `The OTLP/JSON body is not valid JSON: ${(error as Error).message}.`, { cause: error });
  }
  const root = object(parsed, '$');
  return { resourceSpans: list(root.resourceSpans, 'resourceSpans', readResourceSpans) };
}

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, 'must be an object');
  return value as Json;
}

function list<T>(value: unknown, path: string, read: (item: unknown, path: string) => T): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(path, 'must be an array');
  const out: T[] = new Array<T>(value.length);
  for (let i = 0; i < value.length; i++) out[i] = read(value[i], `${path}[${i}]`);
  return out;
}

function text(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(path, 'must be a string');
  return value;
}

function int(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalid(path, 'must be an integer (OTLP/JSON sends enums as integers)');
  return value;
}

/** Unix nanoseconds (a decimal string or a number) as whole milliseconds. */
function millis(value: unknown, path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(path, 'must be a non-negative integer of nanoseconds');
    return Math.floor(value / 1e6);
  }
  if (typeof value !== 'string' || !/^\d{1,20}$/.test(value)) throw invalid(path, 'must be a decimal string of nanoseconds');
  return value.length <= 6 ? 0 : Number(value.slice(0, -6));
}

/** Ids are hex in OTLP/JSON; their length and value are judged per span by ingest. */
function id(value: unknown, path: string): string {
  return text(value, path).toLowerCase();
}

function readResourceSpans(item: unknown, path: string): OtlpResourceSpans {
  const rs = object(item, path);
  const resource = rs.resource === undefined || rs.resource === null ? {} : readAttributes(object(rs.resource, `${path}.resource`).attributes, `${path}.resource.attributes`);
  return { resource, scopeSpans: list(rs.scopeSpans, `${path}.scopeSpans`, readScopeSpans) };
}

function readScopeSpans(item: unknown, path: string): OtlpScopeSpans {
  const ss = object(item, path);
  let scope: string | null = null;
  if (ss.scope !== undefined && ss.scope !== null) {
    const name = object(ss.scope, `${path}.scope`).name;
    scope = name === undefined || name === null ? null : text(name, `${path}.scope.name`);
  }
  return { scope, spans: list(ss.spans, `${path}.spans`, readSpan) };
}

function readSpan(item: unknown, path: string): OtlpSpan {
  const s = object(item, path);
  const status = s.status === undefined || s.status === null ? {} : object(s.status, `${path}.status`);
  return {
    traceId: id(s.traceId, `${path}.traceId`),
    spanId: id(s.spanId, `${path}.spanId`),
    parentSpanId: id(s.parentSpanId, `${path}.parentSpanId`),
    name: text(s.name, `${path}.name`),
    kind: int(s.kind, `${path}.kind`),
    startMs: millis(s.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endMs: millis(s.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: readAttributes(s.attributes, `${path}.attributes`),
    events: list(s.events, `${path}.events`, readEvent),
    statusCode: int(status.code, `${path}.status.code`),
    statusMessage: text(status.message, `${path}.status.message`),
  };
}

function readEvent(item: unknown, path: string): SpanEvent {
  const e = object(item, path);
  const event: SpanEvent = { name: text(e.name, `${path}.name`), time: new Date(millis(e.timeUnixNano, `${path}.timeUnixNano`)) };
  if (Array.isArray(e.attributes) && e.attributes.length > 0) event.attributes = readAttributes(e.attributes, `${path}.attributes`);
  return event;
}

function readAttributes(value: unknown, path: string): Attributes {
  const out: Attributes = {};
  if (value === undefined || value === null) return out;
  if (!Array.isArray(value)) throw invalid(path, 'must be an array of { key, value }');
  for (let i = 0; i < value.length; i++) {
    const kv = object(value[i], `${path}[${i}]`);
    setOwn(out, text(kv.key, `${path}[${i}].key`), toAttributeValue(readAnyValue(kv.value, `${path}[${i}].value`)));
  }
  return out;
}

function readAnyValue(value: unknown, path: string): AnyValue {
  if (value === undefined || value === null) return null;
  const v = object(value, path);
  if (v.stringValue !== undefined && v.stringValue !== null) return text(v.stringValue, `${path}.stringValue`);
  if (v.boolValue !== undefined && v.boolValue !== null) {
    if (typeof v.boolValue !== 'boolean') throw invalid(`${path}.boolValue`, 'must be true or false');
    return v.boolValue;
  }
  if (v.intValue !== undefined && v.intValue !== null) return int64(v.intValue, `${path}.intValue`);
  if (v.doubleValue !== undefined && v.doubleValue !== null) return double(v.doubleValue, `${path}.doubleValue`);
  if (v.arrayValue !== undefined && v.arrayValue !== null) {
    return list(object(v.arrayValue, `${path}.arrayValue`).values, `${path}.arrayValue.values`, readAnyValue);
  }
  if (v.kvlistValue !== undefined && v.kvlistValue !== null) {
    const out: { [key: string]: AnyValue } = {};
    const values = list(object(v.kvlistValue, `${path}.kvlistValue`).values, `${path}.kvlistValue.values`, (item, p) => object(item, p));
    values.forEach((kv, i) => setOwn(out, text(kv.key, `${path}.kvlistValue.values[${i}].key`), readAnyValue(kv.value, `${path}.kvlistValue.values[${i}].value`)));
    return out;
  }
  if (v.bytesValue !== undefined && v.bytesValue !== null) {
    const b64 = text(v.bytesValue, `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64)) throw invalid(`${path}.bytesValue`, 'must be base64');
    return b64;
  }
  return null;
}

/** int64 as a number when it is exact in a double, else as its decimal text. */
function int64(value: unknown, path: string): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw invalid(path, 'must be an integer');
    return value;
  }
  if (typeof value !== 'string' || !/^-?\d{1,20}$/.test(value)) throw invalid(path, 'must be an integer or its decimal string');
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

function double(value: unknown, path: string): number | string {
  if (typeof value === 'number') return value;
  // proto3 JSON writes the special values as strings; JSON (and so the span store) has no NaN.
  if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw invalid(path, 'must be a number');
}
