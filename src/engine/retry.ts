import { parseDuration, type RetrySpec } from '../spec/index.js';

/**
 * Exponential backoff with jitter: base * 2^(attempt-1), capped, then a random 50-100 % of it so
 * runs that failed together do not retry together. A target's Retry-After wins when it is longer.
 */
export function retryDelay(retry: RetrySpec, attempt: number, retryAfterMs?: number, random = Math.random): number {
  const base = parseDuration(retry.backoff);
  const cap = parseDuration(retry.max_backoff);
  const exponential = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (0.5 + random() * 0.5);
  return Math.max(jittered, retryAfterMs ?? 0);
}
