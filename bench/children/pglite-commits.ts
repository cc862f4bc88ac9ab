// Commits on the run-insert path (startRun: deployment lookup + INSERT runs ... RETURNING + NOTIFY)
// on an embedded PGlite in a fresh data folder, fsync on or off (BENCH_FSYNC). Prints one JSON
// line with the latencies. With BENCH_ATTACH=1 it waits on stdin after the warm-up (and again
// after the measured runs) so the parent can count system calls of the measured runs only.
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { migrate, openPglite } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { tempFolder } from '../lib/databases.js';
import { summarize } from '../lib/stats.js';
import { timeDb } from '../lib/timed-db.js';
import { chainWorkflow, deploy } from '../lib/workflows.js';

const fsync = process.env.BENCH_FSYNC === '1';
const runs = Number(process.env.BENCH_RUNS ?? 500);
const dataDir = tempFolder('commits');
const db = timeDb(await openPglite({ dataDir, fsync }));
// Candidate setting (not Keel's): fsync stays off, but each commit writes its WAL to the OS.
if (process.env.BENCH_SYNC_COMMIT === '1') await db.query('SET synchronous_commit = on');
await migrate(db);
await deploy(db, chainWorkflow('three', 3));
const start = (n: number) => startRun(db, { workflowId: 'three', stage: 'production', trigger: 'manual', input: { n } });
for (let i = 0; i < 50; i++) await start(i);
db.reset();
// Under strace: say so and wait until the parent has attached, so only the measured runs are counted.
const lines = process.env.BENCH_ATTACH === '1' ? createInterface({ input: process.stdin })[Symbol.asyncIterator]() : undefined;
if (lines) {
  console.log(`ready ${process.pid}`);
  await lines.next();
}
const latencies: number[] = [];
const t0 = performance.now();
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  await start(i);
  latencies.push(performance.now() - t);
}
const wallMs = performance.now() - t0;
if (lines) {
  console.log('measured');
  await lines.next();
}
const insert = db.report().find((s) => s.label.startsWith('insert run'));
await db.close();
rmSync(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ fsync, runs, runsPerSec: runs / (wallMs / 1000), startRun: summarize(latencies), insert }));
