// Metrics and traces read side: 30 days of one busy workflow's rollups (three versions through
// testing, sandbox and production; about 1.66 million runs) beside 20 quieter workflows, and the
// spans those runs left: 10,000,000 rows in `spans` on PostgreSQL, 1,000,000 on PGlite
// (BENCH_SPANS_POSTGRES / BENCH_SPANS_PGLITE to change). Then, through the HTTP app with an API token
// (the guard's token lookup included), 200 sequential requests of each:
// - GET /api/metrics for the busy workflow over 30 days by day (the target), and as context the same
//   for production only and 14 days by hour;
// - GET /api/workflows/{id}/traces?limit=50 (the newest traces);
// - GET /metrics (Prometheus; every workflow, counters summed over all hours), 50 requests;
// with the statements' own timings and the plans of the two rollup reads.
//   npx tsx bench/metrics-api.ts
//   BENCH_DATABASES=pglite BENCH_SPANS_PGLITE=200000 npx tsx bench/metrics-api.ts   (a quick try)
import { execFileSync } from 'node:child_process';
import { configSchema } from '../src/config/index.js';
import { createToken, createUser, loadAccess } from '../src/auth/index.js';
import type { Db } from '../src/db/index.js';
import { createHttpApp } from '../src/http/app.js';
import { hourOf } from '../src/observe/index.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { explainStatement, type Explained } from './lib/explain.js';
import { deployBenchWorkflows, fillRollups, fillSpans, mainWorkflow } from './lib/observe-fill.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { describeSummary, ms, summarize, type Summary } from './lib/stats.js';
import { timeDb, type StatementStats } from './lib/timed-db.js';

const spanTarget: Record<DatabaseKind, number> = {
  postgres: Number(process.env.BENCH_SPANS_POSTGRES ?? 10_000_000),
  pglite: Number(process.env.BENCH_SPANS_PGLITE ?? 1_000_000),
};
const requests = Number(process.env.BENCH_METRICS_REQUESTS ?? 200);
const aims: Record<DatabaseKind, number> = { postgres: 100, pglite: 150 };
const listAimMs = 10;

interface Timed { label: string; path: string; summary: Summary; statements: StatementStats[] }

interface DatabaseOutcome {
  kind: DatabaseKind;
  spans: number;
  fill: { rollupMs: number; spansMs: number; hourRows: number; countRows: number; runs: number; spansMb: number; rollupMb: number };
  timed: Timed[];
  plans: Explained[];
}

/** Free space where PostgreSQL keeps its data: 10 M spans take several GB. */
function freeDiskGb(): number {
  try {
    const out = execFileSync('df', ['-BG', '--output=avail', '/var/lib/postgresql'], { encoding: 'utf8' }).split('\n')[1] ?? '';
    return Number(out.replace(/\D/g, ''));
  } catch {
    return Number.NaN;
  }
}

async function tokenFor(db: Db): Promise<string> {
  const user = await createUser(db, { email: 'bench-metrics@example.com', roles: ['viewer'] }, 'bench', { minPasswordLength: 12 });
  const access = await loadAccess(db, user.id, { via: 'session' });
  return (await createToken(db, access, { name: 'bench', scopes: ['runs:read', 'workflows:read'] })).secret;
}

