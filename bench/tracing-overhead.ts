// Tracing overhead: the sustained-throughput pass (3-step runs, every attempt persisted) with and
// without the tracer running beside the workers as `keel serve` runs it, alternated so drift in the
// machine's state falls on both sides. What the tracer leaves for after the drain (its two seconds'
// settling, and on PGlite most of it) is traced at once after the drain and its time counted. The figure is the throughput lost with the tracer; the
// spans stored afterwards prove it traced every run (root + 3 steps each).
import { selectedDatabases } from './lib/databases.js';
import { pglitePass, poolFor, postgresPass, throughputSteps, type ThroughputPass } from './lib/keel-throughput.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { rate } from './lib/stats.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const pgRuns = Number(process.env.BENCH_PG_RUNS ?? 5_000);
const pgliteRuns = Number(process.env.BENCH_PGLITE_RUNS ?? 2_000);
const target = 'Tracing overhead on the engine benchmark';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function pass(kind: 'postgres' | 'pglite', tracer: boolean): Promise<ThroughputPass> {
  return kind === 'postgres'
    ? postgresPass({ runs: pgRuns, processes: 2, concurrency: 32, poolSize: poolFor(32), tracer })
    : pglitePass({ runs: pgliteRuns, concurrency: 16, tracer });
}

async function main(): Promise<void> {
  const busy = await waitForQuiet();
  const started = Date.now();
  const figures: Figure[] = [];
  const rows: string[][] = [];
  for (const kind of selectedDatabases()) {
    const without: number[] = [];
    const withTracer: number[] = [];
    let spans = 0;
    let runs = 0;
    for (let round = 0; round < rounds; round++) {
      const a = await pass(kind, false);
      const b = await pass(kind, true);
      // Tracing left for after the drain is part of the cost: the rate with the tracer is taken
      // until every run is traced (PGlite's single thread rarely lets the tracer's timer fire
      // while workers hold runs, so there most tracing happens after the drain).
      const catchUpMs = b.traced?.catchUpMs ?? 0;
      const traced = b.runs / (b.runs / b.runsPerSec + catchUpMs / 1000);
      without.push(a.runsPerSec);
      withTracer.push(traced);
      spans = b.traced?.spans ?? 0;
      runs = b.runs;
      rows.push([kind, String(round + 1), rate(a.runsPerSec, 'runs/s'), rate(b.runsPerSec, 'runs/s'), `${Math.round(catchUpMs)} ms`, rate(traced, 'runs/s'), `${spans} of ${b.runs * (throughputSteps + 1)}`]);
      console.log(`${kind} round ${round + 1}: ${a.runsPerSec.toFixed(1)} without, ${traced.toFixed(1)} with the tracer (catch-up ${catchUpMs.toFixed(0)} ms)`);
    }
    const loss = (1 - mean(withTracer) / mean(without)) * 100;
    const setting = kind === 'postgres' ? `2 worker processes x 32, ${pgRuns} runs, ${rounds} rounds each way` : `1 process x 16, ${pgliteRuns} runs, ${rounds} rounds each way`;
    figures.push({
      target, database: kind, metric: 'throughput lost with the tracer running', value: `${loss.toFixed(1)} %`, aim: '< 10 %',
      met: loss < 10 && spans === runs * (throughputSteps + 1), setting,
    });
  }
  saveResult({
    name: 'tracing-overhead', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - started, figures, backgroundBusyPct: busy,
    details: table(['database', 'round', 'without tracer', 'with tracer (drain)', 'tracing left after the drain', 'with tracer, until all traced', 'spans stored (expected)'], rows),
  });
}

await main();
