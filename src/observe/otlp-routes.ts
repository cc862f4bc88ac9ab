// POST /v1/traces: the OTLP/HTTP trace receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp).
// Any application instrumented with OpenTelemetry sends its spans here with a Keel API token, as
// binary protobuf or JSON, gzip-compressed or not. The body is read raw (never by the JSON body
// parsing of the zod routes); answers and errors are in the request's own encoding, as the spec
// requires, rather than problem+json.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { recordAudit } from '../audit/index.js';
import type { Config, RedactionConfig } from '../config/index.js';
import { z, type ApiApp, type ApiEnv } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { coerceError, KeelError, type ErrorCode } from '../errors.js';
import { decodeTraceRequestJson } from './otlp/decode-json.js';
import { decodeTraceRequestProtobuf } from './otlp/decode-protobuf.js';
import { ingestTraces } from './otlp/ingest.js';
import type { PriceOf } from './otlp/model-usage.js';
import { exportResponse, formatOf, otlpContentTypes, rpcCodeFor, statusBody, type OtlpFormat } from './otlp/response.js';
import { createRedactor } from './redaction.js';

export const otlpTracesPath = '/v1/traces';

/** The OTLP spec's recommended limit, before and after decompression. */
export const defaultOtlpBodyLimitBytes = 20 * 1024 * 1024;

export interface OtlpRouteDeps {
  db: Db;
  redaction: RedactionConfig;
  /** The configured models: a span naming one's model id is priced with it. */
  models: Config['models'];
  bodyLimitBytes?: number;
}

const inflate = promisify(gunzip);

/** Prices by the provider's model id; the first configured model with an id wins. */
export function pricesFrom(models: Config['models']): PriceOf {
  const prices = new Map<string, { inputPerMillion: number; outputPerMillion: number }>();
  for (const m of Object.values(models)) {
    if ('model' in m && 'price' in m && !prices.has(m.model)) prices.set(m.model, m.price);
  }
  return (modelId) => prices.get(modelId);
}

function tooLarge(limit: number, after = ''): KeelError {
  return new KeelError('payload_too_large', `The OTLP body is over ${limit} bytes${after}.`, { hint: 'Export smaller batches (the BatchSpanProcessor\'s maxExportBatchSize).' });
}

