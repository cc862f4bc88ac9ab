// What the `http` and `webhook` kinds share about one HTTP exchange: the fixed-headers setting, how
// a status becomes an answer or a KeelError with retry meaning, and keeping credentials out of both.
// Kept apart so the two kinds map statuses identically: the engine decides retry, back-off and
// outcome_unknown from these errors alone (see engine/steps/action.ts).

import { z } from 'zod';
import { KeelError } from '../../errors.js';
import type { EgressResponse } from '../egress.js';
import { retryAfterMs } from '../retry-after.js';

/**
 * Headers the connector (not the workflow) sets on every request. They are shown in `render`, so
 * they must not carry credentials: those belong in `*_secret` settings, where they stay encrypted.
 */
export const fixedHeadersSchema = z
  .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not a valid header name'), z.string().regex(/^[^\r\n]*$/, 'a header value may not contain a line break'))
  .default({})
  .superRefine((headers, ctx) => {
    for (const name of Object.keys(headers)) {
      if (credentialHeaders.has(name.toLowerCase()) || computedHeaders.has(name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [name], message: `${name} is set by Keel or carries a credential; configure auth with a *_secret setting instead` });
      }
    }
  });

/** Budget for one exchange, redirects included: a step must never wait forever on a slow API. */
/**
 * Where a connector sends requests, fixed by its owner: http(s) only, no credentials in the URL
 * (they belong in `*_secret` settings) and no #fragment (never sent, so it can only mislead).
 */
export const targetUrlSchema = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return void ctx.addIssue({ code: 'custom', message: 'not a URL' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: 'must be an https: or http: URL' });
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'may not carry credentials; put them in a *_secret setting' });
  if (url.hash) ctx.addIssue({ code: 'custom', message: 'may not have a #fragment' });
});

export const timeoutSchema = z.number().int().min(100).max(600_000).default(30_000);

const credentialHeaders = new Set(['authorization', 'proxy-authorization', 'cookie']);
const computedHeaders = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
// Response headers never echoed into a step's output (which is stored, traced and shown).
const droppedResponseHeaders = new Set(['set-cookie', 'set-cookie2', 'authorization', 'proxy-authorization', 'cookie', 'proxy-authenticate']);
// Shorter values would turn redaction into mangling of ordinary text; credentials are longer.
const minRedactedLength = 4;
const redacted = '[redacted]';
const errorBodyChars = 500;

/** What a 2xx answer becomes: the step's output. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Every spelling in which a credential could come back to us (echo APIs, debug pages, error bodies
 * quoting the request): raw, base64 (standard and URL-safe), URL-encoded and hex (either case), also
 * with JSON's escaped slashes, for each secret value and each header
 * value built from one (a Basic header is base64 of user:password, not of the password alone).
 */
export function sensitiveForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    const bytes = Buffer.from(value);
    const spellings = [value, bytes.toString('base64'), bytes.toString('base64url'), encodeURIComponent(value), bytes.toString('hex'), bytes.toString('hex').toUpperCase()];
    // An answer quoted as text keeps JSON's escapes: PHP's json_encode writes every / as \/.
    for (const form of spellings.flatMap((f) => (f.includes('/') ? [f, f.replaceAll('/', '\\/')] : [f]))) {
      if (form.length >= minRedactedLength) forms.add(form);
    }
  }
  // Longest first, so a header value is replaced whole before the secret inside it.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every sensitive form in strings (and object keys) anywhere in a JSON value. */
function redact(value: unknown, forms: readonly string[]): unknown {
  if (forms.length === 0) return value;
  if (typeof value === 'string') return forms.reduce((text, form) => text.replaceAll(form, redacted), value);
  if (Array.isArray(value)) return value.map((item) => redact(item, forms));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, forms) as string, redact(v, forms)]));
  }
  return value;
}

/**
 * The response headers safe to hand to a workflow: cookies and auth headers are dropped, as are
 * `extraDropped` (e.g. the API-key header an API echoes) and any header whose value holds a credential.
 */
function safeHeaders(headers: Record<string, string>, forms: readonly string[], extraDropped: readonly string[] = []): Record<string, string> {
  const dropped = new Set([...droppedResponseHeaders, ...extraDropped.map((h) => h.toLowerCase())]);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (dropped.has(name.toLowerCase()) || forms.some((form) => value.includes(form))) continue;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** JSON when the response says it is JSON (and is), otherwise the text; an empty body is null. */
function parseResponseBody(response: EgressResponse): unknown {
  if (response.body === '') return null;
  const type = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (!/[/+]json\b/i.test(type)) return response.body;
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    return response.body;
  }
}

/** A 2xx response as the step's output, credentials removed. */
export function answerOf(response: EgressResponse, forms: readonly string[], extraDropped: readonly string[] = []): HttpAnswer {
  return {
    status: response.status,
    headers: safeHeaders(response.headers, forms, extraDropped),
    body: redact(parseResponseBody(response), forms),
  };
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

// Answers that say "not processed, try again later": 408 (the server gave up waiting for our
// request) and 425 (too early) mean the request was not acted on; 429 is a rate limit.
const notProcessed = new Set([408, 425]);

/**
 * The KeelError for a non-2xx answer. 408, 425, 429 and 5xx are retriable (after Retry-After when
 * given); everything else is final, since sending the same request again gets the same answer.
 * `details.sent` says whether the target may have acted: a 5xx may have been half-done, so an
 * `unsafe` action that gets one goes to outcome_unknown rather than being repeated; 408/425/429
 * say it was not acted on, so even an unsafe action may be retried. `what` names the request
 * (method and path, never a query or header, which could carry a credential); `forms` are redacted
 * from the excerpt of the body kept for the person reading the error.
 */
export function statusError(response: EgressResponse, what: string, forms: readonly string[]): KeelError {
  const { status } = response;
  const retryAfter = retryAfterMs(response.headers);
  const excerpt = String(redact(response.body, forms)).slice(0, errorBodyChars);
  const details = { status, sent: !notProcessed.has(status) && status !== 429, ...(excerpt ? { body: excerpt } : {}) };
  if (status === 429) {
    return new KeelError('provider_rate_limited', `The API answered 429 Too Many Requests to ${what}.`, {
      retriable: true, retryAfterMs: retryAfter, details, hint: 'Keel retries after the time the API asked for.',
    });
  }
  const retriable = notProcessed.has(status) || status >= 500;
  return new KeelError('action_failed', `The API answered HTTP ${status} to ${what}.`, {
    retriable,
    retryAfterMs: retriable ? retryAfter : undefined,
    details,
    hint: retriable ? undefined : 'The request was refused as sent; repeating it will not help. Check the input and the connector settings.',
  });
}

/** Case-insensitive lookup of a header a kind sets itself, to decide whether a fixed header already set it. */
export function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((k) => k.toLowerCase() === lower);
}
