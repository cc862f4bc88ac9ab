// A `keel worker`-like process: startKeel with the worker role on DATABASE_URL. It opens the
// database first and starts claiming only on "go", so every worker process starts together.
// BENCH_PROFILE=1 composes the same engine over a timing wrapper of the Db port and reports
// per-statement timings on "stop".
import { startKeel } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { randomBytes } from 'node:crypto';
import { createConnectorRuntime, createEgressClient, secretKeyFromText } from '../../src/connectors/index.js';
import { openDb } from '../../src/db/index.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { fromParent, tellParent } from '../lib/children.js';
import { timeDb, type TimedDb } from '../lib/timed-db.js';

const config = loadConfig({
  file: '/nonexistent/keel.yaml',
  env: {
    DATABASE_URL: process.env.DATABASE_URL,
    KEEL_WORKER_CONCURRENCY: process.env.BENCH_CONCURRENCY ?? '8',
    KEEL_DB_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? '10',
    KEEL_LOG_LEVEL: 'warn',
  },
});

let engine: Engine;
let stop: () => Promise<void>;
let timed: TimedDb | undefined;
if (process.env.BENCH_PROFILE === '1') {
  timed = timeDb(await openDb(config));
  engine = createEngine({
    db: timed, egress: createEgressClient({ allowHosts: [] }), workers: config.workers, scheduler: config.scheduler,
    connectors: createConnectorRuntime({ db: timed, secretKey: secretKeyFromText(randomBytes(32).toString('hex'), 'bench'), allowHosts: [] }),
    onError: (message, error) => console.error(message, error),
  });
  stop = async () => {
    await engine.stop();
    await timed!.close();
  };
} else {
  const keel = await startKeel(config, { http: false, workers: false, scheduler: false, loadWorkflows: false });
  engine = keel.engine;
  stop = () => keel.stop();
}
tellParent({ type: 'ready' });
await fromParent('go');
const cpu0 = process.cpuUsage();
await engine.startWorkers();
await fromParent('stop');
await stop();
const cpu = process.cpuUsage(cpu0);
tellParent({ type: 'stopped', cpuMs: (cpu.user + cpu.system) / 1000, statements: timed?.report() ?? [] });
process.exit(0);
