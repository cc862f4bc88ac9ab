// Step transition overhead: the time from a step's result being handed to the store to the next
// step running on the same (warm) worker. In Keel the next step runs on the worker that holds the
// run, so a transition is the fenced write (UPDATE runs + INSERT step_attempts, one statement, one
// commit) and whatever the executor does before calling the next handler. Measured two ways:
//  - in-process, high resolution, from a timing wrapper around the Db port: the interval between the
//    starts of two consecutive fenced writes of a run, which is one transition plus one no-op
//    transform handler (JSONata '{ "i": n }'); the write's own duration and the JavaScript gap
//    between writes are shown apart;
//  - from stored timestamps: finished_at of attempt N (database clock, start of its statement) to
//    started_at of attempt N+1 (worker clock, millisecond resolution).
import { startRun } from '../src/engine/index.js';
import { openBenchDatabase, selectedDatabases, type DatabaseKind } from './lib/databases.js';
import { otherWorkDuring, waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { describeSummary, ms, summarize, type Summary } from './lib/stats.js';
import { labels, timeDb, type StatementEvent } from './lib/timed-db.js';
import { benchEngine, chainWorkflow, deploy } from './lib/workflows.js';

const steps = 21; // 20 transitions per run
const sequentialRuns = Number(process.env.BENCH_TRANSITION_RUNS ?? 60);
const loadedRuns = Number(process.env.BENCH_TRANSITION_LOADED_RUNS ?? 120);
const loadedParallel = 8;

interface Measured {
  transitions: Summary;
  stored: Summary;
  write: Summary;
  gap: Summary;
  perStepWholeRun: Summary;
  loaded: Summary;
  statements: string;
}

async function measure(kind: DatabaseKind): Promise<Measured> {
  const bench = await openBenchDatabase(kind);
  const db = timeDb(bench.db);
  await deploy(db, chainWorkflow('chain', steps));
  const engine = benchEngine(db, { concurrency: 8 });
  await engine.startWorkers();

  interface Phase { transitions: number[]; writes: number[]; gaps: number[] }
  const newPhase = (): Phase => ({ transitions: [], writes: [], gaps: [] });
  let phase: Phase | undefined;
  const lastWrite = new Map<string, { start: number; end: number }>();
  const finished = new Map<string, () => void>();
  db.observe((e: StatementEvent) => {
    if (e.label !== labels.complete) return;
    const runId = String(e.params?.[0]);
    phase?.writes.push(e.end - e.start);
    const previous = lastWrite.get(runId);
    if (previous) {
      phase?.transitions.push(e.start - previous.start);
      phase?.gaps.push(e.start - previous.end);
    }
    lastWrite.set(runId, { start: e.start, end: e.end });
    if (e.sql.includes("status = 'succeeded'")) finished.get(runId)?.(); // the last step ends the run
  });

  async function oneRun(): Promise<string> {
    let done!: () => void;
    const ended = new Promise<void>((resolve) => (done = resolve));
    const { run } = await startRun(db, { workflowId: 'chain', stage: 'production', trigger: 'manual', input: {} });
    finished.set(run.id, done);
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error(`run ${run.id} did not finish`)), 30_000))]);
    finished.delete(run.id);
    lastWrite.delete(run.id);
    return run.id;
  }

  for (let i = 0; i < 5; i++) await oneRun(); // warm-up: JIT, caches, compiled expressions
  db.reset();
  const sequential = (phase = newPhase());
  const ids: string[] = [];
  for (let i = 0; i < sequentialRuns; i++) ids.push(await oneRun());
  phase = undefined;
  const statements = db.report().slice(0, 6);

  const gaps = await db.query<{ gap: number }>(
    `SELECT extract(epoch FROM (started_at - lag(finished_at) OVER (PARTITION BY run_id ORDER BY id))) * 1000 AS gap
     FROM step_attempts WHERE run_id = ANY($1)`, [ids],
  );
  const stored = gaps.rows.map((r) => r.gap).filter((g) => g !== null).map(Number);
  const whole = await db.query<{ per: number }>(
    `SELECT extract(epoch FROM (max(a.finished_at) - min(a.started_at))) * 1000 / ${steps} AS per
     FROM step_attempts a WHERE a.run_id = ANY($1) GROUP BY a.run_id`, [ids],
  );

  // The same transitions while `loadedParallel` runs go through the worker at once.
  const loaded = (phase = newPhase());
  let left = loadedRuns;
  await Promise.all(Array.from({ length: loadedParallel }, async () => {
    while (left-- > 0) await oneRun();
  }));
  phase = undefined;

  await engine.stop();
  if (engine.errors.length) console.error('engine errors', engine.errors.slice(0, 3));
  await bench.dispose();
  return {
    transitions: summarize(sequential.transitions),
    stored: summarize(stored),
    write: summarize(sequential.writes),
    gap: summarize(sequential.gaps),
    perStepWholeRun: summarize(whole.rows.map((r) => Number(r.per))),
    loaded: summarize(loaded.transitions),
    statements: table(['statement (sequential phase)', 'count', 'p50', 'p99', 'total'],
      statements.map((s) => [s.label, s.n, ms(s.p50), ms(s.p99), ms(s.totalMs)])),
  };
}

