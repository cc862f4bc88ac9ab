// Side by side on the same PostgreSQL database: Keel draining runs of 3 no-op transform steps
// (each step a fenced, persisted transition) against graphile-worker draining the same number of
// trivial jobs, unbatched, with the same process count, concurrency and pool size. The figure is
// Keel step transitions/s over graphile-worker jobs/s.
import { makeWorkerUtils, runMigrations, Logger } from 'graphile-worker';
import pg from 'pg';
import { spawnBenchChild } from './lib/children.js';
import { cpuWindow } from './lib/cpu.js';
import { createPostgresDatabase } from './lib/databases.js';
import { cpuHeader, formatCpu, passCpu, poolFor, postgresPass, throughputSteps, type PassCpu } from './lib/keel-throughput.js';
import { waitForQuiet } from './lib/quiet.js';
import { loadResults, saveResult, table, type Figure } from './lib/results.js';
import { rate, sleep } from './lib/stats.js';

const fromThroughput = loadResults().find((r) => r.name === 'throughput-postgres')?.data as { bestConcurrency?: number } | undefined;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? fromThroughput?.bestConcurrency ?? 16);
const runs = Number(process.env.BENCH_PG_RUNS ?? 5_000);
const jobs = runs * throughputSteps;
const processes = 2;
const poolSize = poolFor(concurrency);
const quiet = new Logger(() => () => {});

async function graphilePass(url: string): Promise<{ jobsPerSec: number; cpu: PassCpu }> {
  await runMigrations({ connectionString: url, logger: quiet });
  const children = Array.from({ length: processes }, () => spawnBenchChild('graphile-worker', {
    DATABASE_URL: url, BENCH_CONCURRENCY: String(concurrency), BENCH_POOL_SIZE: String(poolSize),
  }));
  const utils = await makeWorkerUtils({ connectionString: url, logger: quiet });
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    await Promise.all(children.map((c) => c.next('ready')));
    const cpu = cpuWindow(Object.fromEntries(children.map((c, i) => [`w${i}`, c.pid])), url);
    // One batch, one commit: the jobs appear at once and the idle workers are woken by NOTIFY.
    await utils.addJobs(Array.from({ length: jobs }, (_, i) => ({ identifier: 'noop', payload: { n: i } })));
    const t0 = performance.now();
    for (;;) {
      const r = await watcher.query<{ n: number }>(`SELECT count(*)::int AS n FROM graphile_worker.jobs`);
      if (r.rows[0]!.n === 0) break;
      if (performance.now() - t0 > 110_000) throw new Error(`graphile-worker still has ${r.rows[0]!.n} jobs`);
      await sleep(20);
    }
    const wallMs = performance.now() - t0;
    return { jobsPerSec: jobs / (wallMs / 1000), cpu: passCpu(await cpu.end()) };
  } finally {
    for (const c of children) c.send({ type: 'stop' });
    await Promise.all(children.map((c) => c.next('stopped', 10_000).catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop()));
    await utils.release();
    await watcher.end();
  }
}

const began = Date.now();
const background = await waitForQuiet();
const created = await createPostgresDatabase();
try {
  const keel = await postgresPass({ runs, processes, concurrency, poolSize, url: created.url });
  const keelSteps = keel.runsPerSec * throughputSteps;
  const gw = await graphilePass(created.url);
  const ratio = keelSteps / gw.jobsPerSec;
  const setting = `${processes} processes x concurrency ${concurrency}, pool ${poolSize}; ${runs} Keel runs (${jobs} steps) vs ${jobs} jobs`;
  const target = 'Keel vs graphile-worker';
  const figures: Figure[] = [
    { target, database: 'postgres', metric: 'Keel step transitions/s', value: rate(keelSteps, 'steps/s'), aim: '', met: null, setting },
    { target, database: 'postgres', metric: 'graphile-worker jobs/s (unbatched)', value: rate(gw.jobsPerSec, 'jobs/s'), aim: '', met: null, setting },
    { target, database: 'postgres', metric: 'ratio Keel steps/s : graphile jobs/s', value: ratio.toFixed(2), aim: '>= 0.5', met: ratio >= 0.5, setting },
  ];
  const perUnit = (c: PassCpu, unitsPerSec: number) => `${(((c.postgresPct + c.workersPct.reduce((a, b) => a + b, 0)) / 100) * 1000 / unitsPerSec).toFixed(2)} ms`;
  const details = table(['system', 'units/s', cpuHeader, 'CPU per unit (postgres + workers)'], [
    ['Keel (runs/s x 3 steps)', `${rate(keelSteps, 'steps/s')} (${rate(keel.runsPerSec, 'runs/s')})`, formatCpu(keel.cpu), perUnit(keel.cpu, keelSteps)],
    ['graphile-worker', rate(gw.jobsPerSec, 'jobs/s'), formatCpu(gw.cpu), perUnit(gw.cpu, gw.jobsPerSec)],
  ]);
  saveResult({ name: 'graphile-compare', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: Math.max(keel.cpu.otherPct, gw.cpu.otherPct) });
} finally {
  await created.drop();
}
