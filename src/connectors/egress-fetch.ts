// A Fetch API face on the guarded egress client, for libraries that take a `fetch` function (the
// OpenID Connect client does). Every request still goes through the egress client, so the
// private-address guard, the per-hop checks, the timeout and the response size cap all hold; only
// the shapes are translated. Bodies are read as text, which is what these libraries exchange (JSON
// and form bodies); streaming uploads are refused rather than buffered without limit.

import { KeelError } from '../errors.js';
import type { EgressClient } from './egress.js';

/** The subset of `fetch`'s options the adapter understands. */
export interface EgressFetchInit {
  method?: string;
  headers?: Record<string, string> | Headers | [string, string][];
  body?: string | Uint8Array | ArrayBuffer | URLSearchParams | ReadableStream | null;
  signal?: AbortSignal | null;
  redirect?: 'follow' | 'manual' | 'error';
}

export type EgressFetch = (url: string | URL, init?: EgressFetchInit) => Promise<Response>;

/** Statuses whose response must not carry a body (the Response constructor refuses one). */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

/**
 * Wraps `client` as a fetch function. Redirects are followed by the egress client itself (each hop
 * checked), whatever `redirect` asks: the guard, not the caller, decides where a request may go.
 */
export function egressFetch(client: EgressClient, options: { timeoutMs?: number } = {}): EgressFetch {
  return async (url, init = {}) => {
    const headers = headerRecord(init.headers);
    // As fetch does: a form body without a declared type is sent as a form.
    if (init.body instanceof URLSearchParams && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    const res = await client.request({
      url: String(url),
      method: init.method ?? 'GET',
      headers,
      body: requestBody(init.body),
      ...(init.signal ? { signal: init.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
    const response = new Response(nullBodyStatuses.has(status) ? null : res.body, { status, headers: res.headers });
    // Response.url is read-only and empty for constructed responses; libraries may read it.
    Object.defineProperty(response, 'url', { value: res.url });
    return response;
  };
}

function headerRecord(headers: EgressFetchInit['headers']): Record<string, string> {
  if (headers === undefined) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return { ...headers };
}

function requestBody(body: EgressFetchInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  throw new KeelError('action_failed', 'A streamed request body cannot be sent through the egress client.', { retriable: false });
}
