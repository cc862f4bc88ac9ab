// OTLP ingest: Keel (startKeel with HTTP, as `keel serve` runs it, workers and scheduler off so only
// the receiver works) on loopback, and a child process of BENCH_CLIENTS OTLP/HTTP clients POSTing
// 500-span protobuf batches for BENCH_DURATION_S: first as fast as Keel answers (closed loop: the
// most it takes), then on a schedule adding up to the target rate (latency at that load). At the end
// the spans table must hold every span accepted. Then one batch is taken apart in-process: decode,
// redaction and mapping, the span insert and the rollup upsert, each timed alone, to say what limits it.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKeel } from '../src/app.js';
import { createToken, createUser, loadAccess } from '../src/auth/index.js';
import { loadConfig } from '../src/config/index.js';
import { spawnBenchChild } from './lib/children.js';
import { cpuWindow, type CpuUse } from './lib/cpu.js';
import { createPostgresDatabase, selectedDatabases, tempFolder, type DatabaseKind } from './lib/databases.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, rate, summarize, type Summary } from './lib/stats.js';
import { profileBatch, type BatchProfile } from './lib/otlp-profile.js';

const durationSec = Number(process.env.BENCH_DURATION_S ?? 20);
const clients = Number(process.env.BENCH_CLIENTS ?? 4);

interface Run {
  spansPerSec: number;
  latency: Summary;
  statuses: Record<string, number>;
  accepted: number;
  rejected: number;
  acceptedInAll: number;
  bodyBytes: number;
  cpu: CpuUse;
}

interface Pass {
  kind: DatabaseKind;
  /** Clients as fast as the server answers: the most it takes. */
  closed: Run;
  /** Clients on a schedule adding up to the target rate: latency at that load. */
  paced: Run;
  pacedRate: number;
  stored: number;
  profile: BatchProfile;
}

const aims: Record<DatabaseKind, { rate: number; p99?: number }> = { postgres: { rate: 20_000, p99: 50 }, pglite: { rate: 5_000 } };

async function send(url: string, token: string, databaseUrl: string | undefined, rate?: number): Promise<Run> {
  const sender = spawnBenchChild('otlp-sender', {
    BENCH_URL: url, BENCH_TOKEN: token, BENCH_CLIENTS: String(clients), BENCH_DURATION_S: String(durationSec), ...(rate ? { BENCH_RATE: String(rate) } : {}),
  });
  try {
    const window = cpuWindow({ sender: sender.pid }, databaseUrl);
    sender.send({ type: 'go' });
    const done = await sender.next('done', (durationSec + 120) * 1000);
    const cpu = await window.end();
    return {
      spansPerSec: (done.acceptedSpans as number) / ((done.wallMs as number) / 1000), latency: summarize(done.latencies as number[]),
      statuses: done.statuses as Record<string, number>, accepted: done.acceptedSpans as number, rejected: done.rejectedSpans as number,
      acceptedInAll: done.acceptedInAll as number, bodyBytes: done.bodyBytes as number, cpu,
    };
  } finally {
    await sender.stop();
  }
}

