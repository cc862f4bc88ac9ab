// One open event stream (GET /api/events): `ready` once the feed has its starting mark, then a
// `run` or `review` event for each change the person may see, and a keep-alive comment so proxies
// do not close an idle connection. Each stream queues on its own, so a slow reader delays nobody
// else; one that falls too far behind is ended and reconnects (EventSource does so by itself).
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ApiEnv } from '../contract/index.js';
import type { Change, ChangeFeed } from './feed.js';

export interface EventStreamOptions {
  /** Between keep-alive comments; 15 s by default. */
  keepAliveMs?: number;
  /**
   * A stream ends after this long (10 minutes by default) and the browser reconnects, which checks
   * the person's credentials and rights again: a revoked session stops receiving within that time.
   */
  maxStreamMs?: number;
  logError(message: string, error: unknown): void;
}

/** Changes a stream may hold unsent before it is ended as too slow. */
const maxQueued = 2_000;
/** How long the browser waits before reconnecting after a stream ends. */
const reconnectMs = 2_000;

/** What a change says on the wire: runs carry their stage, reviews their run. */
function payload(change: Change): Record<string, unknown> {
  const { kind: _kind, ...rest } = change;
  return rest;
}

export function streamChanges(c: Context<ApiEnv>, feed: ChangeFeed, options: EventStreamOptions): Response {
  const access = c.get('access');
  // Rights are those of the request that opened the stream; one answer per workflow and kind.
  const allowed = new Map<string, boolean>();
  const maySee = (change: Change) => {
    const permission = change.kind === 'run' ? 'runs:read' : 'reviews:read';
    const key = `${permission} ${change.workflow_id}`;
    let yes = allowed.get(key);
    if (yes === undefined) {
      yes = access.can(permission, change.workflow_id);
      allowed.set(key, yes);
    }
    return yes;
  };
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxStreamMs = options.maxStreamMs ?? 10 * 60_000;

  return streamSSE(c, async (stream) => {
    const queue: Change[] = [];
    let ended = false;
    let keepAliveDue = false;
    let wake = () => {};
    const end = () => {
      ended = true;
      wake();
    };
    // The client went away (the response body was cancelled, or the connection closed).
    stream.onAbort(end);
    c.req.raw.signal.addEventListener('abort', end, { once: true });
    let unsubscribe = () => {};
    const keepAlive = setInterval(() => {
      keepAliveDue = true;
      wake();
    }, keepAliveMs);
    const lifetime = setTimeout(end, maxStreamMs);
    try {
      unsubscribe = await feed.subscribe({
        deliver(changes) {
          for (const change of changes) if (maySee(change)) queue.push(change);
          if (queue.length > maxQueued) end();
          wake();
        },
        end() {
          end();
          // A write blocked on a client that does not read would hold the server's stop: abort it.
          stream.abort();
        },
      });
      await stream.writeSSE({ event: 'ready', data: '{}', retry: reconnectMs });
      while (!ended && !stream.aborted) {
        if (queue.length === 0 && !keepAliveDue) await new Promise<void>((resolve) => (wake = resolve));
        for (const change of queue.splice(0)) {
          if (ended) break;
          await stream.writeSSE({ event: change.kind, data: JSON.stringify(payload(change)) });
        }
        if (keepAliveDue && !ended) {
          keepAliveDue = false;
          await stream.write(': keep-alive\n\n');
        }
      }
    } catch (error) {
      // The feed could not start (the database is down): the stream ends and the browser retries.
      options.logError('event stream failed', error);
    } finally {
      clearInterval(keepAlive);
      clearTimeout(lifetime);
      unsubscribe();
    }
  });
}
