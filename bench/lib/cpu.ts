// CPU time of processes from /proc (Linux): who used the two cores during a benchmark. PostgreSQL
// is shared with other work on this machine, so its CPU is split into the backends of the
// benchmark's own database (plus the server's background processes) and everything else.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const ticksPerSecond = 100; // USER_HZ on Linux

/** User + system CPU milliseconds of one process (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** CPU milliseconds of every live process named `postgres` (server and backends), by pid. */
export function postgresCpuByPid(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      out.set(Number(entry), processCpuMs(Number(entry)));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Whole-machine busy and total CPU milliseconds (all cores) from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: ((total - idle) * 1000) / ticksPerSecond, total: (total * 1000) / ticksPerSecond };
}

export interface CpuUse {
  wallMs: number;
  /** Percent of one core (the machine has 2, so up to 200). */
  machineBusyPct: number;
  /** Every postgres process. */
  postgresPct: number;
  /** Backends connected to the benchmark's database plus the server's background processes. */
  postgresOwnPct?: number;
  pids: Record<string, number>;
  /** This process. */
  benchPct: number;
  /** Busy CPU not accounted for by this benchmark's processes and database: other work on the machine. */
  otherPct: number;
}

/** The pids of the backends of one database and of the server's background processes. */
async function ownPostgresPids(url: string): Promise<Set<number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR backend_type <> 'client backend'`,
    );
    return new Set(r.rows.map((x) => x.pid));
  } finally {
    await c.end();
  }
}

/**
 * Starts measuring CPU use of the machine, the PostgreSQL processes and the given pids (this
 * process is always included as `bench`). With `databaseUrl`, PostgreSQL CPU is also split into the
 * benchmark's own share.
 */
export function cpuWindow(pids: Record<string, number>, databaseUrl?: string): { end(): Promise<CpuUse> } {
  const all = { bench: process.pid, ...pids };
  const t0 = performance.now();
  const m0 = machineCpuMs();
  const pg0 = postgresCpuByPid();
  const p0 = Object.fromEntries(Object.entries(all).map(([k, pid]) => [k, processCpuMs(pid)]));
  return {
    async end() {
      const wallMs = performance.now() - t0;
      const m1 = machineCpuMs();
      const pg1 = postgresCpuByPid();
      const pct = (ms: number) => Math.round((ms / wallMs) * 100);
      let postgresMs = 0;
      for (const [pid, ms] of pg1) postgresMs += ms - (pg0.get(pid) ?? 0);
      let ownMs: number | undefined;
      if (databaseUrl) {
        ownMs = 0;
        for (const pid of await ownPostgresPids(databaseUrl)) ownMs += (pg1.get(pid) ?? 0) - (pg0.get(pid) ?? 0);
      }
      const used = Object.fromEntries(Object.entries(all).map(([k, pid]) => [k, processCpuMs(pid) - (p0[k] ?? 0)]));
      const mine = Object.values(used).reduce((s, v) => s + v, 0) + (ownMs ?? postgresMs);
      return {
        wallMs,
        machineBusyPct: pct(m1.busy - m0.busy),
        postgresPct: pct(postgresMs),
        postgresOwnPct: ownMs === undefined ? undefined : pct(ownMs),
        pids: Object.fromEntries(Object.entries(used).filter(([k]) => k !== 'bench').map(([k, v]) => [k, pct(v)])),
        benchPct: pct(used.bench ?? 0),
        otherPct: Math.max(0, pct(m1.busy - m0.busy - mine)),
      };
    },
  };
}
