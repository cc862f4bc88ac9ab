// Turns whatever one provider request threw into the failure policy's terms: an error class, the
// HTTP status, whether the same model may be tried again, and how long the provider asked us to
// wait. The message is built here, from the status and the provider's own words with every API
// key scrubbed out: providers echo keys back (OpenAI's 401 names a masked form of the key sent).

import { APICallError } from 'ai';
import { retryAfterMs } from '../../connectors/index.js';
import { isKeelError } from '../../errors.js';
import type { ModelErrorClass } from '../types.js';

export interface ClassifiedFailure {
  errorClass: ModelErrorClass;
  status: number | null;
  /** Whether another attempt with the same model may succeed (429, 5xx, network, no answer). */
  retriable: boolean;
  /** What the provider asked for with Retry-After / retry-after-ms, in ms; null when it did not say. */
  retryAfterMs: number | null;
  message: string;
}

export interface ClassifyContext {
  /** The attempt's own timer fired: whatever the error looks like, there was no answer in time. */
  timedOut: boolean;
  timeoutMs: number;
  provider: string;
  /** Values that must never appear in a message (every configured API key). */
  secrets: readonly string[];
  now: number;
}

/** Error codes of Node and undici that mean the connection failed or broke off. */
const networkCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);

export function classifyProviderError(error: unknown, ctx: ClassifyContext): ClassifiedFailure {
  if (ctx.timedOut || isKeelError(error, 'step_timeout')) {
    return failure('no_response', null, true, `no answer from ${ctx.provider} within ${ctx.timeoutMs} ms`);
  }
  if (APICallError.isInstance(error) && error.statusCode !== undefined && error.statusCode >= 300) {
    const status = error.statusCode;
    const said = providerWords(error, ctx.secrets);
    const text = `${ctx.provider} answered HTTP ${status}${said ? `: ${said}` : ''}`;
    if (status === 429) return { ...failure('rate_limited', status, true, text), retryAfterMs: retryAfterMs(error.responseHeaders, ctx.now) ?? null };
    // 408 is the server saying it gave up waiting for us: the same as no answer, worth another try.
    if (status === 408) return failure('no_response', status, true, text);
    if (status >= 500) return failure('server_error', status, true, text);
    return failure('client_error', status, false, text);
  }
  const code = networkCode(error);
  if (code !== undefined) return failure('network', null, true, `connection to ${ctx.provider} failed (${code})`);
  // The egress client refused the address, or the request could not be built: trying again cannot help.
  if (isKeelError(error) && !error.retriable) return failure('client_error', null, false, scrub(error.message, ctx.secrets));
  if (isKeelError(error, 'action_failed')) return failure('network', null, true, scrub(error.message, ctx.secrets));
  // A 2xx whose body was not the provider's answer shape (a proxy's HTML page, a truncated JSON
  // the socket did not flag): the provider side is at fault, so it counts as a server error.
  const status = APICallError.isInstance(error) ? (error.statusCode ?? null) : null;
  const name = error instanceof Error ? error.name : 'error';
  return failure('server_error', status, true, `${ctx.provider} gave an answer Keel could not read (${name})`);
}

function failure(errorClass: ModelErrorClass, status: number | null, retriable: boolean, message: string): ClassifiedFailure {
  return { errorClass, status, retriable, retryAfterMs: null, message };
}

/** The first network error code along the cause chain (the SDK and the egress client both wrap). */
function networkCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && networkCodes.has(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** The provider's own error text (from its JSON body when it has one), short and scrubbed. */
function providerWords(error: APICallError, secrets: readonly string[]): string {
  let text = error.message;
  if (error.data !== null && typeof error.data === 'object') {
    const inner = (error.data as { error?: { message?: unknown } }).error;
    if (typeof inner?.message === 'string') text = inner.message;
  }
  const clean = scrub(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/**
 * Removes every configured key and anything shaped like a key: a masked echo such as
 * `sk-proj-****abcd` is not the key itself, but its visible ends still identify it.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  // Key-like: a provider prefix, then a run holding a digit or a mask star ("api-version" is not a key).
  return out.replace(/\b(?:sk|pk|rk|key|api)[-_](?=[A-Za-z0-9_\-*.]*[0-9*])[A-Za-z0-9_\-*.]{5,}[A-Za-z0-9_\-*]/gi, '[redacted]');
}