const began = Date.now();
const background = await waitForQuiet();
const figures: Figure[] = [];
const details: string[] = [];
const target = 'Step transition overhead';
const others: number[] = [];
for (const kind of selectedDatabases()) {
  const { value: m, otherPct } = await otherWorkDuring(() => measure(kind));
  others.push(otherPct);
  const p99Aim = kind === 'postgres' ? 15 : 20;
  const setting = `1 run at a time, ${steps}-step transform chain, concurrency 8`;
  if (kind === 'postgres') {
    figures.push({ target, database: kind, metric: 'transition p50 (in-process, incl. the next no-op step)', value: ms(m.transitions.p50), aim: '<= 3 ms', met: m.transitions.p50 <= 3, setting });
  } else {
    figures.push({ target, database: kind, metric: 'transition p50 (in-process, incl. the next no-op step)', value: ms(m.transitions.p50), aim: '', met: null, setting });
  }
  figures.push({ target, database: kind, metric: 'transition p99 (in-process, incl. the next no-op step)', value: ms(m.transitions.p99), aim: `<= ${p99Aim} ms`, met: m.transitions.p99 <= p99Aim, setting });
  figures.push({ target, database: kind, metric: 'transition p50 / p99 (stored timestamps)', value: `${ms(m.stored.p50)} / ${ms(m.stored.p99)}`, aim: '', met: null, setting });
  figures.push({ target, database: kind, metric: `transition p50 / p99 with ${loadedParallel} runs in flight`, value: `${ms(m.loaded.p50)} / ${ms(m.loaded.p99)}`, aim: '', met: null, setting: `${loadedParallel} runs at once, concurrency 8` });
  details.push(
    `**${kind}**`,
    '',
    table(['part of a transition', 'p50', 'p95', 'p99', 'max', 'n'], [
      ['transition + next no-op step (write start -> next write start)', ms(m.transitions.p50), ms(m.transitions.p95), ms(m.transitions.p99), ms(m.transitions.max), m.transitions.n],
      ['  fenced write (UPDATE runs + INSERT attempt, commit)', ms(m.write.p50), ms(m.write.p95), ms(m.write.p99), ms(m.write.max), m.write.n],
      ['  write end -> next write start (executor, statements in between, no-op handler)', ms(m.gap.p50), ms(m.gap.p95), ms(m.gap.p99), ms(m.gap.max), m.gap.n],
      ['stored gap finished_at(N) -> started_at(N+1)', ms(m.stored.p50), ms(m.stored.p95), ms(m.stored.p99), ms(m.stored.max), m.stored.n],
      ['whole run / steps (stored timestamps)', ms(m.perStepWholeRun.p50), ms(m.perStepWholeRun.p95), ms(m.perStepWholeRun.p99), ms(m.perStepWholeRun.max), m.perStepWholeRun.n],
      [`transition with ${loadedParallel} runs in flight`, ms(m.loaded.p50), ms(m.loaded.p95), ms(m.loaded.p99), ms(m.loaded.max), m.loaded.n],
    ]),
    '',
    m.statements,
    '',
  );
  console.log(kind, 'transition', describeSummary(m.transitions));
}
saveResult({ name: 'step-transition', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details: details.join('\n'), backgroundBusyPct: background, otherDuringPct: Math.max(...others) });
