// The CLI's client for the user's own Keel server. It uses global fetch on purpose: this is the
// operator talking to their server, not workflow egress, so the egress guard does not apply.
import type { Problem } from './api-types.js';

/** The server answered with a problem+json document. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiProblem';
  }
}

/** Nothing answered at the URL (or something that is not Keel did). */
export class ServerUnreachable extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'ServerUnreachable';
  }
}

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string, query?: Query): Promise<T>;
  /** A GET whose success is a text document (e.g. Markdown); a failure is still a problem+json. */
  getText(path: string, query?: Query): Promise<string>;
  post<T>(path: string, body: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string, query?: Query): Promise<T>;
}

/** How a request reaches Keel: over HTTP, or into an app in this process (`--local`). */
export type Transport = (url: URL, init: RequestInit) => Promise<Response>;

/** Encodes one path segment (ids come from the command line). */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/**
 * A client for the server at `baseUrl`, sending `token` as a bearer credential. `transport`
 * replaces the network for the local CLI, which runs the same app in this process.
 */
export function createApiClient(baseUrl: string, token?: string, transport: Transport = (url, init) => fetch(url, init)): ApiClient {
  const root = baseUrl.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown, query?: Query, asText = false): Promise<T> {
    const url = new URL(root + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const send = () => transport(url, {
      method,
      headers: {
        accept: asText ? 'text/*, application/problem+json' : 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let response: Response;
    try {
      response = await send().catch((error: unknown) => {
        // A kept-alive connection the server has since closed (it restarted or stopped): a read is
        // safe to send again on a new connection, and that attempt tells whether anyone is there.
        if (method === 'GET' && errorCode(error) === 'UND_ERR_SOCKET') return send();
        throw error;
      });
    } catch (error) {
      throw unreachable(root, error, method);
    }
    const text = await response.text();
    if (asText && response.ok) return text as T;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ServerUnreachable(`${root} answered ${response.status} with something that is not Keel's API`, 'check --url or KEEL_URL');
    }
    if (response.ok) return parsed as T;
    if (isProblem(parsed)) throw new ApiProblem(parsed);
    throw new ServerUnreachable(`${root} answered ${response.status} without a Keel problem document`, 'check --url or KEEL_URL');
  }
  return {
    baseUrl: root,
    get: (path, query) => call('GET', path, undefined, query),
    getText: (path, query) => call<string>('GET', path, undefined, query, true),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path, query) => call('DELETE', path, undefined, query),
  };
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.detail === 'string';
}

function unreachable(root: string, error: unknown, method: string): ServerUnreachable {
  const code = errorCode(error);
  if (code === 'ECONNREFUSED') return new ServerUnreachable(`no Keel server at ${root} (start one with npm start)`);
  if (code === 'UND_ERR_SOCKET' && method !== 'GET') {
    return new ServerUnreachable(`the connection to ${root} closed before Keel answered`, 'the request may or may not have been applied; check (keel runs, keel workflows) before sending it again');
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new ServerUnreachable(`cannot reach a Keel server at ${root} (${reason})`, 'check --url or KEEL_URL, and that the server is running');
}

/** The system error code behind a failed fetch (undici wraps it as `cause`, sometimes in an AggregateError). */
function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (typeof e !== 'object') return undefined;
    const r = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof r.code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(r.code)) return r.code;
    if (Array.isArray(r.errors) && r.errors.length > 0) e = r.errors[0];
    else e = r.cause;
  }
  return undefined;
}
