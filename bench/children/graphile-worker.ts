// graphile-worker in a child process for the side-by-side comparison: `run` with a no-op task,
// the given concurrency and pool, batching left off (its defaults: no local queue, no batched
// completion). It starts idle and reports "ready"; the parent then adds the jobs in one batch.
import { Logger, run, type Runner } from 'graphile-worker';
import { fromParent, tellParent } from '../lib/children.js';

const quiet = new Logger(() => (level, message) => {
  if (level === 'error') console.error(message);
});
const runner: Runner = await run({
  connectionString: process.env.DATABASE_URL,
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 8),
  maxPoolSize: Number(process.env.BENCH_POOL_SIZE ?? 10),
  pollInterval: 2_000,
  noHandleSignals: true,
  logger: quiet,
  taskList: { noop: async () => {} },
});
tellParent({ type: 'ready' });
const cpu0 = process.cpuUsage();
await fromParent('stop');
await runner.stop();
const cpu = process.cpuUsage(cpu0);
tellParent({ type: 'stopped', cpuMs: (cpu.user + cpu.system) / 1000 });
process.exit(0);
