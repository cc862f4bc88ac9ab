import { Cron } from 'croner';
import type { Db } from '../db/index.js';
import { getVersionById } from '../registry/index.js';
import { coerceError } from '../errors.js';
import { checkInput } from './triggers.js';
import { insertRun } from './run-store.js';

// Shared by every Keel process on one database: whoever holds it fires the schedules.
const schedulerLockKey = 7_346_002;

export interface Scheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Fires every due schedule once; exported for tests and for the leader loop. */
  tick(now?: Date): Promise<number>;
}

interface DueSchedule {
  workflow_id: string;
  stage: string;
  trigger_index: number;
  cron: string;
  timezone: string | null;
  input: unknown;
  next_fire_at: Date;
  version_id: string;
  paused: boolean;
}

/**
 * One leader (advisory lock) fires schedules. Each tick's run carries a dedupe key made of the
 * trigger and the tick time, so even two leaders (a lock lost mid-tick) make one run per tick.
 */
export function createScheduler(db: Db, options: { tickMs: number; onError(message: string, error: unknown): void }): Scheduler {
  let timer: NodeJS.Timeout | undefined;
  let release: (() => Promise<void>) | null = null;
  let stopped = true;

  async function tick(now = new Date()): Promise<number> {
    return db.transaction(async (tx) => {
      const due = await tx.query<DueSchedule>(
        `SELECT s.*, d.version_id, d.paused FROM schedules s
         JOIN deployments d ON d.workflow_id = s.workflow_id AND d.stage = s.stage
         WHERE s.next_fire_at <= $1 ORDER BY s.next_fire_at FOR UPDATE OF s SKIP LOCKED`, [now],
      );
      let fired = 0;
      for (const s of due.rows) {
        const next = new Cron(s.cron, { paused: true, timezone: s.timezone ?? undefined }).nextRun(now);
        await tx.query(`UPDATE schedules SET next_fire_at = $4 WHERE workflow_id = $1 AND stage = $2 AND trigger_index = $3`,
          [s.workflow_id, s.stage, s.trigger_index, next ?? new Date('9999-12-31')]);
        // A paused stage skips its ticks, whatever its on_pause.triggers says: a tick missed while
        // paused is not replayed after the resume (the next tick fires as usual), so a long pause
        // never releases a burst of stale ticks at once.
        if (s.paused) continue;
        const version = await getVersionById(tx, s.version_id);
        try {
          checkInput(version, s.input);
        } catch (error) {
          options.onError(`schedule ${s.workflow_id}/${s.stage}#${s.trigger_index} input breaks the contract`, error);
          continue;
        }
        const created = await insertRun(tx, {
          workflowId: s.workflow_id, versionId: s.version_id, stage: s.stage as never, trigger: 'schedule', input: s.input,
          firstStep: version.definition.steps[0]?.id ?? null,
          dedupeKey: `schedule:${s.trigger_index}:${s.next_fire_at.toISOString()}`,
        });
        if (!created.deduplicated) fired++;
      }
      return fired;
    });
  }

  async function loop(): Promise<void> {
    if (stopped) return;
    try {
      release ??= await db.tryLeaderLock(schedulerLockKey);
      if (release) await tick();
    } catch (error) {
      options.onError('scheduler tick failed', coerceError(error));
    }
    if (!stopped) timer = setTimeout(() => void loop(), options.tickMs);
  }

  return {
    tick,
    async start() {
      stopped = false;
      await loop();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await release?.();
      release = null;
    },
  };
}