async function readBody(c: Context, limit: number): Promise<Buffer> {
  const raw = Buffer.from(await c.req.arrayBuffer());
  const encoding = (c.req.header('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return raw;
  if (encoding !== 'gzip') {
    throw new KeelError('unsupported_media_type', `Content-Encoding ${encoding} is not supported.`, { hint: 'Send the body as is, or gzip-compressed with Content-Encoding: gzip.' });
  }
  try {
    // The limit holds after decompression too: a small gzip body must not inflate without bound.
    return await inflate(raw, { maxOutputLength: limit });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit, ' once decompressed');
    throw new KeelError('invalid_input', `The gzip body could not be decompressed: ${(error as Error).message}.`, { cause: error });
  }
}

/** The first few reasons spans were rejected, as one developer-facing sentence. */
function rejectionMessage(reasons: Array<{ reason: string; spans: number }>): string {
  const shown = reasons.slice(0, 3).map((r) => `${r.reason} (${r.spans} span${r.spans === 1 ? '' : 's'})`);
  const more = reasons.length > 3 ? `; and ${reasons.length - 3} more reasons` : '';
  return `${shown.join('; ')}${more}`;
}

export function registerOtlpRoutes(app: ApiApp, deps: OtlpRouteDeps): void {
  const limit = deps.bodyLimitBytes ?? defaultOtlpBodyLimitBytes;
  const redactor = createRedactor(deps.redaction);
  const priceOf = pricesFrom(deps.models);
  documentRoute(app);
  app.use(otlpTracesPath, bodyLimit({ maxSize: limit, onError: () => { throw tooLarge(limit); } }));
  app.post(otlpTracesPath, async (c) => {
    const format = formatOf(c.req.header('content-type'));
    if (!format) {
      throw new KeelError('unsupported_media_type', `Content-Type ${c.req.header('content-type') ?? '(none)'} is not an OTLP encoding.`, {
        hint: 'Send application/x-protobuf or application/json (OTLP/HTTP).',
      });
    }
    const body = await readBody(c, limit);
    const request = format === 'protobuf' ? decodeTraceRequestProtobuf(body) : decodeTraceRequestJson(body);
    const access = c.get('access');
    const outcome = await ingestTraces(deps.db, request, { redactor, priceOf, access });
    if (outcome.denied.length > 0) {
      // As the guard does for a refused route: a token used on workflows it may not write is a fact to keep.
      await recordAudit(deps.db, {
        actor: c.get('actor'), action: 'access:denied', subjectType: 'route', subjectId: `POST ${otlpTracesPath}`,
        data: { path: otlpTracesPath, permission: 'traces:write', workflows: outcome.denied, answer: 'partial_success' },
      });
    }
    const answer = exportResponse(format, outcome.rejected, outcome.rejected > 0 ? rejectionMessage(outcome.reasons) : '');
    return c.body(answer, 200, { 'content-type': otlpContentTypes[format] });
  });
}

/** Whether a request is for the OTLP receiver, whose errors are answered in OTLP's own shape. */
export function isOtlpPath(path: string): boolean {
  return path === otlpTracesPath || path.startsWith('/v1/');
}

/** The status OTLP gives an error: undecodable data is 400 Bad Request (never retried); the rest as the API maps it. */
function otlpStatus(code: ErrorCode, statusFor: (code: ErrorCode) => number): number {
  return code === 'invalid_input' || code === 'malformed_json' ? 400 : statusFor(code);
}

/** Answers an error of the OTLP receiver as a google.rpc.Status in the request's encoding. */
export function otlpErrorResponse(c: Context<ApiEnv>, error: unknown, statusFor: (code: ErrorCode) => number, log: (error: unknown) => void): Response {
  const e = error instanceof HTTPException && error.status === 413 ? new KeelError('payload_too_large', 'The OTLP body is too large.') : coerceError(error);
  const status = otlpStatus(e.code, statusFor);
  if (status >= 500) log(error);
  const format: OtlpFormat = formatOf(c.req.header('content-type')) ?? 'json';
  const message = e.code === 'internal' ? 'Keel failed to store these spans; the server log has the details.' : e.hint ? `${e.message} ${e.hint}` : e.message;
  const headers: Record<string, string> = { 'content-type': otlpContentTypes[format] };
  if (e.retryAfterMs !== undefined && (status === 429 || status === 503)) headers['retry-after'] = String(Math.ceil(e.retryAfterMs / 1000));
  return c.body(statusBody(format, rpcCodeFor(status), message), status as 400, headers);
}

const binary = z.string().openapi({ format: 'binary' });
const statusSchema = z.object({ code: z.number().int(), message: z.string() }).openapi('OtlpStatus');
const exportResponseSchema = z.object({
  partialSuccess: z.object({ rejectedSpans: z.string().describe('int64 as a decimal string'), errorMessage: z.string() }).optional(),
}).openapi('OtlpExportTraceServiceResponse');
const failure = (description: string) => ({
  description, content: { 'application/x-protobuf': { schema: binary }, 'application/json': { schema: statusSchema } },
});

/** The route in the OpenAPI document; its body is read raw, so it is described here, not validated. */
function documentRoute(app: ApiApp): void {
  app.openAPIRegistry.registerPath({
    method: 'post', path: otlpTracesPath, tags: ['traces'],
    summary: 'OTLP/HTTP trace export from external workflows (protobuf or JSON, optionally gzip); partial success names rejected spans',
    description: 'Each resource names its external workflow with the resource attribute keel.workflow.id (or a service.name equal to its id). Needs traces:write on that workflow.',
    request: {
      body: {
        required: true,
        content: {
          'application/x-protobuf': { schema: binary.describe('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest') },
          'application/json': { schema: z.object({ resourceSpans: z.array(z.unknown()).optional() }).describe('ExportTraceServiceRequest in OTLP/JSON') },
        },
      },
    },
    responses: {
      200: { description: 'Accepted; partialSuccess says how many spans were rejected and why', content: { 'application/x-protobuf': { schema: binary }, 'application/json': { schema: exportResponseSchema } } },
      400: failure('The body cannot be decoded'),
      401: failure('No valid API token'),
      403: failure('The token\'s holder may write traces of no workflow'),
      413: failure('The body (or its decompressed form) is over the limit'),
      415: failure('Not an OTLP content type or encoding'),
    },
  });
}