async function measure(kind: DatabaseKind): Promise<DatabaseOutcome> {
  const bench = await openBenchDatabase(kind);
  try {
    const db = bench.db;
    const versions = await deployBenchWorkflows(db);
    const now = new Date();
    const t0 = performance.now();
    const rollups = await fillRollups(db, versions, hourOf(now));
    const rollupMs = performance.now() - t0;
    console.log(`${kind}: ${rollups.hourRows} metric_hours rows, ${rollups.countRows} metric_counts rows (${Math.round(rollups.runs).toLocaleString('en')} runs) in ${ms(rollupMs)}`);
    const t1 = performance.now();
    await fillSpans(db, spanTarget[kind], now, kind === 'postgres' ? 100_000 : 25_000, (done) => {
      process.stdout.write(`\r${kind}: ${done.toLocaleString('en')} spans in ${((performance.now() - t1) / 1000).toFixed(0)} s`);
    });
    const spansMs = performance.now() - t1;
    process.stdout.write('\n');
    for (const t of ['spans', 'metric_hours', 'metric_counts']) await db.query(`VACUUM ANALYZE ${t}`);
    const sizes = (await db.query<{ spans: string; rollups: string; n: number }>(
      `SELECT pg_total_relation_size('spans')::text AS spans, (pg_total_relation_size('metric_hours') + pg_total_relation_size('metric_counts'))::text AS rollups,
              (SELECT count(*)::int FROM spans) AS n`,
    )).rows[0]!;

    const timed = timeDb(db);
    const app = createHttpApp({
      db: timed, bodyLimitBytes: 1 << 20, secrets: {}, version: 'bench', logError: (m, e) => console.error(m, e),
      auth: configSchema.parse({}).auth, serverUrl: () => 'http://127.0.0.1',
    });
    const headers = { authorization: `Bearer ${await tokenFor(db)}` };
    const time = async (label: string, path: string, n: number): Promise<Timed> => {
      for (let i = 0; i < 20; i++) await (await app.request(path, { headers })).arrayBuffer();
      timed.reset();
      const samples: number[] = [];
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        const res = await app.request(path, { headers });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
        samples.push(performance.now() - start);
      }
      return { label, path, summary: summarize(samples), statements: timed.report().slice(0, 4) };
    };
    await waitForQuiet();
    const outcome: Timed[] = [
      await time('metrics, 30 days by day (every stage)', `/api/metrics?workflow=${mainWorkflow}&from=30d&bucket=day`, requests),
      await time('metrics, 30 days by day, production', `/api/metrics?workflow=${mainWorkflow}&from=30d&bucket=day&stage=production`, requests),
      await time('metrics, 14 days by hour', `/api/metrics?workflow=${mainWorkflow}&from=14d&bucket=hour`, requests),
      await time('newest traces (limit 50)', `/api/workflows/${mainWorkflow}/traces?limit=50`, requests),
      await time('GET /metrics (Prometheus, 21 workflows)', '/metrics', 50),
    ];
    const start = new Date(Math.floor((now.getTime() - 30 * 86_400_000) / 86_400_000) * 86_400_000);
    const end = new Date(Math.ceil(now.getTime() / 86_400_000) * 86_400_000);
    const stagesAll = ['design', 'testing', 'sandbox', 'production'];
    const plans = [
      await explainStatement(db, 'metric_hours by day, 30 days', `SELECT floor(extract(epoch FROM hour - $2::timestamptz) / $6)::int AS i, sum(runs)::float8 AS runs, sum(tokens_in)::float8 AS t
         FROM metric_hours WHERE workflow_id = $1 AND stage = ANY($4::text[]) AND hour >= $2 AND hour < $3 AND ($5::text IS NULL OR version_id = $5) GROUP BY 1`,
      [mainWorkflow, start, end, stagesAll, null, 86_400]),
      await explainStatement(db, 'metric_counts by day, 30 days', `SELECT dimension, value, floor(extract(epoch FROM hour - $2::timestamptz) / $6)::int AS i, sum(runs)::float8 AS runs
         FROM metric_counts WHERE workflow_id = $1 AND stage = ANY($4::text[]) AND dimension = ANY('{latency,error_class}'::text[])
          AND hour >= $2 AND hour < $3 AND ($5::text IS NULL OR version_id = $5) GROUP BY 1, 2, 3`,
      [mainWorkflow, start, end, stagesAll, null, 86_400]),
    ];
    return {
      kind, spans: sizes.n, timed: outcome, plans,
      fill: { rollupMs, spansMs, ...rollups, spansMb: Number(sizes.spans) / 2 ** 20, rollupMb: Number(sizes.rollups) / 2 ** 20 },
    };
  } finally {
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  const busy = await waitForQuiet();
  const started = Date.now();
  const free = freeDiskGb();
  if (selectedDatabases().includes('postgres') && free < 20 && spanTarget.postgres >= 10_000_000) {
    console.warn(`only ${free} GB free; filling 2,000,000 spans on PostgreSQL instead of 10,000,000`);
    spanTarget.postgres = 2_000_000;
  }
  const outcomes: DatabaseOutcome[] = [];
  for (const kind of selectedDatabases()) outcomes.push(await measure(kind));
  const figures: Figure[] = outcomes.flatMap((o) => {
    const metrics = o.timed[0]!.summary;
    const list = o.timed[3]!.summary;
    const spans = `${(o.spans / 1e6).toFixed(o.spans >= 1e6 ? 0 : 1)}M spans`;
    return [
      {
        target: 'Metrics API', database: o.kind, metric: 'GET /api/metrics, 30 days by day: p50 / p95', value: `${ms(metrics.p50)} / ${ms(metrics.p95)}`,
        aim: `p95 <= ${aims[o.kind]} ms`, met: metrics.p95 <= aims[o.kind], setting: `${spans}, ${requests} sequential requests`,
      },
      {
        target: 'Metrics API', database: o.kind, metric: 'newest traces (limit 50): p50 / p95', value: `${ms(list.p50)} / ${ms(list.p95)}`,
        aim: `p95 <= ${listAimMs} ms`, met: list.p95 <= listAimMs, setting: `${spans}, ${requests} sequential requests`,
      },
    ];
  });
  const details = outcomes.flatMap((o) => [
    `**${o.kind}**: ${o.spans.toLocaleString('en')} spans (${Math.round(o.fill.spansMb)} MB with indexes, filled in ${Math.round(o.fill.spansMs / 1000)} s); `
      + `${o.fill.hourRows.toLocaleString('en')} metric_hours and ${o.fill.countRows.toLocaleString('en')} metric_counts rows (${Math.round(o.fill.rollupMb)} MB, `
      + `${Math.round(o.fill.runs).toLocaleString('en')} runs, filled in ${Math.round(o.fill.rollupMs / 1000)} s).`,
    '',
    table(['request', 'latency', 'slowest statements (total ms, p50)'], o.timed.map((t) => [
      `${t.label}: \`${t.path}\``, describeSummary(t.summary),
      t.statements.map((s) => `${s.label.replace(/\s+/g, ' ').slice(0, 60)} (${Math.round(s.totalMs)} ms, ${ms(s.p50)})`).join('; '),
    ])),
    '',
    table(['plan', 'planning', 'execution', 'shape', 'shared hit blocks'], o.plans.map((p) => [p.label, ms(p.planningMs), ms(p.executionMs), p.shape, p.sharedHitBlocks])),
    '',
  ]);
  saveResult({
    name: 'metrics-api', title: 'Metrics and traces read side', finishedAt: new Date().toISOString(), durationMs: Date.now() - started,
    figures, backgroundBusyPct: busy, details: [`Free disk before filling: ${free} GB.`, '', ...details].join('\n'),
  });
}

await main();
