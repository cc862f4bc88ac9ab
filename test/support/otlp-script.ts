// An "external script" instrumented with the official OpenTelemetry JS SDK, exporting to a Keel
// served on a real loopback port with the official OTLP exporters (protobuf or JSON).
import { serve, type ServerType } from '@hono/node-server';
import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

/** Serves an app's fetch handler on 127.0.0.1 and an ephemeral port. */
export async function serveOnLoopback(app: { fetch: (request: Request) => Response | Promise<Response> }): Promise<ServedApp> {
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server?.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    }),
  };
}

export type Encoding = 'protobuf' | 'json';

/** The official exporter for an encoding, pointed at Keel's /v1/traces with a bearer token. */
export function otlpExporter(encoding: Encoding, baseUrl: string, token: string | undefined, gzip = false): SpanExporter {
  const options = {
    url: `${baseUrl}/v1/traces`,
    headers: token === undefined ? {} : ({ authorization: `Bearer ${token}` } as Record<string, string>),
    compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
  };
  return encoding === 'protobuf' ? new ProtoExporter(options) : new JsonExporter(options);
}

export interface ExportOutcome {
  code: number;
  /** The HTTP status of a failed export, and the body Keel answered with. */
  status?: number;
  data?: string;
}

/** Exports finished spans once through an exporter, as the SDK's processors do. */
export function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportOutcome> {
  return new Promise((resolve) => {
    exporter.export(spans, (result) => {
      const error = result.error as { code?: number; data?: string } | undefined;
      resolve({ code: result.code, status: error?.code, data: error?.data });
    });
  });
}

/** A tracer provider for one resource; spans go to `exporter` in batches, and are also kept in memory. */
export function scriptProvider(resource: Attributes, exporter?: SpanExporter) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resource),
    spanProcessors: [new SimpleSpanProcessor(memory), ...(exporter ? [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 })] : [])],
  });
  return { provider, tracer: provider.getTracer('support-script', '1.0.0'), finished: () => memory.getFinishedSpans() };
}

type Tracer = ReturnType<BasicTracerProvider['getTracer']>;

/**
 * What a small support script does for one ticket: a root span, a lookup, and one model call with
 * GenAI attributes (and a customer's email address, which Keel must not store).
 */
export function handleTicket(tracer: Tracer, options: { fail?: boolean; tokensIn?: number; tokensOut?: number; minutesSaved?: number } = {}): string {
  const root = tracer.startSpan('handle-ticket', { attributes: { 'ticket.id': 'T-1001', ...(options.minutesSaved === undefined ? {} : { 'keel.metric.value': options.minutesSaved }) } }, ROOT_CONTEXT);
  const inRoot: Context = trace.setSpan(ROOT_CONTEXT, root);
  const lookup = tracer.startSpan('crm.lookup', { kind: SpanKind.CLIENT, attributes: { 'customer.email': 'ada@example.com' } }, inRoot);
  lookup.end();
  const call = tracer.startSpan('chat gpt-4o-mini', {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18', 'gen_ai.usage.input_tokens': options.tokensIn ?? 1200, 'gen_ai.usage.output_tokens': options.tokensOut ?? 300,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Reply to ada@example.com about her refund' }] }]),
    },
  }, inRoot);
  call.addEvent('retry', { attempt: 1 });
  call.end();
  if (options.fail) {
    root.setAttribute('error.type', 'CrmTimeout');
    root.setStatus({ code: 2, message: 'the CRM did not answer' });
  }
  root.end();
  return root.spanContext().traceId;
}
