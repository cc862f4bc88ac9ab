// The OTLP batch the ingest benchmark sends: 100 traces of 5 spans of a support script (a root, a
// CRM lookup, a model call with GenAI usage and a recorded prompt, a parse, a reply), made with the
// OpenTelemetry SDK and encoded once with the official protobuf serializer. Fresh trace ids are
// written into the encoded bytes in place, so every request carries new spans at no encoding cost.
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface OtlpBatch {
  body: Uint8Array;
  spans: number;
  /** Where each span's trace id starts in `body`. */
  traceIdOffsets: number[];
}

export function otlpBatch(traces = 100, workflowId = 'bench-script'): OtlpBatch {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': workflowId, 'keel.workflow.id': workflowId, 'deployment.environment': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench-script', '1.0.0');
  for (let t = 0; t < traces; t++) {
    const root = tracer.startSpan('handle-ticket', { attributes: { 'ticket.id': `T-${t}`, 'ticket.channel': 'email' } }, ROOT_CONTEXT);
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const child = (name: string, attributes: Record<string, string | number>, kind = SpanKind.INTERNAL) => tracer.startSpan(name, { kind, attributes }, ctx).end();
    child('crm.lookup', { 'http.request.method': 'GET', 'url.full': 'https://crm.example.com/api/customers/42', 'http.response.status_code': 200 }, SpanKind.CLIENT);
    child('chat gpt-4o-mini', {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 812, 'gen_ai.usage.output_tokens': 96, 'gen_ai.response.finish_reasons': 'stop',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: `Customer asks about the refund for order ${t}; reply politely.` }] }]),
    }, SpanKind.CLIENT);
    child('parse-answer', { 'answer.length': 412 });
    child('send-reply', { 'messaging.system': 'smtp', 'reply.template': 'refund' }, SpanKind.PRODUCER);
    root.end();
  }
  const spans = memory.getFinishedSpans();
  const body = ProtobufTraceSerializer.serializeRequest(spans)!;
  const haystack = Buffer.from(body);
  const traceIdOffsets: number[] = [];
  for (const id of new Set(spans.map((s) => s.spanContext().traceId))) {
    const needle = Buffer.from(id, 'hex');
    for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) traceIdOffsets.push(at);
  }
  if (traceIdOffsets.length !== spans.length) throw new Error(`found ${traceIdOffsets.length} trace ids for ${spans.length} spans`);
  return { body, spans: spans.length, traceIdOffsets };
}

/** Makes every trace of an encoded batch new: the first 8 bytes of each trace id become (a, b). */
export function setTraceIds(body: Uint8Array, offsets: readonly number[], a: number, b: number): void {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (const at of offsets) {
    view.setUint32(at, a >>> 0);
    view.setUint32(at + 4, b >>> 0);
  }
}
