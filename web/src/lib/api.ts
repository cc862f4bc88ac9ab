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
  return answer<T>(res.status, await res.text());
}

/** The JSON of an answer, or the ApiError its problem+json describes. */
function answer<T>(status: number, text: string): T {
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(status, 'bad_answer', `Keel answered ${status} with something that is not JSON.`);
    }
  }
  if (status < 200 || status > 299) {
    const p = (data ?? {}) as { code?: string; detail?: string; hint?: string; problems?: FieldProblem[] };
    throw new ApiError(status, p.code ?? 'http_' + status, p.detail ?? `Keel answered ${status}.`, p.hint, p.problems ?? []);
  }
  return data as T;
}

/**
 * A POST that reports how much of its body has been sent (a dataset file can take a while):
 * XMLHttpRequest, since fetch does not report upload progress. Same cookies, CSRF token and errors.
 */
export function postWithProgress<T>(path: string, body: unknown, onProgress: (sent: number, total: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', 'application/json');
    if (csrfToken) xhr.setRequestHeader('x-keel-csrf', csrfToken);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      try {
        resolve(answer<T>(xhr.status, xhr.responseText));
      } catch (e) {
        reject(e);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'unreachable', 'Keel did not answer. Check that the server is running, then try again.'));
    xhr.send(JSON.stringify(body));
  });
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
