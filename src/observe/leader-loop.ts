// A background job one process does at a time: it takes an advisory lock (kept while the process
// lives), runs `tick` every `tickMs` from its start, and reports errors instead of throwing into
// nowhere. Stopping waits for a tick in progress, so nothing writes after stop() returns.
import type { Db } from '../db/index.js';

export interface LeaderLoop {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLeaderLoop(options: {
  db: Db; lockKey: number; tickMs: number; name: string;
  tick(): Promise<unknown>;
  onError(message: string, error: unknown): void;
}): LeaderLoop {
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let release: (() => Promise<void>) | null = null;
  let running: Promise<void> = Promise.resolve();

  const once = async (): Promise<void> => {
    try {
      release ??= await options.db.tryLeaderLock(options.lockKey);
      if (release && !stopped) await options.tick();
    } catch (error) {
      options.onError(`${options.name} failed`, error);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = once().then(schedule);
    }, options.tickMs);
  };
  return {
    // The first tick starts at once but is not waited for: a backlog to trace or spans to prune
    // after downtime must not hold up the process's start.
    async start() {
      if (!stopped) return;
      stopped = false;
      running = once().then(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await release?.();
      release = null;
    },
  };
}
