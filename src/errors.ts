// One error type for the whole product. The code is stable and closed (the API, the CLI and stored
// step attempts all depend on it); the HTTP status is decided only at the edge (src/http/errors.ts).

export const errorCodes = [
  'invalid_input',
  'invalid_workflow',
  'not_found',
  'conflict',
  'payload_too_large',
  'malformed_json',
  'unsupported_media_type',
  'unauthenticated',
  'permission_denied',
  'invalid_credentials',
  'account_locked',
  'rate_limited',
  'csrf_rejected',
  'signature_invalid',
  'stage_paused',
  'connector_paused',
  'not_deployed',
  'gate_not_met',
  'fenced',
  'step_timeout',
  'step_failed',
  'action_failed',
  'egress_refused',
  'provider_rate_limited',
  'outcome_unknown',
  'review_expired',
  'budget_exceeded',
  'misconfigured',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** One problem with one field of the input, as shown to a person. */
export interface FieldProblem {
  /** JSON path or file:line:col of the offending place. */
  path: string;
  message: string;
  hint?: string;
}

export interface KeelErrorOptions {
  hint?: string;
  problems?: FieldProblem[];
  cause?: unknown;
  /** Whether a step that failed with this error may be tried again. */
  retriable?: boolean;
  /** Milliseconds the caller asked us to wait before retrying (e.g. Retry-After). */
  retryAfterMs?: number;
  /** Extra facts safe to show (never secrets). */
  details?: Record<string, unknown>;
}

export class KeelError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly problems: FieldProblem[];
  readonly retriable: boolean;
  readonly retryAfterMs?: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KeelError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
    this.retriable = options.retriable ?? defaultRetriable(code);
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

function defaultRetriable(code: ErrorCode): boolean {
  return code === 'step_timeout' || code === 'provider_rate_limited' || code === 'action_failed';
}

/** Turns anything thrown into a KeelError without losing the original as `cause`. */
export function coerceError(error: unknown): KeelError {
  if (error instanceof KeelError) return error;
  if (error instanceof Error) {
    return new KeelError('internal', error.message, { cause: error, retriable: true });
  }
  return new KeelError('internal', String(error), { retriable: true });
}

/** The shape of an error as stored on a step attempt or a run: data, no stack. */
export interface StoredError {
  code: ErrorCode;
  message: string;
  hint?: string;
  retriable: boolean;
  problems?: FieldProblem[];
  details?: Record<string, unknown>;
}

export function serializeError(error: unknown): StoredError {
  const e = coerceError(error);
  const out: StoredError = { code: e.code, message: e.message, retriable: e.retriable };
  if (e.hint) out.hint = e.hint;
  if (e.problems.length > 0) out.problems = e.problems;
  if (e.details) out.details = e.details;
  return out;
}

export function isKeelError(error: unknown, code?: ErrorCode): error is KeelError {
  return error instanceof KeelError && (code === undefined || error.code === code);
}
