// OTLP ingest: Keel (startKeel with HTTP, as `keel serve` runs it, workers and scheduler off so only
// the receiver works) on loopback, and a child process of BENCH_CLIENTS OTLP/HTTP clients POSTing
// 500-span protobuf batches in a closed loop for BENCH_DURATION_S. Spans accepted per second and
// request latency come from the clients; at the end the spans table must hold every span accepted.
// Then one batch is taken apart in-process: decode, redaction and mapping, the span insert and the
// rollup upsert, each timed alone, to say what limits the rate.
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

interface Pass {
  kind: DatabaseKind;
  spansPerSec: number;
  latency: Summary;
  statuses: Record<string, number>;
  accepted: number;
  rejected: number;
  acceptedInAll: number;
  stored: number;
  bodyBytes: number;
  cpu: CpuUse;
  profile: BatchProfile;
}

async function pass(kind: DatabaseKind): Promise<Pass> {
  const folder = tempFolder('otlp');
  const workflowsDir = join(folder, 'workflows');
  mkdirSync(workflowsDir, { recursive: true });
  writeFileSync(join(workflowsDir, 'bench-script.yaml'), 'id: bench-script\ntitle: Bench script\nkind: external\nowner: bench-owner@example.com\nrisk: low\n');
  const pgdb = kind === 'postgres' ? await createPostgresDatabase() : undefined;
  const config = loadConfig({
    file: '/nonexistent/keel.yaml',
    env: { DATABASE_URL: pgdb?.url, KEEL_DATA_DIR: join(folder, 'data'), KEEL_PORT: '0', KEEL_HOST: '127.0.0.1', KEEL_WORKFLOWS_DIR: workflowsDir, KEEL_LOG_LEVEL: 'warn' },
  });
  const keel = await startKeel(config, { http: true, workers: false, scheduler: false, loadWorkflows: true });
  const user = await createUser(keel.db, { email: 'bench-builder@example.com', roles: ['builder'] }, 'bench', { minPasswordLength: 12 });
  const { secret } = await createToken(keel.db, await loadAccess(keel.db, user.id, { via: 'session' }), { name: 'bench', scopes: ['traces:write'] });
  const sender = spawnBenchChild('otlp-sender', { BENCH_URL: `${keel.url}/v1/traces`, BENCH_TOKEN: secret, BENCH_CLIENTS: String(clients), BENCH_DURATION_S: String(durationSec) });
  try {
    const window = cpuWindow({ sender: sender.pid }, pgdb?.url);
    sender.send({ type: 'go' });
    const done = await sender.next('done', (durationSec + 120) * 1000);
    const cpu = await window.end();
    const stored = (await keel.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM spans WHERE workflow_id = 'bench-script'`)).rows[0]!.n;
    const profile = await profileBatch(keel.db, config.observe.redaction);
    return {
      kind, spansPerSec: (done.acceptedSpans as number) / ((done.wallMs as number) / 1000), latency: summarize(done.latencies as number[]),
      statuses: done.statuses as Record<string, number>, accepted: done.acceptedSpans as number, rejected: done.rejectedSpans as number,
      acceptedInAll: done.acceptedInAll as number, stored, bodyBytes: done.bodyBytes as number, cpu, profile,
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
const parts: Array<Array<string | number>> = [];
const others: number[] = [];
const target = 'OTLP ingest';
const aims: Record<DatabaseKind, { rate: number; p99?: number }> = { postgres: { rate: 20_000, p99: 50 }, pglite: { rate: 5_000 } };
for (const kind of selectedDatabases()) {
  const p = await pass(kind);
  const setting = `${clients} clients, closed loop, 500-span protobuf batches (${Math.round(p.bodyBytes / 1024)} KB) for ${durationSec} s`;
  const aim = aims[kind];
  figures.push({ target, database: kind, metric: 'spans accepted and queryable per second', value: rate(p.spansPerSec, 'spans/s'), aim: `>= ${aim.rate.toLocaleString('en')} spans/s`, met: p.spansPerSec >= aim.rate && p.stored === p.acceptedInAll, setting });
  figures.push({ target, database: kind, metric: 'request p50 / p99', value: `${ms(p.latency.p50)} / ${ms(p.latency.p99)}`, aim: aim.p99 ? `p99 <= ${aim.p99} ms` : '', met: aim.p99 ? p.latency.p99 <= aim.p99 : null, setting });
  rows.push([kind, rate(p.spansPerSec, 'spans/s'), `${p.stored} / ${p.acceptedInAll}`, p.rejected, ms(p.latency.p50), ms(p.latency.p95), ms(p.latency.p99), ms(p.latency.max),
    Object.entries(p.statuses).map(([s, n]) => `${s}: ${n}`).join(', '),
    `${p.cpu.machineBusyPct} / ${kind === 'postgres' ? p.cpu.postgresOwnPct : 'in keel'} / ${p.cpu.benchPct} / ${p.cpu.pids.sender} / ${p.cpu.otherPct}`]);
  parts.push([kind, ms(p.profile.decodeMs), ms(p.profile.mapMs), ms(p.profile.insertMs), ms(p.profile.rollupMs), ms(p.profile.ingestMs)]);
  others.push(p.cpu.otherPct);
  console.log(kind, rate(p.spansPerSec, 'spans/s'), p.latency, p.profile);
}
const details = [
  table(['database', 'accepted spans/s', 'rows in spans / spans accepted', 'rejected', 'p50', 'p95', 'p99', 'max', 'responses', 'CPU % of a core: machine / postgres (this db) / keel / clients / other work'], rows),
  '',
  'One 500-span batch taken apart in-process (median of 20, after the run; the insert and the upsert on the filled table):',
  '',
  table(['database', 'decode (protobuf)', 'redact + map', 'insert spans', 'rollup upsert', 'whole ingest (one transaction)'], parts),
].join('\n');
saveResult({ name: 'otlp-ingest', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: Math.max(...others) });
