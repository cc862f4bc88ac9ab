// Sustained throughput: a backlog of runs of a 3-step no-op transform workflow (every attempt
// persisted) drained by 2 worker processes on PostgreSQL and by one process on PGlite, at several
// worker concurrencies. The best setting is the figure; a profiled pass on PostgreSQL says which
// statements take the time.
import { selectedDatabases } from './lib/databases.js';
import { cpuHeader, explainHotStatements, formatCpu, pglitePass, poolFor, postgresPass, throughputSteps, type ThroughputPass } from './lib/keel-throughput.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, rate } from './lib/stats.js';

const concurrencies = (process.env.BENCH_CONCURRENCIES ?? '8,16,32').split(',').map(Number);
const pgRuns = Number(process.env.BENCH_PG_RUNS ?? 5_000);
const pgliteRuns = Number(process.env.BENCH_PGLITE_RUNS ?? 2_000);
const processes = 2;

const target = 'Sustained throughput (3-step runs)';

function sweepTable(passes: ThroughputPass[]): string {
  const pg = passes[0]?.database === 'postgres';
  return table(['concurrency', 'pool', 'runs/s (db clock)', 'runs/s (wall)', 'steps/s', 'succeeded', cpuHeader,
    pg ? 'WAL syncs per run (whole server)' : '10 ms timer ticks seen during the drain', pg ? 'HOT updates of runs' : ''], passes.map((p) => [
    p.concurrency, p.poolSize, rate(p.runsPerSec, ''), rate(p.wallRunsPerSec, ''), rate(p.runsPerSec * throughputSteps, ''), `${p.succeeded}/${p.runs}`,
    formatCpu(p.cpu), p.wal ? p.wal.syncsPerRun.toFixed(2) : p.timerTicks ? `${p.timerTicks.seen} of ${p.timerTicks.expected}` : '',
    p.runsHotUpdatePct === undefined ? '' : `${p.runsHotUpdatePct}%`,
  ]));
}

function statementTable(p: ThroughputPass): string {
  const rows = (p.statements ?? []).slice(0, 6);
  const total = rows.reduce((s, r) => s + r.totalMs, 0);
  return table(['statement', 'count', 'per run', 'p50', 'p99', 'share of statement time'], rows.map((s) => [
    s.label, s.n, (s.n / p.runs).toFixed(2), ms(s.p50), ms(s.p99), `${Math.round((s.totalMs / total) * 100)}%`,
  ]));
}

// One result per database (throughput-postgres, throughput-pglite), so each stays under two minutes
// and run-all can run them separately.
for (const kind of selectedDatabases()) {
  const began = Date.now();
  const background = await waitForQuiet();
  const figures: Figure[] = [];
  const details: string[] = [];
  const passes: ThroughputPass[] = [];
  for (const concurrency of concurrencies) {
    const pass = kind === 'postgres'
      ? await postgresPass({ runs: pgRuns, processes, concurrency, poolSize: poolFor(concurrency) })
      : await pglitePass({ runs: pgliteRuns, concurrency });
    console.log(`${kind} concurrency ${concurrency}: ${pass.runsPerSec.toFixed(1)} runs/s (${pass.succeeded}/${pass.runs} succeeded)`);
    passes.push(pass);
  }
  const best = passes.reduce((a, b) => (b.runsPerSec > a.runsPerSec ? b : a));
  const aim = kind === 'postgres' ? 500 : 200;
  const setting = kind === 'postgres'
    ? `${processes} worker processes x concurrency ${best.concurrency}, pool ${best.poolSize}, ${best.runs} runs`
    : `1 process, concurrency ${best.concurrency}, ${best.runs} runs`;
  figures.push({ target, database: kind, metric: 'runs/s (3 persisted steps each)', value: rate(best.runsPerSec, 'runs/s'), aim: `>= ${aim} runs/s`, met: best.runsPerSec >= aim && best.succeeded === best.runs, setting });
  figures.push({ target, database: kind, metric: 'step transitions/s at that setting', value: rate(best.runsPerSec * throughputSteps, 'steps/s'), aim: '', met: null, setting });
  const data = { bestConcurrency: best.concurrency, bestPoolSize: best.poolSize, runsPerSec: best.runsPerSec };
  details.push(`**${kind}** (${kind === 'postgres' ? `${processes} worker processes, ${pgRuns} runs per pass` : `one process, ${pgliteRuns} runs per pass`})`, '', sweepTable(passes), '');
  // The same setting on a backlog a fifth the size: the claim sorts every ready run, so its cost
  // grows with the backlog (see the plans below).
  const smallRuns = Math.round(best.runs / 5);
  const small = kind === 'postgres'
    ? await postgresPass({ runs: smallRuns, processes, concurrency: best.concurrency, poolSize: best.poolSize })
    : await pglitePass({ runs: smallRuns, concurrency: best.concurrency });
  figures.push({ target, database: kind, metric: `runs/s with a ${smallRuns}-run backlog (context)`, value: rate(small.runsPerSec, 'runs/s'), aim: '', met: null, setting: `same setting, ${smallRuns} runs` });
  details.push(`Same setting with a backlog of ${smallRuns} runs instead of ${best.runs}: ${rate(small.runsPerSec, 'runs/s')} (${formatCpu(small.cpu)}).`, '');
  const plans = await explainHotStatements(kind, best.runs);
  details.push(
    `Plans of the hot statements with ${best.runs} runs queued (EXPLAIN ANALYZE in a rolled-back transaction, service time without queueing; the claim at its first use with the whole backlog queued, next to a candidate index-ordered claim; the step statements after 5-20 uses, with warm caches):`,
    '',
    table(['statement', 'planning', 'execution', 'plan shape', 'shared buffers hit'], plans.map((p) => [p.label, ms(p.planningMs), ms(p.executionMs), p.shape, p.sharedHitBlocks])),
    '',
  );
  if (process.env.BENCH_PROFILE === '1' && kind === 'postgres') {
    const profiled = await postgresPass({ runs: Math.min(pgRuns, 3_000), processes, concurrency: best.concurrency, poolSize: best.poolSize, profile: true });
    details.push(
      `Profiled pass (statements timed from the worker side, queueing for a pooled connection included): ${rate(profiled.runsPerSec, 'runs/s')}.`,
      '', statementTable(profiled), '',
    );
  } else if (kind === 'pglite') {
    details.push(`Statements at the best setting, timed from the caller (waiting for PGlite's single connection included, so shares show time in the queue, not service time):`, '', statementTable(best), '');
  }
  saveResult({ name: `throughput-${kind}`, title: `${target} on ${kind}`, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details: details.join('\n'), backgroundBusyPct: background, otherDuringPct: Math.max(...passes.map((p) => p.cpu.otherPct)), data });
}
