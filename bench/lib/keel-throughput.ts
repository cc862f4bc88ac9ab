// Sustained throughput of Keel: a backlog of runs of a 3-step no-op transform workflow (every
// attempt persisted) is enqueued through startRun, then workers drain it. On PostgreSQL the
// workers are separate `keel worker`-like processes; on PGlite one process does everything.
import { migrate, openPostgres, type Db } from '../../src/db/index.js';
import { randomBytes } from 'node:crypto';
import { startRun } from '../../src/engine/index.js';
import { resolveDeployment } from '../../src/registry/index.js';
import { createTracer, type Tracer } from '../../src/observe/index.js';
import { spawnBenchChild } from './children.js';
import { cpuWindow, type CpuUse } from './cpu.js';
import { createPostgresDatabase, openBenchDatabase } from './databases.js';
import { candidateClaimSql, explainOnce, explainStatement, type Explained } from './explain.js';
import { labels, type StatementStats } from './timed-db.js';
import { timeDb } from './timed-db.js';
import { sleep } from './stats.js';
import { benchEngine, chainWorkflow, deploy, waitForIdle } from './workflows.js';

export const throughputSteps = 3;

/** CPU over a pass, in percent of one core (the machine has two). */
export interface PassCpu {
  machineBusyPct: number;
  /** PostgreSQL backends of this pass's database plus the server's background processes (0 on PGlite). */
  postgresPct: number;
  workersPct: number[];
  /** Other work on the machine during the pass. */
  otherPct: number;
}

export function passCpu(used: CpuUse): PassCpu {
  return { machineBusyPct: used.machineBusyPct, postgresPct: used.postgresOwnPct ?? 0, workersPct: Object.values(used.pids), otherPct: used.otherPct };
}

/** "machine / postgres / workers / other" for tables. */
export function formatCpu(c: PassCpu): string {
  return `${c.machineBusyPct} / ${c.postgresPct} / ${c.workersPct.join(' + ')} / ${c.otherPct}`;
}
export const cpuHeader = 'CPU % of a core: machine / postgres (this db) / workers / other work';

export interface ThroughputPass {
  database: 'postgres' | 'pglite';
  /** With the tracer running beside the workers: the spans stored once it caught up, and how long that took after the drain. */
  traced?: { spans: number; catchUpMs: number };
  runs: number;
  processes: number;
  concurrency: number;
  poolSize: number;
  enqueueRunsPerSec: number;
  /** Runs / (last finished_at - first started_at), database clock. */
  runsPerSec: number;
  /** Runs / wall time from "go" until the poller saw no run left (includes up to one poll interval). */
  wallRunsPerSec: number;
  succeeded: number;
  cpu: PassCpu;
  wal?: { syncsPerRun: number; recordsPerRun: number; bytesPerRun: number };
  /** Share of UPDATEs of runs that were HOT (no index entries written), PostgreSQL only. */
  runsHotUpdatePct?: number;
  /** A 10 ms interval timer: ticks seen during the drain over ticks expected (PGlite: is the event loop served?). */
  timerTicks?: { seen: number; expected: number };
  statements?: StatementStats[];
}

/**
 * Enqueues `n` queued runs of the version deployed at production with one statement per 1,000:
 * the same row insertRun writes (the trigger path itself is measured by trigger-latency and
 * durability). Workers are not running yet, so no notification is needed.
 */
