// The machine is shared (tests of other work may run on it). Before measuring, wait a bounded time
// for the other load to drop, and record how busy the machine was, so a figure can be read for what
// it is.
import { cpuWindow, machineCpuMs } from './cpu.js';
import { sleep } from './stats.js';

/** Percent of the whole machine (all cores = 100) busy over `windowMs`. */
export async function machineBusyPct(windowMs = 1_000): Promise<number> {
  const a = machineCpuMs();
  await sleep(windowMs);
  const b = machineCpuMs();
  return Math.round(((b.busy - a.busy) / (b.total - a.total)) * 100);
}

/**
 * Waits until the machine is under `belowPct` busy (sampled each second), at most `maxWaitMs`.
 * Returns the last sample: the background load the benchmark starts on.
 */
export async function waitForQuiet(belowPct = Number(process.env.BENCH_QUIET_PCT ?? 15), maxWaitMs = Number(process.env.BENCH_QUIET_WAIT_MS ?? 120_000)): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let quietInARow = 0;
  for (;;) {
    const busy = await machineBusyPct();
    quietInARow = busy < belowPct ? quietInARow + 1 : 0;
    if (quietInARow >= 3 || Date.now() >= deadline) {
      if (busy >= belowPct) console.warn(`machine still ${busy}% busy with other work; measuring anyway`);
      return busy;
    }
  }
}

/**
 * Measures the CPU that other work used while `fn` ran (% of one core): machine busy time minus this
 * process, the given child pids and every PostgreSQL process (so other work's use of the shared
 * PostgreSQL server counts as ours: a lower bound).
 */
export async function otherWorkDuring<T>(fn: () => Promise<T>, pids: Record<string, number> = {}): Promise<{ value: T; otherPct: number }> {
  const window = cpuWindow(pids);
  const value = await fn();
  const used = await window.end();
  return { value, otherPct: used.otherPct };
}
