// The OTLP exporter: sends every stored span (Keel's own and those received over OTLP) to the
// operator's collector over OTLP/HTTP. It walks the spans table by id from a cursor kept in
// observe_cursors, so a restart resumes where the last accepted batch ended and nothing is sent
// twice after a clean stop. One process exports (an advisory lock). The cursor only moves past a
// batch the collector accepted, or one it refused as malformed (400: retrying it cannot succeed,
// and it must not stop export for good); on 429/502/503/504 and network errors the batch waits
// and is sent again, Retry-After honoured.
//
// A first start (no cursor yet) begins after the newest span stored, not at the oldest: a new
// collector is not flooded with the whole history.
import type { OtlpExportConfig } from '../config/index.js';
import { createEgressClient, retryAfterMs, type EgressClient, type EgressResponse } from '../connectors/index.js';
import type { Db, Queryable } from '../db/index.js';
import { coerceError, type KeelError } from '../errors.js';
import type { Logger } from '../logging.js';
import { decodeExportResponse, encodeSpans } from './otlp-export-spans.js';
import { createGapWatch } from './span-gaps.js';
import { spansAfter, type StoredSpan } from './span-store.js';

// Advisory lock keys of Keel's loops are 7_346_0xx, one each (grep before taking one).
const exportLockKey = 7_346_008;
const cursorName = 'otlp-export';
/** The OTLP/HTTP statuses the specification calls retryable (and 408, a timeout by definition). */
const retryableStatuses = new Set([408, 429, 502, 503, 504]);

export interface OtlpExporterOptions {
  db: Db;
  config: Readonly<OtlpExportConfig>;
  /** service.name of Keel's own spans. */
  serviceName: string;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** DNS resolution for the egress client; injectable for tests. */
  resolve?: (host: string) => Promise<string[]>;
  /** Waits after failed exports: exponential from initialMs to maxMs, with jitter. Default 1 s to 60 s. */
  backoff?: { initialMs: number; maxMs: number };
  /** The longest Retry-After honoured; default 5 minutes. */
  maxRetryAfterMs?: number;
  /**
   * The longest a gap in span ids is waited for while a transaction that may fill it is open
   * (see span-gaps.ts); default 10 s. Not used on a single-connection database.
   */
  settleMs?: number;
}

export interface ExportPass {
  /** Spans the collector accepted in this pass (partial successes included). */
  exported: number;
  /** Spans the collector refused as malformed, skipped. */
  skipped: number;
  /** Set when the pass stopped early (a failed batch, a gap to wait for): when to try again. */
  retryInMs?: number;
  /** False when another process holds the export lock and this one did nothing. */
  leader: boolean;
}

export interface OtlpExporter {
  /** Takes the lock if free, sets the cursor on a first start, and begins exporting in the background. */
  start(): Promise<void>;
  /** Lets a batch in flight finish (so it is not sent again), then releases the lock; no timer is left. */
  stop(): Promise<void>;
  /** Exports now until nothing is left or a batch has to wait; one pass at a time with the loop. */
  flush(): Promise<ExportPass>;
}

type Outcome =
  | { kind: 'accepted'; rejected: number; message?: string }
  | { kind: 'refused'; status: number }
  | { kind: 'too-large' }
  | { kind: 'retry'; reason: string; status?: number; error?: KeelError; retryAfterMs?: number };

