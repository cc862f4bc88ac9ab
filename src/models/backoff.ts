// Waiting between tries of the same model: how long, and the default way to wait. The router takes
// an injected sleep so tests (and a future durable retry that parks the run instead of a worker)
// can replace the wait without touching the policy.

import type { LanguageModelConfig } from '../config/index.js';
import type { ClassifiedFailure } from './errors/classify-error.js';

/**
 * The wait before trying the same model again: what the provider asked for on a 429 (never longer
 * than maxBackoffMs, so a provider cannot park a run for an hour), else backoffMs doubled per
 * failure so far, capped the same way. No jitter: runs already retry independently of each other,
 * and a deterministic wait is what an operator can read back from the attempt records.
 */
export function retryDelay(
  retries: LanguageModelConfig['retries'],
  failuresSoFar: number,
  failure: Pick<ClassifiedFailure, 'retryAfterMs'>,
): number {
  if (failure.retryAfterMs !== null) return Math.min(failure.retryAfterMs, retries.maxBackoffMs);
  return Math.min(retries.backoffMs * 2 ** Math.max(0, failuresSoFar - 1), retries.maxBackoffMs);
}

/** A timer that rejects with the signal's reason as soon as it aborts, so a cancelled run never waits. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as unknown);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
