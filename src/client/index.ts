// `keel/client`: what an external workflow (a script, a service, an n8n code node) needs to ask Keel
// for a person's decision and to receive it. It stands alone: global fetch and node:crypto only, no
// import from the rest of Keel, so it can be copied or bundled into the caller's own code.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface KeelClientOptions {
  /** Where Keel is served, e.g. https://keel.example.com. */
  baseUrl: string;
  /** An API token (`keel tokens create`) holding reviews:request and reviews:read on the workflow. */
  token: string;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/** A problem answer (RFC 9457) as Keel sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  hint?: string;
  problems?: { path: string; message: string; hint?: string }[];
}

/** Any failure of the client: an HTTP problem (status and code from Keel), a timeout, a bad signature. */
export class KeelClientError extends Error {
  override readonly name = 'KeelClientError';
  constructor(
    message: string,
    /** The HTTP status; undefined when no answer was had (network, timeout, signature). */
    readonly status: number | undefined,
    /** Keel's stable error code (`not_found`, `conflict`, `invalid_input`, ...), or `network`, `timeout`, `signature_invalid`. */
    readonly code: string,
    readonly problem?: Problem,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type ReviewStatus = 'pending' | 'escalated' | 'approved' | 'edited' | 'rejected' | 'expired';

export interface ReviewRequest {
  title: string;
  /** What the person needs to see to decide. */
  payload: unknown;
  /** The output to approve, edit or reject. */
  proposed: unknown;
  /** Your own reference: asking again with it returns the first task instead of a second one. */
  external_ref?: string;
  /** Where the signed decision is POSTed; check it with verifyCallback. */
  callback_url?: string;
  role?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  escalate_to?: string[];
  /** The SLA, e.g. `4h` (default 24h). */
  due?: string;
  /** A duration from now (`3d`) or an ISO 8601 time. */
  deadline?: string;
  on_deadline?: 'reject' | 'approve';
  quorum?: number;
  output_schema?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export interface ExternalReview {
  id: string;
  workflow_id: string;
  external_ref: string | null;
  status: ReviewStatus;
  title: string | null;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  assigned_role: string | null;
  requested_by: string | null;
  due_at: string | null;
  deadline_at: string | null;
  on_deadline: string;
  quorum: number;
  callback_url: string | null;
  created_at: string;
  /** False when a task with this external_ref existed and was returned. */
  created: boolean;
}

/** A review task as GET /api/reviews/{id} shows it. */
export interface Review {
  id: string;
  workflow_id: string;
  status: string;
  title: string | null;
  proposed: unknown;
  decided_output: unknown;
  [field: string]: unknown;
}

export interface ReviewDecision {
  id: string;
  workflow_id: string;
  external_ref: string | null;
  status: ReviewStatus;
  /** Null for a task that expired undecided. */
  decision: 'approve' | 'edit' | 'reject' | null;
  /** What to act on: the proposal when approved, the person's version when edited; null otherwise. */
  output: unknown;
  comment: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

/** The body of a decision callback (and of a notification). */
export interface ReviewCallback {
  type: 'review:decided' | 'review:expired' | 'review:created' | 'review:escalated';
  timestamp: string;
  data: ReviewDecision & Record<string, unknown>;
}

export interface KeelClient {
  /** Opens a review task for an external workflow. */
  requestReview(workflowId: string, body: ReviewRequest): Promise<ExternalReview>;
  getReview(id: string): Promise<Review>;
  /** The decision now, or after up to `waitSeconds` (max 60); undefined while the task is open. */
  getDecision(id: string, waitSeconds?: number, signal?: AbortSignal): Promise<ReviewDecision | undefined>;
  /** Long-polls until the task is decided or expired; throws KeelClientError `timeout` after timeoutMs. */
  waitForDecision(id: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ReviewDecision>;
}

export function createKeelClient(options: KeelClientOptions): KeelClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<{ status: number; json: T }> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method, signal,
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new KeelClientError(`Keel at ${base} did not answer: ${error instanceof Error ? error.message : String(error)}`, undefined, 'network', undefined, { cause: error });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const problem = (json ?? {}) as Problem;
      throw new KeelClientError(problem.detail ?? `${method} ${path} answered ${res.status}`, res.status, problem.code ?? `http_${res.status}`, problem);
    }
    return { status: res.status, json: json as T };
  }

  const client: KeelClient = {
    async requestReview(workflowId, body) {
      const r = await call<Omit<ExternalReview, 'created'>>('POST', `/api/workflows/${encodeURIComponent(workflowId)}/reviews`, body);
      return { ...r.json, created: r.status === 201 };
    },
    async getReview(id) {
      return (await call<Review>('GET', `/api/reviews/${encodeURIComponent(id)}`)).json;
    },
    async getDecision(id, waitSeconds = 0, signal) {
      const wait = Math.max(0, Math.min(60, Math.floor(waitSeconds)));
      const r = await call<ReviewDecision>('GET', `/api/reviews/${encodeURIComponent(id)}/decision?wait=${wait}`, undefined, signal);
      return r.status === 200 ? r.json : undefined;
    },
    async waitForDecision(id, { timeoutMs = 24 * 3_600_000, signal } = {}) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const left = until - Date.now();
        if (left <= 0) throw new KeelClientError(`Review ${id} was not decided within ${timeoutMs} ms.`, undefined, 'timeout');
        try {
          const decision = await client.getDecision(id, Math.max(1, Math.min(60, Math.ceil(left / 1000))), signal);
          if (decision) return decision;
        } catch (error) {
          // A restart or a proxy hiccup is waited out; anything Keel itself refused is not.
          const transient = error instanceof KeelClientError && (error.code === 'network' || [502, 503, 504].includes(error.status ?? 0));
          if (!transient) throw error;
          await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(0, until - Date.now()))));
        }
      }
    },
  };
  return client;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a callback from Keel (Standard Webhooks: HMAC-SHA256 over "id.timestamp.body", compared
 * in constant time, timestamp within ±5 minutes) and returns the parsed message. `rawBody` must be
 * the exact bytes received; `secret` is the server's callback secret (`whsec_...` or a plain string).
 * Deduplicate on the returned id: a message can arrive more than once.
 */
export function verifyCallback(headers: HeaderSource, rawBody: string | Uint8Array, secret: string, options: { now?: Date; toleranceSeconds?: number } = {}): { id: string; timestamp: number; message: ReviewCallback } {
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestampText || !signatures) throw badSignature('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d{1,15}$/.test(timestampText)) throw badSignature('webhook-timestamp is not a whole number of seconds');
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(Math.floor((options.now ?? new Date()).getTime() / 1000) - timestamp) > tolerance) {
    throw badSignature(`webhook-timestamp is outside the tolerance of ${tolerance} seconds`);
  }
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const expected = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampText}.${body}`, 'utf8').digest();
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    // Every entry is compared (no early exit), each in constant time.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw badSignature('no matching signature in webhook-signature');
  return { id, timestamp, message: JSON.parse(body) as ReviewCallback };
}

function keyOf(secret: string): Buffer {
  if (secret.startsWith('whsec_')) return Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (!secret) throw badSignature('the secret is empty');
  return Buffer.from(secret, 'utf8');
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name)?.trim() || undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return (Array.isArray(value) ? value.join(' ') : value)?.trim() || undefined;
}

function badSignature(message: string): KeelClientError {
  return new KeelClientError(`The callback is not from Keel: ${message}.`, undefined, 'signature_invalid');
}
