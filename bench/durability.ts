// Durability of the embedded default: commit latency and rate of the run-insert path (startRun)
// on PGlite with database.fsync false (the default) and true, each in a fresh process and data
// folder; the same path on PostgreSQL (synchronous_commit on) for reference. Each PGlite mode is
// also run under `strace -c` to count the sync and write system calls that reach the kernel, and
// crashed (SIGKILL after acknowledged inserts) to see what a restart finds.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { openPglite } from '../src/db/index.js';
import { startRun } from '../src/engine/index.js';
import { benchDir, defaultPgliteFsync, openBenchDatabase, repoDir, tempFolder } from './lib/databases.js';
import { otherWorkDuring, waitForQuiet } from './lib/quiet.js';
import { saveResult, table, type Figure } from './lib/results.js';
import { ms, rate, sleep, summarize, type Summary } from './lib/stats.js';
import { chainWorkflow, deploy } from './lib/workflows.js';

const runs = Number(process.env.BENCH_COMMIT_RUNS ?? 1_000);
const child = join(benchDir, 'children', 'pglite-commits.ts');
const straceRuns = 300;
/** The file and sync system calls shown per run. */
const shownCalls = ['fsync', 'fdatasync', 'msync', 'openat', 'close', 'pwrite64', 'pread64', 'write', 'read', 'statx', 'chmod', 'utimensat'];

interface Measured { fsync: boolean; runsPerSec: number; startRun: Summary; insert?: Summary }

/** PGlite modes: Keel's two settings, and a candidate (fsync off, synchronous_commit on) set by the child. */
interface Mode { name: string; fsync: boolean; syncCommit: boolean }
const isDefault = (fsync: boolean) => (fsync === defaultPgliteFsync ? ' (default)' : '');
const modes: Mode[] = [
  { name: `fsync off${isDefault(false)}`, fsync: false, syncCommit: false },
  { name: 'fsync off + synchronous_commit on (candidate, not a Keel setting)', fsync: false, syncCommit: true },
  { name: `fsync on${isDefault(true)}`, fsync: true, syncCommit: false },
];
const modeEnv = (m: Mode) => ({ BENCH_FSYNC: m.fsync ? '1' : '0', BENCH_SYNC_COMMIT: m.syncCommit ? '1' : '0' });

