// Webhooks in and out follow the Standard Webhooks scheme (https://www.standardwebhooks.com):
// `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, an HMAC-SHA256 over
// "id.timestamp.body", and a ±5 minute window so a captured request cannot be replayed later.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { KeelError } from '../errors.js';

/** What a webhook signature covers. */
export interface WebhookSigningInput {
  /** The message id (`webhook-id`); receivers use it to drop duplicates. */
  id: string;
  /** Seconds since the Unix epoch (`webhook-timestamp`). */
  timestamp: number;
  /** The exact body bytes as sent, as a string. */
  body: string;
  /** `whsec_<base64 key>`, or any other string used as its UTF-8 bytes. */
  secret: string;
}

export interface WebhookVerifyInput {
  /** Request headers; names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
  body: string;
  secret: string;
  /** The clock to check the timestamp against; defaults to now. */
  now?: Date;
  /** Allowed distance between `webhook-timestamp` and now, either way; default 300 s. */
  toleranceSeconds?: number;
}

/** The verified message's id and timestamp (the id is what a receiver deduplicates on). */
export interface VerifiedWebhook {
  id: string;
  timestamp: number;
}

const secretPrefix = 'whsec_';
const defaultToleranceSeconds = 300;

/** Signs a webhook: returns the `webhook-signature` value `v1,<base64 HMAC-SHA256>`. */
export function signWebhook(input: WebhookSigningInput): string {
  return `v1,${hmac(input.id, String(input.timestamp), input.body, secretKey(input.secret)).toString('base64')}`;
}

/**
 * Verifies a received webhook. Throws KeelError `signature_invalid` naming what was wrong
 * (a missing header, a timestamp outside the window, no matching signature); never reveals the
 * expected signature or the secret.
 */
export function verifyWebhook(input: WebhookVerifyInput): VerifiedWebhook {
  const id = header(input.headers, 'webhook-id');
  const timestampText = header(input.headers, 'webhook-timestamp');
  const signatures = header(input.headers, 'webhook-signature');

  if (!/^\d{1,15}$/.test(timestampText)) {
    throw invalid('webhook-timestamp is not a whole number of seconds');
  }
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const tolerance = input.toleranceSeconds ?? defaultToleranceSeconds;
  // Both directions: a timestamp far in the future would otherwise stay replayable for long.
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw invalid(`webhook-timestamp is outside the tolerance of ${tolerance} seconds`);
  }

  const expected = hmac(id, timestampText, input.body, secretKey(input.secret));
  // Every candidate is compared (no early exit) so timing does not tell which entry matched.
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue; // other schemes (e.g. v1a) are not ours
    const candidate = Buffer.from(entry.slice(comma + 1), 'base64');
    // timingSafeEqual needs equal lengths; a different length can never match anyway.
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
  }
  if (!matched) throw invalid('no matching signature in webhook-signature');
  return { id, timestamp };
}

function hmac(id: string, timestamp: string, body: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest();
}

/** The key bytes: the base64 part of `whsec_...`, otherwise the string's UTF-8 bytes. */
function secretKey(secret: string): Buffer {
  if (secret.startsWith(secretPrefix)) {
    const encoded = secret.slice(secretPrefix.length);
    // Buffer.from silently skips bad characters, which would sign with a different key than meant.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
      throw new KeelError('invalid_input', 'webhook secret starts with whsec_ but the rest is not base64', {
        hint: 'Use the secret exactly as issued, or a plain string without the whsec_ prefix.',
      });
    }
    return Buffer.from(encoded, 'base64');
  }
  if (secret.length === 0) throw new KeelError('invalid_input', 'webhook secret is empty');
  return Buffer.from(secret, 'utf8');
}

function header(headers: WebhookVerifyInput['headers'], name: string): string {
  let value: string | string[] | undefined = headers[name];
  if (value === undefined) {
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    value = key === undefined ? undefined : headers[key];
  }
  const text = Array.isArray(value) ? value.join(' ') : value;
  if (text === undefined || text.trim() === '') throw invalid(`missing header ${name}`);
  return text.trim();
}

function invalid(message: string): KeelError {
  return new KeelError('signature_invalid', message, { retriable: false });
}
