import { retryAfterMs, type EgressClient } from '../../connectors/index.js';
import { KeelError } from '../../errors.js';
import { httpActionConfigSchema, type HttpActionConfig } from '../../spec/index.js';
import { evaluateJsonata } from '../expressions.js';
import type { ActionHandler, ActionRequest } from './step.js';

/**
 * The built-in `http` action: one request through the guarded egress client, carrying the run's
 * idempotency key. `{idempotency_key}` and `{run_id}` in a URL are replaced, so a check-then-act
 * target can be asked whether our reference exists.
 */
export function createHttpAction(egress: EgressClient): ActionHandler {
  return {
    async call(request) {
      const config = parseConfig(request.config);
      const body = config.body === undefined ? undefined : JSON.stringify(await evaluateJsonata(config.body, request.scope, 'with.body'));
      const response = await egress.request({
        url: fillUrl(config.url, request),
        method: config.method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...config.headers,
          'idempotency-key': request.idempotencyKey,
        },
        body,
        signal: request.signal,
      });
      if (response.status >= 200 && response.status < 300) return { status: response.status, body: parseBody(response.body) };
      throw statusError(response.status, response.headers, config.method);
    },
    async check(request) {
      const config = parseConfig(request.config);
      if (!config.check) throw new KeelError('misconfigured', 'with.check is required for a check-then-act http action.', { retriable: false });
      const response = await egress.request({
        url: fillUrl(config.check.url, request), method: config.check.method,
        headers: { ...config.headers, 'idempotency-key': request.idempotencyKey }, signal: request.signal,
      });
      if (response.status === 404) return { exists: false };
      if (response.status >= 200 && response.status < 300) return { exists: true, output: { status: response.status, body: parseBody(response.body) } };
      throw statusError(response.status, response.headers, config.check.method);
    },
  };
}

function parseConfig(raw: Record<string, unknown>): HttpActionConfig {
  const parsed = httpActionConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new KeelError('misconfigured', 'The http action configuration is invalid.', {
      retriable: false, problems: parsed.error.issues.map((i) => ({ path: `with.${i.path.join('.')}`, message: i.message })),
    });
  }
  return parsed.data;
}

function fillUrl(url: string, request: ActionRequest): string {
  return url
    .replaceAll('{idempotency_key}', encodeURIComponent(request.idempotencyKey))
    .replaceAll('{run_id}', encodeURIComponent(request.scope.run.id));
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** 429 and 5xx are worth retrying (429 after Retry-After); other answers are final. */
function statusError(status: number, headers: Record<string, string>, method: string): KeelError {
  const retryAfter = retryAfterMs(headers);
  if (status === 429) {
    return new KeelError('provider_rate_limited', `The target answered 429 Too Many Requests to ${method}.`, { retriable: true, retryAfterMs: retryAfter, details: { status } });
  }
  const retriable = status >= 500;
  return new KeelError('action_failed', `The target answered HTTP ${status} to ${method}.`, { retriable, retryAfterMs: retryAfter, details: { status, sent: true } });
}
