import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { coerceError, KeelError, type ErrorCode } from '../errors.js';

/** The one table from error code to HTTP status. */
const statusByCode: Record<ErrorCode, number> = {
  invalid_input: 422,
  invalid_workflow: 422,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  malformed_json: 400,
  unsupported_media_type: 415,
  unauthenticated: 401,
  permission_denied: 403,
  invalid_credentials: 401,
  account_locked: 423,
  rate_limited: 429,
  csrf_rejected: 403,
  signature_invalid: 401,
  // A paused stage or connector is temporarily unavailable: 503 with Retry-After, try again later.
  stage_paused: 503,
  connector_paused: 503,
  not_deployed: 409,
  gate_not_met: 409,
  fenced: 409,
  step_timeout: 504,
  step_failed: 500,
  action_failed: 502,
  egress_refused: 403,
  provider_rate_limited: 429,
  outcome_unknown: 409,
  review_expired: 409,
  budget_exceeded: 409,
  misconfigured: 503,
  internal: 500,
};

export function statusFor(code: ErrorCode): number {
  return statusByCode[code];
}

/** Answers any error as problem+json. Internal errors say only that something failed: no stack, no message leak. */
export function problemResponse(c: Context, error: unknown, log: (error: unknown) => void): Response {
  const e = error instanceof HTTPException ? fromHttpException(error) : coerceError(error);
  const status = statusFor(e.code);
  if (status >= 500) log(error);
  const internal = e.code === 'internal';
  const body = {
    type: `urn:keel:problem:${e.code}`,
    title: e.code.replaceAll('_', ' '),
    status,
    code: e.code,
    detail: internal ? 'Keel failed to handle this request; the server log has the details.' : e.message,
    ...(e.hint && !internal ? { hint: e.hint } : {}),
    ...(e.problems.length > 0 ? { problems: e.problems } : {}),
  };
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  // Retry-After (seconds) where the answer means "later": rate limits, and paused stages or connectors.
  if (e.retryAfterMs !== undefined && (status === 429 || status === 503)) headers['retry-after'] = String(Math.ceil(e.retryAfterMs / 1000));
  return c.body(JSON.stringify(body), status as 400, headers);
}

function fromHttpException(error: HTTPException): KeelError {
  if (error.status === 413) return new KeelError('payload_too_large', 'The request body is larger than this server accepts.');
  if (error.status === 400) {
    return new KeelError('malformed_json', `The request body could not be read: ${error.message}.`, { hint: 'Send valid JSON with content-type application/json.' });
  }
  return new KeelError(error.status === 404 ? 'not_found' : 'internal', error.message);
}