function measurePglite(mode: Mode): Measured {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child], { cwd: repoDir, env: { ...process.env, ...modeEnv(mode), BENCH_RUNS: String(runs) }, encoding: 'utf8', timeout: 110_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`pglite-commits failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as Measured;
}

/**
 * System calls per startRun of the measured runs only: the child warms up, then `strace -c` attaches
 * to every thread of it for the measured runs (null without strace).
 */
async function syscalls(mode: Mode): Promise<Record<string, number> | null> {
  if (spawnSync('strace', ['-V']).status !== 0) return null;
  const folder = tempFolder('strace');
  const out = join(folder, 'strace.txt');
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    cwd: repoDir, env: { ...process.env, ...modeEnv(mode), BENCH_RUNS: String(straceRuns), BENCH_ATTACH: '1' }, stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const expect = async (prefix: string) => {
    for (;;) {
      const l = await lines.next();
      if (l.done) throw new Error(`pglite-commits ended before "${prefix}"`);
      if (l.value.startsWith(prefix)) return l.value;
    }
  };
  try {
    await expect('ready');
    const tids = readdirSync(`/proc/${proc.pid}/task`);
    const tracer = spawn('strace', ['-c', '-o', out, ...tids.flatMap((t) => ['-p', t])], { stdio: 'ignore' });
    await sleep(1_000); // attaching to every thread takes a moment
    proc.stdin!.write('go\n');
    await expect('measured');
    tracer.kill('SIGINT');
    await new Promise((resolve) => tracer.on('exit', resolve));
    proc.stdin!.write('go\n');
    await expect('{');
    const counts: Record<string, number> = { fsync: 0, fdatasync: 0, sync_file_range: 0, syncfs: 0, msync: 0 };
    for (const l of readFileSync(out, 'utf8').split('\n')) {
      const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(l);
      if (m) counts[m[2]!] = Number(m[1]);
    }
    return counts;
  } finally {
    proc.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Runs acknowledged before a SIGKILL that are there after a restart, on a fresh data folder. */
async function crash(mode: Mode, runs: number): Promise<number> {
  const dataDir = tempFolder('crash');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, 'children', 'pglite-crash.ts')], {
      cwd: repoDir, env: { ...process.env, ...modeEnv(mode), BENCH_DATA_DIR: dataDir, BENCH_RUNS: String(runs) }, encoding: 'utf8', timeout: 60_000,
    });
    if (!r.stdout.includes(`acknowledged ${runs}`) || r.signal !== 'SIGKILL') throw new Error(`pglite-crash did not run as planned: ${r.stdout} ${r.stderr.slice(-1000)}`);
    const db = await openPglite({ dataDir, fsync: false });
    try {
      return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs')).rows[0]!.n;
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measurePostgres(): Promise<Measured> {
  const bench = await openBenchDatabase('postgres');
  try {
    await deploy(bench.db, chainWorkflow('three', 3));
    const start = (n: number) => startRun(bench.db, { workflowId: 'three', stage: 'production', trigger: 'manual', input: { n } });
    for (let i = 0; i < 50; i++) await start(i);
    const latencies: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await start(i);
      latencies.push(performance.now() - t);
    }
    return { fsync: true, runsPerSec: runs / ((performance.now() - t0) / 1000), startRun: summarize(latencies) };
  } finally {
    await bench.dispose();
  }
}

const began = Date.now();
const background = await waitForQuiet();
const { value: [measured, pgRef], otherPct } = await otherWorkDuring(async () => [modes.map(measurePglite), await measurePostgres()] as const);
const crashRuns = 200;
const survived: number[] = [];
for (const m of modes) survived.push(await crash(m, crashRuns));
const sys: Array<Record<string, number> | null> = [];
for (const m of modes) sys.push(await syscalls(m));
const target = 'Durability of the embedded default';
const setting = `${runs} sequential startRun calls, fresh data folder`;
const [off, candidate, on] = measured as [Measured, Measured, Measured];
const figures: Figure[] = [
  { target, database: 'pglite', metric: `run insert p50 / p99, fsync off${isDefault(false)}`, value: `${ms(off.startRun.p50)} / ${ms(off.startRun.p99)}`, aim: '', met: null, setting },
  { target, database: 'pglite', metric: `run insert p50 / p99, fsync on${isDefault(true)}`, value: `${ms(on.startRun.p50)} / ${ms(on.startRun.p99)}`, aim: '', met: null, setting },
  { target, database: 'pglite', metric: 'run insert p50 / p99, fsync off + synchronous_commit on (candidate)', value: `${ms(candidate.startRun.p50)} / ${ms(candidate.startRun.p99)}`, aim: '', met: null, setting },
  { target, database: 'pglite', metric: 'runs/s inserted one at a time, fsync off -> on', value: `${rate(off.runsPerSec, '')} -> ${rate(on.runsPerSec, 'runs/s')} (p50 x${(on.startRun.p50 / off.startRun.p50).toFixed(2)})`, aim: 'report the cost', met: null, setting },
  { target, database: 'pglite', metric: 'acknowledged runs found after kill -9 and restart', value: modes.map((m, i) => `${m.name.replace(/ \(.*\)/, '')}: ${survived[i]}/${crashRuns}`).join('; '), aim: '', met: null, setting: `${crashRuns} startRun calls returned, then SIGKILL, then reopen` },
  { target, database: 'pglite', metric: 'fsync/fdatasync system calls per run, fsync on', value: sys[2] ? (((sys[2].fsync ?? 0) + (sys[2].fdatasync ?? 0)) / straceRuns).toFixed(2) : 'strace missing', aim: '', met: null, setting: `strace -c, ${straceRuns} runs` },
  { target, database: 'postgres', metric: 'run insert p50 / p99 (synchronous_commit on, reference)', value: `${ms(pgRef.startRun.p50)} / ${ms(pgRef.startRun.p99)}`, aim: '', met: null, setting },
];
const sysRow = (name: string, s: Record<string, number> | null) => s
  ? [name, ...shownCalls.map((k) => ((s[k] ?? 0) / straceRuns).toFixed(2))]
  : [name, 'strace not installed', ...shownCalls.slice(1).map(() => '')];
const details = [
  table(['mode', 'startRun p50', 'p95', 'p99', 'max', 'runs/s (one at a time)', 'INSERT statement p50', `acknowledged runs after kill -9 (of ${crashRuns})`], [
    ...modes.map((m, i) => {
      const x = measured[i]!;
      return [`PGlite ${m.name}`, ms(x.startRun.p50), ms(x.startRun.p95), ms(x.startRun.p99), ms(x.startRun.max), rate(x.runsPerSec, ''), x.insert ? ms(x.insert.p50) : '', String(survived[i])];
    }),
    ['PostgreSQL (reference)', ms(pgRef.startRun.p50), ms(pgRef.startRun.p95), ms(pgRef.startRun.p99), ms(pgRef.startRun.max), rate(pgRef.runsPerSec, ''), '', ''],
  ]),
  '',
  `System calls per startRun, counted with \`strace -c\` over ${straceRuns} runs (attached to every thread of the process for the measured runs only):`,
  '',
  table(['mode', ...shownCalls], modes.map((m, i) => sysRow(`PGlite ${m.name}`, sys[i]!))),
].join('\n');
saveResult({ name: 'durability', title: target, finishedAt: new Date().toISOString(), durationMs: Date.now() - began, figures, details, backgroundBusyPct: background, otherDuringPct: otherPct, data: { measured, pgRef, sys, survived } });
