import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/index.js';
import { executeRun, type ExecutorDeps } from './executor.js';
import { claimRuns, nextReadyAt } from './lease.js';
import { runsChannel } from './run-store.js';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  onError(message: string, error: unknown): void;
}

export interface Worker {
  readonly id: string;
  start(): Promise<void>;
  /** Stops claiming; waits for runs in hand to reach their next stored state. */
  stop(): Promise<void>;
  /** Runs this worker holds right now. */
  readonly active: number;
}

/**
 * Claims runs with SKIP LOCKED and executes up to `concurrency` at once. It sleeps until a NOTIFY
 * (new or woken run), a freed slot, the next known ready time (retry back-off, expired lease), or
 * the fallback poll, whichever comes first: no fast polling.
 */
export function createWorker(db: Db, executor: ExecutorDeps, options: WorkerOptions): Worker {
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let pending = false;
  let unlisten: (() => Promise<void>) | undefined;

  const poke = () => {
    pending = true;
    wake?.();
  };

  async function sleep(): Promise<void> {
    if (pending) return;
    let ms = options.pollMs;
    if (inFlight.size < options.concurrency) {
      const at = await nextReadyAt(db);
      if (at) ms = Math.max(0, Math.min(ms, at.getTime() - Date.now() + 5));
    }
    if (pending || ms === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = undefined;
  }

  async function run(): Promise<void> {
    while (running) {
      pending = false;
      const free = options.concurrency - inFlight.size;
      if (free > 0) {
        try {
          const claimed = await claimRuns(db, id, free, options.leaseMs);
          for (const r of claimed) {
            const p = executeRun(executor, r).finally(() => {
              inFlight.delete(p);
              poke();
            });
            inFlight.add(p);
          }
          if (claimed.length === free) continue;
        } catch (error) {
          options.onError('claiming runs failed', error);
        }
      }
      try {
        await sleep();
      } catch (error) {
        options.onError('worker wait failed', error);
        await new Promise((r) => setTimeout(r, options.pollMs));
      }
    }
  }

  return {
    id,
    get active() {
      return inFlight.size;
    },
    async start() {
      if (running) return;
      running = true;
      unlisten = await db.listen(runsChannel, poke);
      loop = run();
    },
    async stop() {
      running = false;
      poke();
      await loop;
      await unlisten?.();
      await Promise.allSettled([...inFlight]);
    },
  };
}
