// What the OTLP/HTTP receiver answers, in the encoding of the request (the spec: "The server MUST
// use the same Content-Type in the response as it received in the request"):
//   200: ExportTraceServiceResponse { partial_success = 1: ExportTracePartialSuccess {
//          rejected_spans = 1 (int64), error_message = 2 } }, partial_success unset on full success;
//   4xx/5xx: google.rpc.Status { code = 1 (int32), message = 2 }; OTLP/JSON as { code, message }.
// (opentelemetry-proto collector/trace/v1/trace_service.proto; googleapis google/rpc/status.proto)
import { wire } from './protobuf-reader.js';

export type OtlpFormat = 'protobuf' | 'json';

export const otlpContentTypes: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The request's format from its Content-Type, or undefined when OTLP/HTTP has none for it. */
export function formatOf(contentType: string | undefined): OtlpFormat | undefined {
  const type = contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

function varint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function stringField(out: number[], field: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  varint(out, (field << 3) | wire.bytes);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** The answer to an export: partial_success set only when spans were rejected. */
export function exportResponse(format: OtlpFormat, rejected: number, errorMessage: string): Uint8Array<ArrayBuffer> | string {
  if (format === 'json') {
    // proto3 JSON writes int64 as a decimal string.
    return JSON.stringify(rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage } } : {});
  }
  if (rejected === 0) return new Uint8Array(0);
  const inner: number[] = [];
  varint(inner, (1 << 3) | wire.varint);
  varint(inner, rejected);
  if (errorMessage !== '') stringField(inner, 2, errorMessage);
  const out: number[] = [];
  varint(out, (1 << 3) | wire.bytes);
  varint(out, inner.length);
  return Uint8Array.from([...out, ...inner]);
}

/** google.rpc.Status for a failed request. */
export function statusBody(format: OtlpFormat, code: number, message: string): Uint8Array<ArrayBuffer> | string {
  if (format === 'json') return JSON.stringify({ code, message });
  const out: number[] = [];
  if (code !== 0) {
    varint(out, (1 << 3) | wire.varint);
    varint(out, code);
  }
  stringField(out, 2, message);
  return Uint8Array.from(out);
}

/** The gRPC status code (google.rpc.Code) closest to an HTTP status; clients only record it. */
export function rpcCodeFor(status: number): number {
  switch (status) {
    case 400: case 415: case 422: return 3; // INVALID_ARGUMENT
    case 401: return 16; // UNAUTHENTICATED
    case 403: return 7; // PERMISSION_DENIED
    case 404: return 5; // NOT_FOUND
    case 409: return 10; // ABORTED
    case 413: case 429: return 8; // RESOURCE_EXHAUSTED
    case 503: return 14; // UNAVAILABLE
    case 504: return 4; // DEADLINE_EXCEEDED
    default: return status >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}
