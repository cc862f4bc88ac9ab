// Trigger to first step start: startRun (deployment lookup, contract check, insert + NOTIFY in one
// transaction) -> a warm, idle worker wakes on the notification, claims the run and starts its
// first step. Measured in-process around startRun (high resolution: until the first step's
// attempt lookup returns, right before its handler runs) and from stored timestamps (runs.created_at
// -> first attempt's started_at).
import { startRun } from '../src/engine/index.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { otherWorkDuring, waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, sleep, summarize, type Summary } from './lib/stats.js';
import { labels, stepLookupLabels, timeDb } from './lib/timed-db.js';
import { benchEngine, chainWorkflow, deploy, waitForIdle } from './lib/workflows.js';

const triggers = Number(process.env.BENCH_TRIGGERS ?? 300);
const spacingMs = 25;

interface Measured { total: Summary; accept: Summary; dispatch: Summary; stored: Summary; statements: string }

async function measure(kind: DatabaseKind): Promise<Measured> {
  const bench = await openBenchDatabase(kind);
  const db = timeDb(bench.db);
  await deploy(db, chainWorkflow('three', 3));
  const engine = benchEngine(db, { concurrency: 8 });
  await engine.startWorkers();
  // The first step starts right after the executor's attempt lookup for the run (once per claim in
  // this engine, per step in earlier ones); without one, at the latest when its result is written.
  const firstStart = new Map<string, number>();
  db.observe((e) => {
    const lookup = stepLookupLabels.includes(e.label);
    if (!lookup && e.label !== labels.complete) return;
    const runId = String(e.params?.[0]);
    if (!firstStart.has(runId)) firstStart.set(runId, lookup ? e.end : e.start);
  });

  const total: number[] = [];
  const accept: number[] = [];
  const dispatch: number[] = [];
  const ids: string[] = [];
  async function trigger(record: boolean): Promise<void> {
    const t0 = performance.now();
    const { run } = await startRun(db, { workflowId: 'three', stage: 'production', trigger: 'manual', input: { n: 1 } });
    const t1 = performance.now();
    for (let i = 0; i < 2_000 && !firstStart.has(run.id); i++) await sleep(1);
    const started = firstStart.get(run.id);
    if (started === undefined) throw new Error(`run ${run.id} did not start`);
    if (!record) return;
    ids.push(run.id);
    total.push(started - t0);
    accept.push(t1 - t0);
    dispatch.push(started - t1);
  }

  for (let i = 0; i < 10; i++) {
    await trigger(false);
    await sleep(spacingMs);
  }
  await waitForIdle(db, 10_000);
  db.reset();
  for (let i = 0; i < triggers; i++) {
    await trigger(true);
    await sleep(spacingMs);
  }
  await waitForIdle(db, 10_000);
  const statements = db.report().slice(0, 8);
  const stored = await db.query<{ gap: number }>(
    `SELECT extract(epoch FROM (min(a.started_at) - r.created_at)) * 1000 AS gap
     FROM runs r JOIN step_attempts a ON a.run_id = r.id WHERE r.id = ANY($1) GROUP BY r.id, r.created_at`, [ids],
  );
  await engine.stop();
  await bench.dispose();
  return {
    total: summarize(total), accept: summarize(accept), dispatch: summarize(dispatch),
    stored: summarize(stored.rows.map((r) => Number(r.gap))),
    statements: table(['statement (includes the polling of this benchmark)', 'count', 'p50', 'p99'], statements.map((s) => [s.label, s.n, ms(s.p50), ms(s.p99)])),
  };
}

const began = Date.now();
const background = await waitForQuiet();
const figures: Figure[] = [];
const details: string[] = [];
const target = 'Trigger to first step start';
const others: number[] = [];
for (const kind of selectedDatabases()) {
  const { value: m, otherPct } = await otherWorkDuring(() => measure(kind));
  others.push(otherPct);
  const setting = `${triggers} triggers ${spacingMs} ms apart, warm idle worker (concurrency 8)`;
  figures.push({ target, database: kind, metric: 'p50 (startRun call -> first step start)', value: ms(m.total.p50), aim: '<= 5 ms', met: m.total.p50 <= 5, setting });
  figures.push({ target, database: kind, metric: 'p99 (startRun call -> first step start)', value: ms(m.total.p99), aim: '<= 25 ms', met: m.total.p99 <= 25, setting });
  figures.push({ target, database: kind, metric: 'p50 / p99 (stored created_at -> started_at)', value: `${ms(m.stored.p50)} / ${ms(m.stored.p99)}`, aim: '', met: null, setting });
  details.push(`**${kind}**`, '', table(['part', 'p50', 'p95', 'p99', 'max'], [
    ['startRun call -> first step start', ms(m.total.p50), ms(m.total.p95), ms(m.total.p99), ms(m.total.max)],
    ['  startRun (lookup, contract, insert + notify, commit)', ms(m.accept.p50), ms(m.accept.p95), ms(m.accept.p99), ms(m.accept.max)],
    ['  startRun returned -> first step start (notify, wake, claim, attempt lookup)', ms(m.dispatch.p50), ms(m.dispatch.p95), ms(m.dispatch.p99), ms(m.dispatch.max)],
    ['stored: runs.created_at -> first started_at', ms(m.stored.p50), ms(m.stored.p95), ms(m.stored.p99), ms(m.stored.max)],
  ]), '', m.statements, '');
}
saveResult({ name: 'trigger-latency', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details: details.join('\n'), backgroundBusyPct: background, otherDuringPct: Math.max(...others) });
