// One HTTP exchange of the egress client: a request sent to already-checked addresses, and its
// response read under a size cap. The policy and the redirect loop live in egress.ts; nothing here
// decides what may be reached, it only makes sure the socket goes where egress.ts decided.

import type { LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { KeelError } from '../errors.js';
import { normaliseHostname } from './egress-policy.js';

export interface Hop {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  addresses: LookupAddress[];
  signal: AbortSignal;
  agents: { http: http.Agent; https: https.Agent };
}

/** Sends one request and resolves with the response head. */
export function send(hop: Hop): Promise<IncomingMessage> {
  const { url, signal } = hop;
  const secure = url.protocol === 'https:';
  const headers = { ...hop.headers };
  if (hop.body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = String(typeof hop.body === 'string' ? Buffer.byteLength(hop.body) : hop.body.byteLength);
  }
  return new Promise<IncomingMessage>((resolvePromise, reject) => {
    if (signal.aborted) return reject(abortError(signal));
    let outgoing: http.ClientRequest;
    try {
      outgoing = (secure ? https : http).request({
        protocol: url.protocol,
        hostname: normaliseHostname(url.hostname),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: hop.method,
        headers,
        agent: secure ? hop.agents.https : hop.agents.http,
        lookup: pinnedLookup(hop.addresses),
      });
    } catch (error) {
      // Node's message may name a header; only its code is safe to repeat.
      return reject(new KeelError('action_failed', `request to ${url.host} is malformed (${errorCode(error)})`, { cause: error, retriable: false }));
    }
    const onAbort = (): void => {
      outgoing.destroy();
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    outgoing.on('response', (res) => {
      signal.removeEventListener('abort', onAbort);
      resolvePromise(res);
    });
    outgoing.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) return reject(abortError(signal));
      reject(new KeelError('action_failed', `request to ${url.host} failed (${errorCode(error)})`, { cause: error, retriable: true }));
    });
    outgoing.end(hop.body);
  });
}

/**
 * Hands the socket exactly the addresses that were checked, honouring the family and `all`
 * (happy-eyeballs) forms Node asks for. Node skips lookup for IP literals, which were checked as such.
 */
function pinnedLookup(addresses: LookupAddress[]): LookupFunction {
  return (_hostname, lookupOptions, callback) => {
    const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = Object.assign(new Error('no checked address of the requested family'), { code: 'ENOTFOUND' });
      callback(error, '', 0);
    } else if (lookupOptions.all) {
      callback(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/** Reads the body, refusing (and cutting the connection) once it passes the cap. */
/** `declaredCap` is Infinity for HEAD, whose content-length describes a body that never comes. */
export function readBody(res: IncomingMessage, url: URL, declaredCap: number, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const tooLarge = (): KeelError =>
    new KeelError('action_failed', `response from ${url.host} is larger than ${maxBytes} bytes`, { retriable: false, details: { maxResponseBytes: maxBytes } });
  return new Promise<Buffer>((resolvePromise, reject) => {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > declaredCap) {
      res.destroy();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = (): void => {
      res.destroy();
      reject(abortError(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => signal.removeEventListener('abort', onAbort);
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        finish();
        res.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      finish();
      resolvePromise(Buffer.concat(chunks));
    });
    res.on('error', (error) => {
      finish();
      if (signal.aborted) return reject(abortError(signal));
      reject(new KeelError('action_failed', `response from ${url.host} broke off (${errorCode(error)})`, { cause: error, retriable: true }));
    });
  });
}

/** The error to surface once the combined signal fired: our timeout, or the caller's reason. */
export function abortError(signal: AbortSignal): KeelError {
  const reason: unknown = signal.reason;
  if (reason instanceof KeelError) return reason;
  return new KeelError('action_failed', 'outbound request aborted by the caller', { cause: reason, retriable: false });
}

export function flattenHeaders(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function errorCode(error: unknown): string {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : 'network error';
}