export async function bulkEnqueue(db: Db, workflowId: string, n: number): Promise<number> {
  const t0 = performance.now();
  const { version } = await resolveDeployment(db, workflowId, 'production');
  const firstStep = version.definition.steps[0]!.id;
  for (let done = 0; done < n; done += 1_000) {
    const ids = Array.from({ length: Math.min(1_000, n - done) }, () => `run_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`);
    await db.query(
      `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input, current_step)
       SELECT id, $2, $3, 'production', 'queued', 'manual', jsonb_build_object('n', ord), $4 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)`,
      [ids, workflowId, version.id, firstStep],
    );
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Enqueues `n` runs through the real trigger path (startRun), `parallel` at a time. */
export async function enqueueRuns(db: Db, workflowId: string, n: number, parallel: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      next++;
      await startRun(db, { workflowId, stage: 'production', trigger: 'manual', input: { n: next } });
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

async function drainStats(db: Db): Promise<{ succeeded: number; spanMs: number }> {
  const r = await db.query<{ succeeded: number; span: number }>(
    `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
       extract(epoch FROM (max(finished_at) - min(started_at))) * 1000 AS span FROM runs`,
  );
  return { succeeded: r.rows[0]!.succeeded, spanMs: Number(r.rows[0]!.span) };
}

interface WalStats { wal_records: number; wal_bytes: number; wal_sync: number }
async function walStats(db: Db): Promise<WalStats> {
  const r = await db.query<WalStats>(`SELECT wal_records, wal_bytes::float8 AS wal_bytes, wal_sync FROM pg_stat_wal`);
  return r.rows[0]!;
}

/** The tracer as `keel serve` runs it (one-second ticks, two seconds' settling), in the bench process. */
function benchTracer(db: Db): Tracer {
  return createTracer({
    db, tickMs: 1_000, batch: 200, settleMs: 2_000, onError: (m, e) => console.error(m, e),
  });
}

/** Spans stored once the tracer has caught up with every run, and how long catching up took after the drain. */
async function tracedSpans(db: Db): Promise<{ spans: number; catchUpMs: number }> {
  const t0 = performance.now();
  const catchUp = createTracer({
    db, tickMs: 1_000, batch: 1_000, settleMs: 0, onError: (m, e) => console.error(m, e),
  });
  await catchUp.drain();
  const catchUpMs = performance.now() - t0;
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM spans`);
  return { spans: r.rows[0]!.n, catchUpMs };
}

/** Worker pool size for a concurrency: graphile-worker's advice (concurrency + 2, at least 10), used for both. */
export const poolFor = (concurrency: number) => Math.max(10, concurrency + 2);

/**
 * One pass on a new PostgreSQL database (or on `url`, which must hold no runs yet; it is then kept).
 */
export async function postgresPass(options: { runs: number; processes: number; concurrency: number; poolSize: number; profile?: boolean; url?: string; tracer?: boolean }): Promise<ThroughputPass> {
  const created = options.url ? { url: options.url, drop: async () => {} } : await createPostgresDatabase();
  const db = await openPostgres({ url: created.url, poolSize: 16 });
  const children: ReturnType<typeof spawnBenchChild>[] = [];
  try {
    await migrate(db);
    await deploy(db, chainWorkflow('three', throughputSteps));
    const enqueueRunsPerSec = await bulkEnqueue(db, 'three', options.runs);
    for (let i = 0; i < options.processes; i++) {
      children.push(spawnBenchChild('keel-worker', {
        DATABASE_URL: created.url, BENCH_CONCURRENCY: String(options.concurrency), BENCH_POOL_SIZE: String(options.poolSize),
        BENCH_PROFILE: options.profile ? '1' : '0',
      }));
    }
    await Promise.all(children.map((c) => c.next('ready')));
    const wal0 = await walStats(db);
    const cpu = cpuWindow(Object.fromEntries(children.map((c, i) => [`w${i}`, c.pid])), created.url);
    const tracer = options.tracer ? benchTracer(db) : undefined;
    await tracer?.start();
    const t0 = performance.now();
    for (const c of children) c.send({ type: 'go' });
    await waitForIdle(db, 110_000, 20);
    const wallMs = performance.now() - t0;
    const used = await cpu.end();
    await tracer?.stop();
    const wal1 = await walStats(db);
    for (const c of children) c.send({ type: 'stop' });
    const stopped = await Promise.all(children.map((c) => c.next('stopped')));
    const { succeeded, spanMs } = await drainStats(db);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // backends flush their table statistics about once a second
    const hot = await db.query<{ upd: number; hot: number }>(`SELECT n_tup_upd::float8 AS upd, n_tup_hot_upd::float8 AS hot FROM pg_stat_user_tables WHERE relname = 'runs'`);
    const statements = options.profile ? mergeStatements(stopped.map((s) => s.statements as StatementStats[])) : undefined;
    const traced = tracer ? await tracedSpans(db) : undefined;
    return {
      traced,
      database: 'postgres', runs: options.runs, processes: options.processes, concurrency: options.concurrency, poolSize: options.poolSize,
      enqueueRunsPerSec, runsPerSec: options.runs / (spanMs / 1000), wallRunsPerSec: options.runs / (wallMs / 1000), succeeded,
      cpu: passCpu(used),
      wal: {
        syncsPerRun: (wal1.wal_sync - wal0.wal_sync) / options.runs,
        recordsPerRun: (wal1.wal_records - wal0.wal_records) / options.runs,
        bytesPerRun: (wal1.wal_bytes - wal0.wal_bytes) / options.runs,
      },
      statements,
      runsHotUpdatePct: hot.rows[0] && hot.rows[0].upd > 0 ? Math.round((hot.rows[0].hot / hot.rows[0].upd) * 100) : undefined,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await db.close();
    await created.drop();
  }
}

export async function pglitePass(options: { runs: number; concurrency: number; tracer?: boolean }): Promise<ThroughputPass> {
  const bench = await openBenchDatabase('pglite');
  const db = timeDb(bench.db);
  try {
    await deploy(db, chainWorkflow('three', throughputSteps));
    const enqueueRunsPerSec = await bulkEnqueue(db, 'three', options.runs);
    db.reset();
    const engine = benchEngine(db, { concurrency: options.concurrency });
    const cpu = cpuWindow({});
    const t0 = performance.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const tracer = options.tracer ? benchTracer(db) : undefined;
    await tracer?.start();
    await engine.startWorkers();
    await waitForIdle(db, 110_000, 50);
    const wallMs = performance.now() - t0;
    clearInterval(ticker);
    const used = await cpu.end();
    await tracer?.stop();
    await engine.stop();
    if (engine.errors.length) console.error('engine errors', engine.errors.slice(0, 3));
    const statements = db.report();
    const { succeeded, spanMs } = await drainStats(db);
    const traced = tracer ? await tracedSpans(db) : undefined;
    return {
      traced,
      database: 'pglite', runs: options.runs, processes: 1, concurrency: options.concurrency, poolSize: 1,
      enqueueRunsPerSec, runsPerSec: options.runs / (spanMs / 1000), wallRunsPerSec: options.runs / (wallMs / 1000), succeeded,
      cpu: { ...passCpu(used), workersPct: [used.benchPct] },
      statements,
      timerTicks: { seen: ticks, expected: Math.floor(wallMs / 10) },
    };
  } finally {
    await bench.dispose();
  }
}

const claimLabel = labels.claim;

/**
 * Plans of the hot statements with a backlog of `backlog` queued runs: the claim at its first use
 * (the whole backlog queued) next to a candidate index-ordered claim with the same parameters, and
 * the step statements at their 20th use.
 */
export async function explainHotStatements(kind: 'postgres' | 'pglite', backlog = 5_000): Promise<Explained[]> {
  const bench = await openBenchDatabase(kind);
  try {
    await deploy(bench.db, chainWorkflow('three', throughputSteps));
    await bulkEnqueue(bench.db, 'three', backlog);
    await bench.db.query('ANALYZE runs'); // as autovacuum would soon after a burst; both claims get real estimates
    const { db, explained, done } = explainOnce(
      bench.db,
      { [claimLabel]: 1, [labels.complete]: 20, [labels.history]: 5 },
      async (label, _sql, params) => {
        if (label !== claimLabel) return [];
        const candidate = `candidate index-ordered claim (bench only, same parameters)`;
        await explainStatement(bench.db, candidate, candidateClaimSql, params);
        return [await explainStatement(bench.db, candidate, candidateClaimSql, params)];
      },
    );
    const engine = benchEngine(db, { concurrency: 32 });
    await engine.startWorkers();
    // A statement this engine version does not send is never explained; stop waiting after a while.
    await Promise.race([done, sleep(20_000)]);
    await engine.stop();
    return explained;
  } finally {
    await bench.dispose();
  }
}

/** Adds up the statement timings reported by several processes (percentiles: the worst process's). */
function mergeStatements(lists: StatementStats[][]): StatementStats[] {
  const byLabel = new Map<string, StatementStats>();
  for (const list of lists) {
    for (const s of list) {
      const seen = byLabel.get(s.label);
      if (!seen) {
        byLabel.set(s.label, { ...s });
        continue;
      }
      seen.mean = (seen.mean * seen.n + s.mean * s.n) / (seen.n + s.n);
      seen.n += s.n;
      seen.totalMs += s.totalMs;
      seen.p50 = Math.max(seen.p50, s.p50);
      seen.p95 = Math.max(seen.p95, s.p95);
      seen.p99 = Math.max(seen.p99, s.p99);
      seen.max = Math.max(seen.max, s.max);
    }
  }
  return [...byLabel.values()].sort((a, b) => b.totalMs - a.totalMs);
}