async function pass(kind: DatabaseKind): Promise<Pass> {
  const folder = tempFolder('otlp');
  const workflowsDir = join(folder, 'workflows');
  mkdirSync(workflowsDir, { recursive: true });
  writeFileSync(join(workflowsDir, 'bench-script.yaml'), 'id: bench-script\ntitle: Bench script\nkind: external\nowner: bench-owner@example.com\nrisk: low\n');
  const pgdb = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = loadConfig({
    file: '/nonexistent/keel.yaml',
    env: { DATABASE_URL: pgdb?.url, KEEL_DATA_DIR: join(folder, 'data'), KEEL_PORT: '0', KEEL_HOST: '127.0.0.1', KEEL_WORKFLOWS_DIR: workflowsDir, KEEL_LOG_LEVEL: 'warn', KEEL_GATES_ENFORCE: 'false' },
  });
  const keel = await startKeel(config, { http: true, workers: false, scheduler: false, loadWorkflows: true });
  try {
    const user = await createUser(keel.db, { email: 'bench-builder@example.com', roles: ['builder'] }, 'bench', { minPasswordLength: 12 });
    const { secret } = await createToken(keel.db, await loadAccess(keel.db, user.id, { via: 'session' }), { name: 'bench', scopes: ['traces:write'] });
    const url = `${keel.url}/v1/traces`;
    const closed = await send(url, secret, pgdb?.url);
    const paced = await send(url, secret, pgdb?.url, aims[kind].rate);
    const stored = (await keel.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM spans WHERE workflow_id = 'bench-script'`)).rows[0]!.n;
    if (stored !== closed.acceptedInAll + paced.acceptedInAll) console.error(`spans table holds ${stored}, clients had ${closed.acceptedInAll + paced.acceptedInAll} accepted`);
    const profile = await profileBatch(keel.db, config.observe.redaction);
    return { kind, closed, paced, pacedRate: aims[kind].rate, stored, profile };
  } finally {
    await keel.stop();
    await pgdb?.drop();
    rmSync(folder, { recursive: true, force: true });
  }
}

const began = Date.now();
const background = await waitForQuiet();
const figures: Figure[] = [];
const rows: Array<Array<string | number>> = [];
const parts: Array<Array<string | number>> = [];
const others: number[] = [];
const target = 'OTLP ingest';
const cpuCell = (kind: DatabaseKind, c: CpuUse) => `${c.machineBusyPct} / ${kind === 'postgres' ? c.postgresOwnPct : 'in keel'} / ${c.benchPct} / ${c.pids.sender} / ${c.otherPct}`;
for (const kind of selectedDatabases()) {
  const p = await pass(kind);
  const batch = `500-span protobuf batches (${Math.round(p.closed.bodyBytes / 1024)} KB)`;
  const aim = aims[kind];
  const allStored = p.stored === p.closed.acceptedInAll + p.paced.acceptedInAll;
  figures.push({ target, database: kind, metric: 'spans accepted and queryable per second', value: rate(p.closed.spansPerSec, 'spans/s'), aim: `>= ${aim.rate.toLocaleString('en')} spans/s`, met: p.closed.spansPerSec >= aim.rate && allStored, setting: `${clients} clients, closed loop, ${batch}, ${durationSec} s` });
  figures.push({ target, database: kind, metric: `request p50 / p99 at ${aim.rate.toLocaleString('en')} spans/s`, value: `${ms(p.paced.latency.p50)} / ${ms(p.paced.latency.p99)}`, aim: aim.p99 ? `p99 <= ${aim.p99} ms` : '', met: aim.p99 ? p.paced.latency.p99 <= aim.p99 : null, setting: `${clients} clients on a schedule, ${batch}, ${durationSec} s; latency from each request's due time` });
  for (const [label, r] of [['closed loop', p.closed], [`paced at ${aim.rate} spans/s`, p.paced]] as const) {
    rows.push([kind, label, rate(r.spansPerSec, 'spans/s'), r.rejected, ms(r.latency.p50), ms(r.latency.p95), ms(r.latency.p99), ms(r.latency.max),
      Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(', '), cpuCell(kind, r.cpu)]);
    others.push(r.cpu.otherPct);
  }
  parts.push([kind, `${p.stored} / ${p.closed.acceptedInAll + p.paced.acceptedInAll}`, ms(p.profile.decodeMs), ms(p.profile.mapMs), ms(p.profile.insertMs), ms(p.profile.rollupMs), ms(p.profile.ingestMs)]);
  console.log(kind, p);
}
const details = [
  table(['database', 'clients', 'accepted spans/s', 'rejected', 'p50', 'p95', 'p99', 'max', 'responses', 'CPU % of a core: machine / postgres (this db) / keel / clients / other work'], rows),
  '',
  'The table after both runs, and one 500-span batch taken apart in-process (median of 20; the insert and the upsert on the filled table, rolled back):',
  '',
  table(['database', 'rows in spans / spans accepted (warm-up included)', 'decode (protobuf)', 'redact + map', 'insert spans', 'rollup upsert', 'whole ingest (one transaction)'], parts),
].join('\n');
saveResult({ name: 'otlp-ingest', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: Math.max(...others) });
