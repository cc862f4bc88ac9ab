// Webhook accept latency at a fixed rate: Keel (startKeel with HTTP, workers and scheduler, as
// `keel serve` runs) on loopback with a signed webhook trigger; a separate process sends at a fixed
// schedule (open loop), so latency includes queueing. A second pass with workers off isolates the
// accept path from the run execution that shares the process (and, on PGlite, the one connection).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKeel } from '../src/app.js';
import { loadConfig } from '../src/config/index.js';
import { spawnBenchChild } from './lib/children.js';
import { cpuWindow, type CpuUse } from './lib/cpu.js';
import { createPostgresDatabase, selectedDatabases, tempFolder, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, summarize, type Summary } from './lib/stats.js';
import { chainWorkflow, waitForIdle } from './lib/workflows.js';

const ratePerSec = Number(process.env.BENCH_RATE ?? 200);
const durationSec = Number(process.env.BENCH_DURATION_S ?? 15);
const secret = 'whsec_YmVuY2gtc2VjcmV0LWZvci1rZWVsLXdlYmhvb2tz';

interface Pass {
  kind: DatabaseKind;
  workers: boolean;
  latency: Summary;
  statuses: Record<string, number>;
  lateStarts: number;
  loopDelayP99: number;
  loopDelayMax: number;
  drainMs: number;
  runs: number;
  cpu: CpuUse;
}

async function pass(kind: DatabaseKind, workers: boolean, seconds: number): Promise<Pass> {
  const folder = tempFolder('webhook');
  const workflowsDir = join(folder, 'workflows');
  rmSync(workflowsDir, { recursive: true, force: true });
  await import('node:fs').then((fs) => fs.mkdirSync(workflowsDir, { recursive: true }));
  writeFileSync(join(workflowsDir, 'hook.yaml'), chainWorkflow('hook', 3, { webhookSecretEnv: 'KEEL_BENCH_HOOK_SECRET' }));
  const pgdb = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = loadConfig({
    file: '/nonexistent/keel.yaml',
    env: {
      DATABASE_URL: pgdb?.url, KEEL_DATA_DIR: join(folder, 'data'), KEEL_PORT: '0', KEEL_HOST: '127.0.0.1',
      KEEL_WORKFLOWS_DIR: workflowsDir, KEEL_LOG_LEVEL: 'warn', KEEL_BENCH_HOOK_SECRET: secret, KEEL_GATES_ENFORCE: 'false',
    },
  });
  const keel = await startKeel(config, { http: true, workers, scheduler: true, loadWorkflows: true });
  const sender = spawnBenchChild('webhook-sender', {
    BENCH_URL: `${keel.url}/hooks/hook`, BENCH_RATE: String(ratePerSec), BENCH_DURATION_S: String(seconds), BENCH_SECRET: secret,
  });
  try {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const window = cpuWindow({ sender: sender.pid }, pgdb?.url);
    sender.send({ type: 'go' });
    const done = await sender.next('done', (seconds + 60) * 1000);
    const cpu = await window.end();
    loop.disable();
    const t0 = performance.now();
    if (workers) await waitForIdle(keel.db, 60_000);
    const drainMs = performance.now() - t0;
    const runs = (await keel.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs`)).rows[0]!.n;
    return {
      kind, workers, latency: summarize(done.latencies as number[]), statuses: done.statuses as Record<string, number>,
      lateStarts: done.lateStarts as number, loopDelayP99: loop.percentile(99) / 1e6, loopDelayMax: loop.max / 1e6, drainMs, runs, cpu,
    };
  } finally {
    await sender.stop();
    await keel.stop();
    await pgdb?.drop();
    rmSync(folder, { recursive: true, force: true });
  }
}

const began = Date.now();
const background = await waitForQuiet();
const figures: Figure[] = [];
const rows: Array<Array<string | number>> = [];
const others: number[] = [];
const target = 'Webhook accept latency';
for (const kind of selectedDatabases()) {
  for (const workers of [true, false]) {
    const p = await pass(kind, workers, workers ? durationSec : Math.min(durationSec, 10));
    const setting = `${ratePerSec} req/s open loop for ${workers ? durationSec : Math.min(durationSec, 10)} s, ${workers ? 'serve (HTTP + workers + scheduler)' : 'HTTP only (workers off)'}`;
    if (workers) {
      figures.push({ target, database: kind, metric: 'accept p50 / p95', value: `${ms(p.latency.p50)} / ${ms(p.latency.p95)}`, aim: '', met: null, setting });
      figures.push({ target, database: kind, metric: 'accept p99', value: ms(p.latency.p99), aim: '<= 20 ms', met: p.latency.p99 <= 20, setting });
    } else {
      figures.push({ target, database: kind, metric: 'accept p50 / p99, workers off', value: `${ms(p.latency.p50)} / ${ms(p.latency.p99)}`, aim: '', met: null, setting });
    }
    rows.push([kind, workers ? 'serve' : 'HTTP only', ms(p.latency.p50), ms(p.latency.p95), ms(p.latency.p99), ms(p.latency.max),
      Object.entries(p.statuses).map(([s, n]) => `${s}: ${n}`).join(', '), p.lateStarts, ms(p.loopDelayP99), ms(p.loopDelayMax), workers ? ms(p.drainMs) : 'n/a',
      `${p.cpu.machineBusyPct} / ${kind === 'postgres' ? p.cpu.postgresOwnPct : 'in keel'} / ${p.cpu.benchPct} / ${p.cpu.pids.sender} / ${p.cpu.otherPct}`]);
    console.log(kind, workers ? 'serve' : 'http-only', p.latency);
    others.push(p.cpu.otherPct);
  }
}
const details = table(['database', 'roles', 'p50', 'p95', 'p99', 'max', 'responses', 'sender late starts (> 5 ms behind)', 'server event-loop delay p99', 'loop delay max', 'backlog drain after the last request', 'CPU % of a core: machine / postgres (this db) / keel / sender / other work'], rows);
saveResult({ name: 'webhook', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: Math.max(...others) });
