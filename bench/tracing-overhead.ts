// Tracing overhead: the sustained-throughput pass (3-step runs, every attempt persisted) with and
// without the tracer running beside the workers as `keel serve` runs it, alternated so drift in the
// machine's state falls on both sides. The figure is the throughput lost with the tracer; the
// spans stored afterwards prove it traced every run (root + 3 steps each).
import { selectedDatabases } from './lib/databases.js';
import { pglitePass, poolFor, postgresPass, throughputSteps, type ThroughputPass } from './lib/keel-throughput.js';
import { waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { rate } from './lib/stats.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const pgRuns = Number(process.env.BENCH_PG_RUNS ?? 3_000);
const pgliteRuns = Number(process.env.BENCH_PGLITE_RUNS ?? 1_500);
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
      without.push(a.runsPerSec);
      withTracer.push(b.runsPerSec);
      spans = b.spansStored ?? 0;
      runs = b.runs;
      rows.push([kind, String(round + 1), rate(a.runsPerSec, 'runs/s'), rate(b.runsPerSec, 'runs/s'), `${b.spansStored} of ${b.runs * (throughputSteps + 1)}`]);
      console.log(`${kind} round ${round + 1}: ${a.runsPerSec.toFixed(1)} without, ${b.runsPerSec.toFixed(1)} with the tracer`);
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
    details: table(['database', 'round', 'without tracer', 'with tracer', 'spans stored (expected)'], rows),
  });
}

await main();
