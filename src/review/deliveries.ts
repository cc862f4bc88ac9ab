// The outbox of review messages: decision callbacks to external workflows and notifications to the
// configured webhooks. Rows are queued in the transaction that changes the task (events.ts); this
// loop sends them, signed in the Standard Webhooks scheme, through the guarded egress client, and
// retries with exponential back-off. Delivery is at least once: a process that dies mid-send sends
// again after the claim lapses, so receivers deduplicate on `webhook-id` (stable per row).
import { recordAudit } from '../audit/index.js';
import { retryAfterMs, signWebhook, type EgressClient } from '../connectors/index.js';
import type { Db } from '../db/index.js';
import { reviewDeliveriesChannel } from './events.js';

export interface DeliveryRetry {
  /** Wait after the first failed attempt; each later one doubles it. Default 5 s. */
  firstDelayMs: number;
  /** The longest wait between attempts (also caps a Retry-After). Default 1 h. */
  maxDelayMs: number;
  /** Attempts before the message is given up (failed_at set). Default 12 (about 2.5 h in all). */
  maxAttempts: number;
}

export const defaultDeliveryRetry: Readonly<DeliveryRetry> = { firstDelayMs: 5_000, maxDelayMs: 3_600_000, maxAttempts: 12 };

export interface DeliveryDeps {
  egress: EgressClient;
  /** Signing secret of each notification target, by its URL; undefined when its variable is unset. */
  targetSecrets: ReadonlyMap<string, string | undefined>;
  /** The secret decision callbacks are signed with (reviews.callbackSecretEnv). */
  callbackSecret?: string;
  retry?: Partial<DeliveryRetry>;
  /** Messages claimed per round; default 10. */
  batchSize?: number;
  /** Budget of one POST; default 10 s. */
  timeoutMs?: number;
  /** Aborts requests in flight (the loop stopping). */
  signal?: AbortSignal;
}

export interface DeliveryRound {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
}

interface ClaimedDelivery {
  id: string;
  review_id: string;
  kind: 'callback' | 'notification';
  event: string;
  url: string;
  body: string;
  attempts: number;
}

/**
 * Sends the messages due at `now` once each and records the outcome: delivered on a 2xx answer,
 * otherwise retried later, or failed after the last attempt. Never throws for a receiver's fault;
 * it throws only when the database does.
 */
export async function deliverDueReviewMessages(db: Db, deps: DeliveryDeps, now = new Date()): Promise<DeliveryRound> {
  const retry = { ...defaultDeliveryRetry, ...deps.retry };
  const timeoutMs = deps.timeoutMs ?? 10_000;
  // The claim is a lease: the row is due again only after the request's whole budget has passed,
  // so another process (SKIP LOCKED) does not send it twice meanwhile, and a crash loses nothing.
  const claimed = await db.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT id FROM review_deliveries
        WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
        ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE review_deliveries d SET attempts = d.attempts + 1, next_attempt_at = $1::timestamptz + $3 * interval '1 millisecond'
       FROM due WHERE d.id = due.id
     RETURNING d.id::text AS id, d.review_id, d.kind, d.event, d.url, d.payload::text AS body, d.attempts`,
    [now, deps.batchSize ?? 10, timeoutMs + 30_000],
  );
  const round: DeliveryRound = { claimed: claimed.rows.length, delivered: 0, retried: 0, failed: 0 };
  await Promise.all(claimed.rows.map(async (row) => {
    const outcome = await send(row, deps, timeoutMs);
    if (outcome.ok) {
      await db.query('UPDATE review_deliveries SET delivered_at = $2, last_error = NULL WHERE id = $1', [row.id, now]);
      round.delivered++;
    } else if (row.attempts >= retry.maxAttempts) {
      await db.transaction(async (tx) => {
        await tx.query('UPDATE review_deliveries SET failed_at = $2, last_error = $3 WHERE id = $1', [row.id, now, outcome.error]);
        await recordAudit(tx, {
          actor: 'keel:deliveries', action: 'review_delivery:failed', subjectType: 'review', subjectId: row.review_id,
          data: { delivery: Number(row.id), kind: row.kind, event: row.event, attempts: row.attempts, error: outcome.error },
        });
      });
      round.failed++;
    } else {
      const backoff = Math.min(retry.firstDelayMs * 2 ** (row.attempts - 1), retry.maxDelayMs);
      const delay = Math.min(Math.max(backoff, outcome.retryAfterMs ?? 0), retry.maxDelayMs);
      await db.query(
        `UPDATE review_deliveries SET next_attempt_at = $2::timestamptz + $3 * interval '1 millisecond', last_error = $4 WHERE id = $1`,
        [row.id, now, delay, outcome.error],
      );
      round.retried++;
    }
  }));
  return round;
}

type SendOutcome = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

async function send(row: ClaimedDelivery, deps: DeliveryDeps, timeoutMs: number): Promise<SendOutcome> {
  const secret = row.kind === 'callback' ? deps.callbackSecret : deps.targetSecrets.get(row.url);
  if (!secret) {
    // Kept as an attempt, not dropped: setting the variable and restarting lets the retries through.
    return {
      ok: false,
      error: row.kind === 'callback'
        ? 'no callback secret: set the environment variable named by reviews.callbackSecretEnv (default KEEL_CALLBACK_SECRET)'
        : 'no signing secret for this notification target: set the environment variable its secretEnv names, or remove the target',
    };
  }
  const id = `rdl_${row.id}`;
  const timestamp = Math.floor(Date.now() / 1000);
  try {
    const response = await deps.egress.request({
      url: row.url, method: 'POST', body: row.body, timeoutMs, signal: deps.signal,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook({ id, timestamp, body: row.body, secret }),
      },
    });
    if (response.status >= 200 && response.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${response.status}${snippet(response.body)}`, retryAfterMs: retryAfterMs(response.headers) };
  } catch (error) {
    // Egress errors name the host and the reason, never a header or the secret.
    return { ok: false, error: (error instanceof Error ? error.message : String(error)).slice(0, 500) };
  }
}

/** The start of a receiver's answer, for the operator reading last_error; control characters removed. */
function snippet(body: string): string {
  const text = body.replace(/[\p{Cc}]+/gu, ' ').trim().slice(0, 200);
  return text ? `: ${text}` : '';
}

export interface ReviewDeliveryLoopOptions extends Omit<DeliveryDeps, 'signal'> {
  /** Fallback poll for retries coming due; a NOTIFY wakes the loop at once for new messages. */
  pollMs: number;
  onError(message: string, error: unknown): void;
}

export interface ReviewDeliveryLoop {
  stop(): Promise<void>;
}

/** Runs the delivery loop until stopped. Errors go to onError; the loop keeps going. */
export async function startReviewDeliveries(db: Db, options: ReviewDeliveryLoopOptions): Promise<ReviewDeliveryLoop> {
  const abort = new AbortController();
  const batchSize = options.batchSize ?? 10;
  let running = true;
  let poked = false;
  let wake: () => void = () => {};
  const poke = (): void => {
    poked = true;
    wake();
  };
  const unlisten = await db.listen(reviewDeliveriesChannel, poke);

  async function loop(): Promise<void> {
    while (running) {
      poked = false;
      let more = false;
      try {
        more = (await deliverDueReviewMessages(db, { ...options, signal: abort.signal })).claimed >= batchSize;
      } catch (error) {
        if (running) options.onError('review deliveries failed', error);
      }
      if (!running || more || poked) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
    }
  }
  const done = loop();

  return {
    async stop() {
      running = false;
      abort.abort();
      wake();
      await done;
      await unlisten();
    },
  };
}
