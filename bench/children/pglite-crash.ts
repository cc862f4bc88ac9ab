// Acknowledged runs and a crash: opens PGlite on BENCH_DATA_DIR (fsync from BENCH_FSYNC), starts
// BENCH_RUNS runs one after another (each startRun has returned, as a webhook's 202 would have been
// sent), prints how many, then kills itself with SIGKILL: no shutdown, no checkpoint.
// BENCH_SYNC_COMMIT=1 tries fsync off with synchronous_commit on (a candidate, not Keel's setting).
import { migrate, openPglite } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { chainWorkflow, deploy } from '../lib/workflows.js';

const db = await openPglite({ dataDir: process.env.BENCH_DATA_DIR!, fsync: process.env.BENCH_FSYNC === '1' });
// Candidate setting (not Keel's): fsync stays off, but each commit writes its WAL to the OS.
if (process.env.BENCH_SYNC_COMMIT === '1') await db.query('SET synchronous_commit = on');
await migrate(db);
await deploy(db, chainWorkflow('three', 3));
await db.exec('CHECKPOINT');
const runs = Number(process.env.BENCH_RUNS ?? 200);
for (let i = 0; i < runs; i++) await startRun(db, { workflowId: 'three', stage: 'production', trigger: 'manual', input: { n: i } });
console.log(`acknowledged ${runs}`);
process.kill(process.pid, 'SIGKILL');
