// Every call to the Keel API goes through here: same-origin cookies, the session's CSRF token on
// changes, and problem+json answers turned into one error type the pages can show.

export interface FieldProblem {
  path: string;
  message: string;
  hint?: string;
}

/** A refused or failed call, as Keel explained it (RFC 9457 problem+json). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly hint?: string,
    readonly problems: FieldProblem[] = [],
  ) {
    super(detail);
  }
}

let csrfToken: string | undefined;

/** Set from GET /api/auth/me after sign-in; sent on every change the cookie authenticates. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-keel-csrf'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'unreachable', 'Keel did not answer. Check that the server is running, then try again.');
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_answer', `Keel answered ${res.status} with something that is not JSON.`);
    }
  }
  if (!res.ok) {
    const p = (data ?? {}) as { code?: string; detail?: string; hint?: string; problems?: FieldProblem[] };
    throw new ApiError(res.status, p.code ?? 'http_' + res.status, p.detail ?? `Keel answered ${res.status}.`, p.hint, p.problems ?? []);
  }
  return data as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => call<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  del: <T>(path: string) => call<T>('DELETE', path),
};

/** One line for a failure, with the field problems when there are any. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    return [error.detail, fields, error.hint].filter(Boolean).join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}
