// The one guarded outbound HTTP client of the product (see "Guarantees" in DESIGN.md). Every hop
// (the first request and each redirect) resolves its host once, checks every address, and then
// connects only to those checked addresses through a pinned `lookup`, so DNS cannot answer
// differently between the check and the connect. node:http is used rather than fetch because fetch
// offers no hook into the address it connects to. The single exchange itself is in egress-hop.ts.

import { promises as dns, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { KeelError } from '../errors.js';
import { abortError, flattenHeaders, readBody, send } from './egress-hop.js';
import { createEgressPolicy, normaliseHostname, type EgressPolicy } from './egress-policy.js';

export interface EgressClientOptions {
  /** Switches the private-address guard off entirely. For local development only. */
  allowPrivate?: boolean;
  /** Hosts (`host`, `host:port`, `[v6]:port`), addresses or CIDR blocks a connector may reach even if private. */
  allowHosts?: string[];
  /** DNS resolution, injectable for tests; defaults to every address from `dns.promises.lookup`. */
  resolve?: (host: string) => Promise<string[]>;
  /** Redirects followed before giving up; default 5. */
  maxRedirects?: number;
  /** Largest response body accepted; default 10 MiB. */
  maxResponseBytes?: number;
  /** Sent as `user-agent` unless the request sets its own. */
  userAgent?: string;
}

export interface EgressRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Budget for the whole exchange, redirects included; default 30 s so nothing waits forever. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * More headers that carry a credential (an API key in its own header): dropped, like
   * Authorization and Cookie, when a redirect leads to another origin.
   */
  originBoundHeaders?: readonly string[];
}

export interface EgressResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The same body as bytes, for binary answers (an OTLP/protobuf response) that text would mangle. */
  bytes: Uint8Array;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface EgressClient {
  request(req: EgressRequest): Promise<EgressResponse>;
}

const defaultTimeoutMs = 30_000;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
// Credentials meant for one origin must not follow a redirect to another (as fetch and curl do).
const originBoundHeaders = ['authorization', 'cookie', 'proxy-authorization'];

/** Creates the guarded client; one per connector so its allow-list stays its own. */
export function createEgressClient(options: EgressClientOptions = {}): EgressClient {
  const policy = createEgressPolicy(options);
  const resolve = options.resolve ?? defaultResolve;
  const maxRedirects = options.maxRedirects ?? 5;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  // Our own agents without keep-alive: a pooled socket would skip the per-request lookup.
  const agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };

  async function request(req: EgressRequest): Promise<EgressResponse> {
    const controller = new AbortController();
    const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
    const timer = setTimeout(() => controller.abort(timeoutError(timeoutMs)), timeoutMs);
    const onCallerAbort = (): void => controller.abort(req.signal?.reason);
    if (req.signal?.aborted) onCallerAbort();
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      return await follow(req, controller.signal);
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  async function follow(req: EgressRequest, signal: AbortSignal): Promise<EgressResponse> {
    let url = parseUrl(req.url);
    let method = (req.method ?? 'GET').toUpperCase();
    let body = req.body;
    const headers = lowerCaseKeys(req.headers ?? {});
    if (options.userAgent && headers['user-agent'] === undefined) headers['user-agent'] = options.userAgent;

    for (let hop = 0; ; hop++) {
      const addresses = await checkedAddresses(url, signal);
      const res = await send({ url, method, headers, body, addresses, signal, agents });
      const location = res.headers.location;
      if (!redirectStatuses.has(res.statusCode ?? 0) || location === undefined) {
        const declaredCap = method === 'HEAD' ? Infinity : maxResponseBytes;
        const bytes = await readBody(res, url, declaredCap, maxResponseBytes, signal);
        return { status: res.statusCode ?? 0, headers: flattenHeaders(res), body: bytes.toString('utf8'), bytes, url: url.href };
      }
      res.resume(); // a redirect's own body is of no interest; drain it so the socket closes
      if (hop >= maxRedirects) {
        throw new KeelError('action_failed', `request to ${url.host} gave up after ${maxRedirects} redirects`, { retriable: false });
      }
      const next = parseUrl(location, url);
      if (res.statusCode !== 307 && res.statusCode !== 308 && method !== 'GET' && method !== 'HEAD') {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
        delete headers['content-length'];
      }
      if (next.origin !== url.origin) {
        for (const name of [...originBoundHeaders, ...(req.originBoundHeaders ?? [])]) delete headers[name.toLowerCase()];
      }
      url = next;
    }
  }

  /** Resolves the hop's host and checks every address; refuses before any socket exists. */
  async function checkedAddresses(url: URL, signal: AbortSignal): Promise<LookupAddress[]> {
    const host = normaliseHostname(url.hostname);
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const allowedHost = policy.isHostAllowed(host, port);
    const nameReason = allowedHost ? undefined : policy.refusedName(host);
    if (nameReason) throw refused(url, `${host} is a ${nameReason}`);

    let addresses: string[];
    if (isIP(host)) {
      addresses = [host];
    } else {
      try {
        addresses = await abortable(resolve(host), signal);
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        throw new KeelError('action_failed', `could not resolve ${host}`, { cause: error, retriable: true });
      }
      if (addresses.length === 0) throw new KeelError('action_failed', `${host} resolved to no address`, { retriable: true });
    }
    if (!allowedHost) checkAll(policy, url, host, addresses);
    else checkMetadata(policy, url, host, addresses);
    return addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 }));
  }

  return { request };
}

function checkAll(policy: EgressPolicy, url: URL, host: string, addresses: string[]): void {
  for (const address of addresses) {
    const reason = policy.refusedAddress(address);
    if (reason === undefined) continue;
    const what = address === host ? `${host} is a ${reason}` : `${host} resolves to ${address}, a ${reason}`;
    throw refused(url, what);
  }
}

/**
 * An allow-listed name opens the private network, not the cloud metadata service: a name that
 * resolves there (a rebinding DNS answer, a typo) is still refused. Only an allow-list entry naming
 * the address itself opens it.
 */
function checkMetadata(policy: EgressPolicy, url: URL, host: string, addresses: string[]): void {
  for (const address of addresses) {
    const reason = policy.refusedMetadata(address);
    if (reason === undefined) continue;
    throw refused(url, address === host ? `${host} is a ${reason}` : `${host} resolves to ${address}, a ${reason}`);
  }
}

function parseUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (error) {
    // The URL itself may carry credentials or tokens, so it is not repeated.
    const where = base ? `redirect from ${base.host}` : 'request';
    throw new KeelError('action_failed', `${where} has an invalid URL`, { cause: error, retriable: false });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused(url, `scheme ${url.protocol} is not http: or https:`);
  }
  return url;
}

function refused(url: URL, reason: string): KeelError {
  return new KeelError('egress_refused', `egress to ${url.host || url.protocol} refused: ${reason}`, {
    retriable: false,
    hint: 'If this connector must reach a private address, add it to the connector allowHosts.',
    details: { host: url.hostname },
  });
}

function timeoutError(timeoutMs: number): KeelError {
  return new KeelError('step_timeout', `outbound request timed out after ${timeoutMs} ms`, { retriable: true });
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

async function defaultResolve(host: string): Promise<string[]> {
  const results = await dns.lookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

