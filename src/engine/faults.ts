import { writeSync } from 'node:fs';

/** Where a worker can be made to die on purpose, to prove the durability guarantees. */
export type FaultPoint = 'before-effect' | 'before-call' | 'after-call' | 'after-commit';

export interface Faults {
  hit(point: FaultPoint, stepId: string): void;
}

/**
 * Armed from configuration (`KEEL_FAULTS=after-call:notify`) in test child processes only. A fired
 * point first writes one line to stderr, so the test can check that the point it armed really fired,
 * then kills this process (SIGKILL) or freezes it (SIGSTOP, for `stop@point`).
 */
export function createFaults(armed: readonly string[]): Faults {
  if (armed.length === 0) return { hit() {} };
  return {
    hit(point, stepId) {
      for (const entry of armed) {
        const stop = entry.startsWith('stop@');
        const spec = stop ? entry.slice(5) : entry;
        const [name, step] = spec.split(':');
        if (name !== point || (step !== undefined && step !== stepId)) continue;
        writeSync(2, `KEEL_FAULT_FIRED ${point}:${stepId}${stop ? ' stop' : ''}\n`);
        process.kill(process.pid, stop ? 'SIGSTOP' : 'SIGKILL');
      }
    },
  };
}