/** Creates the exporter for `config.endpoint`, whose host the egress guard lets through even when private. */
export function createOtlpExporter(options: OtlpExporterOptions): OtlpExporter {
  const { db, config, logger } = options;
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 60_000 };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
  const settleMs = options.settleMs ?? 10_000;
  const endpoint = new URL(config.endpoint);
  // Where spans go, for logs: the URL's query or user part may carry a key, so only these are shown.
  const target = `${endpoint.protocol}//${endpoint.host}${endpoint.pathname}`;
  const egress: EgressClient = createEgressClient({
    allowHosts: [`${endpoint.hostname}:${endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)}`],
    maxResponseBytes: 1024 * 1024,
    userAgent: 'keel-otlp-exporter',
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });

  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let release: (() => Promise<void>) | null = null;
  let queue: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> = Promise.resolve();
  let batchLimit = config.batchSize;
  let failures = 0;
  let failing: string | undefined;
  /** A caller's flush goes on to the end even while the loop is stopping. */
  let flushing = false;
  const gaps = createGapWatch(db, settleMs);

  /** Runs passes one at a time, whether the loop or a caller asked. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  }

  let cursorReady = false;
  async function lead(): Promise<boolean> {
    release ??= await db.tryLeaderLock(exportLockKey);
    if (!release) return false;
    if (!cursorReady) await initCursor(db, logger);
    cursorReady = true;
    return true;
  }

  async function pass(): Promise<ExportPass> {
    const result: ExportPass = { exported: 0, skipped: 0, leader: await lead() };
    if (!result.leader) return result;
    let cursor = await loadCursor(db);
    for (;;) {
      const rows = await spansAfter(db, cursor, batchLimit);
      if (rows.length === 0) return result;
      const { ready, waitMs } = await gaps.settled(rows, cursor);
      if (ready.length === 0) return { ...result, retryInMs: waitMs };
      const outcome = await send(ready);
      if (outcome.kind === 'too-large' && ready.length > 1) {
        batchLimit = Math.max(1, Math.floor(ready.length / 2));
        logger.warn({ endpoint: target, batch_size: batchLimit }, 'OTLP collector found the batch too large; sending smaller batches');
        continue;
      }
      if (outcome.kind === 'retry') return { ...result, retryInMs: failed(outcome, ready.length) };
      recovered();
      if (outcome.kind === 'accepted') {
        result.exported += Math.max(0, ready.length - outcome.rejected);
        if (outcome.rejected > 0 || outcome.message) {
          logger.warn({ endpoint: target, rejected_spans: outcome.rejected, message: outcome.message?.slice(0, 300) }, 'OTLP collector accepted the batch in part');
        }
      } else {
        result.skipped += ready.length;
        // The id range lets an operator find the spans; their content and our headers stay out.
        logger.error({ endpoint: target, status: outcome.kind === 'refused' ? outcome.status : 413, spans: ready.length, first_span_id: ready[0]!.id, last_span_id: ready[ready.length - 1]!.id },
          'OTLP collector refused a batch of spans; it is skipped');
      }
      cursor = ready[ready.length - 1]!.id;
      await saveCursor(db, cursor);
      gaps.passed(cursor);
      if (ready.length < rows.length) return { ...result, retryInMs: waitMs };
      if (rows.length < batchLimit || (stopped && !flushing)) return result;
    }
  }

  async function send(spans: StoredSpan[]): Promise<Outcome> {
    let encoded: { body: Uint8Array; contentType: string };
    try {
      encoded = encodeSpans(spans, options.serviceName, config.protocol);
    } catch (error) {
      // A batch that cannot be encoded never will be: like a refused batch, it must not stop export for good.
      logger.error({ error: coerceError(error) }, 'OTLP export could not encode a batch of spans');
      return { kind: 'refused', status: 0 };
    }
    const { body, contentType } = encoded;
    let res: EgressResponse;
    try {
      res = await egress.request({
        url: config.endpoint, method: 'POST', body, timeoutMs: config.timeoutMs,
        headers: { ...config.headers, 'content-type': contentType },
        // Configured headers are usually credentials for this collector: never carried to another origin.
        originBoundHeaders: Object.keys(config.headers),
      });
    } catch (error) {
      const e = coerceError(error);
      return { kind: 'retry', reason: e.code === 'egress_refused' ? 'the egress guard refused the endpoint' : 'the collector is unreachable', error: e };
    }
    if (res.status >= 200 && res.status < 300) {
      const partial = decodeExportResponse(res.bytes, config.protocol).partialSuccess;
      return { kind: 'accepted', rejected: Number(partial?.rejectedSpans ?? 0), ...(partial?.errorMessage ? { message: partial.errorMessage } : {}) };
    }
    if (retryableStatuses.has(res.status)) return { kind: 'retry', reason: 'the collector is busy', status: res.status, retryAfterMs: retryAfterMs(res.headers) };
    if (res.status === 413) return spans.length > 1 ? { kind: 'too-large' } : { kind: 'refused', status: 413 };
    // The batch itself is refused (400, and 5xx the specification says not to retry): skip it.
    if (res.status === 400 || res.status >= 500) return { kind: 'refused', status: res.status };
    // Anything else (401, 403, 404, ...) is about the configuration, not the spans: keep them until it is fixed.
    return { kind: 'retry', reason: 'the collector refused Keel\'s request', status: res.status };
  }

  /** Logs the first failure of a kind (not every retry) and returns how long to wait. */
  function failed(outcome: Extract<Outcome, { kind: 'retry' }>, spans: number): number {
    failures++;
    const exponential = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
    // Retry-After as asked, but never a busy loop on "0" and never longer than the cap.
    const waitMs = outcome.retryAfterMs !== undefined
      ? Math.min(Math.max(outcome.retryAfterMs, 100), maxRetryAfterMs)
      : Math.round(exponential / 2 + (Math.random() * exponential) / 2);
    const kind = `${outcome.reason} ${outcome.status ?? outcome.error?.code ?? ''}`;
    if (kind !== failing) {
      failing = kind;
      const facts = { endpoint: target, status: outcome.status, spans, retry_in_ms: waitMs, ...(outcome.error ? { error: outcome.error } : {}) };
      const message = `OTLP export failed (${outcome.reason}); the spans wait and are sent again`;
      if (outcome.status === undefined || !retryableStatuses.has(outcome.status)) logger.error(facts, message);
      else logger.warn(facts, message);
    }
    return waitMs;
  }

  function recovered(): void {
    if (failing !== undefined) logger.info({ endpoint: target, failed_attempts: failures }, 'OTLP export resumed');
    failing = undefined;
    failures = 0;
  }

  async function tick(): Promise<void> {
    let delay = config.intervalMs;
    try {
      const result = await exclusive(pass);
      if (result.retryInMs !== undefined) delay = result.retryInMs;
    } catch (error) {
      logger.error({ error: coerceError(error) }, 'OTLP export pass failed');
    }
    if (!stopped) timer = setTimeout(() => void (loop = tick()), delay);
  }

  return {
    async start() {
      if (!stopped) return;
      stopped = false;
      // The cursor is set before start returns, so spans stored from here on are the ones exported.
      try {
        await exclusive(lead);
      } catch (error) {
        logger.error({ error: coerceError(error) }, 'OTLP export could not start; it tries again');
      }
      timer = setTimeout(() => void (loop = tick()), 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await loop;
      await queue;
      await release?.();
      release = null;
    },
    async flush() {
      flushing = true;
      try {
        return await exclusive(pass);
      } finally {
        flushing = false;
      }
    },
  };
}

async function loadCursor(db: Queryable): Promise<number> {
  const r = await db.query<{ position_id: string | number | null }>(`SELECT position_id FROM observe_cursors WHERE name = $1`, [cursorName]);
  return Number(r.rows[0]?.position_id ?? 0);
}

/** Never moves backwards: a stale writer cannot make spans go out twice. */
async function saveCursor(db: Queryable, id: number): Promise<void> {
  await db.query(
    `INSERT INTO observe_cursors (name, position_id) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET position_id = greatest(observe_cursors.position_id, excluded.position_id), updated_at = now()`,
    [cursorName, id],
  );
}

/** On the first start ever, the cursor begins at the newest stored span. */
async function initCursor(db: Queryable, logger: Pick<Logger, 'info'>): Promise<void> {
  const r = await db.query<{ position_id: string | number }>(
    `INSERT INTO observe_cursors (name, position_id) SELECT $1, coalesce(max(id), 0) FROM spans
     ON CONFLICT (name) DO NOTHING RETURNING position_id`,
    [cursorName],
  );
  const first = r.rows[0];
  if (first) logger.info({ after_span_id: Number(first.position_id) }, 'OTLP export starts with spans stored from now on; earlier spans are not sent');
}
