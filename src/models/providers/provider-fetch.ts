// The `fetch` every provider is given: Keel's guarded egress client behind the Fetch API's full
// signature. The AI SDK declares `typeof globalThis.fetch`, whose inputs (Request objects, Blob and
// FormData bodies) are wider than what egressFetch translates; the SDK only ever sends a URL string
// and a JSON string body, so the rest is refused clearly instead of being stringified by accident.

import { egressFetch, type EgressClient, type EgressFetchInit } from '../../connectors/index.js';
import { KeelError } from '../../errors.js';

export type ProviderFetch = typeof globalThis.fetch;

/**
 * Wraps the egress client for one model. The egress client's own budget (30 s by default) would
 * cut a slow model short of its configured timeout, so it gets the model's timeout plus a margin:
 * the attempt's own timer fires first and is what classifies the attempt as `no_response`.
 */
export function providerFetch(egress: EgressClient, timeoutMs: number): ProviderFetch {
  const send = egressFetch(egress, { timeoutMs: timeoutMs + 1_000 });
  return async (input, init) => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    const out: EgressFetchInit = {};
    if (init?.method !== undefined) out.method = init.method;
    if (init?.headers !== undefined) out.headers = headerInit(init.headers);
    if (init?.body !== undefined) out.body = bodyInit(init.body);
    if (init?.signal !== undefined) out.signal = init.signal;
    return send(url, out);
  };
}

function headerInit(headers: NonNullable<RequestInit['headers']>): EgressFetchInit['headers'] {
  if (headers instanceof Headers || Array.isArray(headers)) return headers as EgressFetchInit['headers'];
  // A record may hold undefined values (the SDK strips them, but the type allows them).
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') out[name] = value;
  return out;
}

function bodyInit(body: RequestInit['body']): EgressFetchInit['body'] {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof URLSearchParams) return body;
  throw new KeelError('internal', 'A model provider sent a request body the egress client cannot carry (not text or bytes).', { retriable: false });
}
