// `keel worker`: a process that only executes runs, next to `keel serve --no-workers` processes.
import { exitCodes, type CommandSpec } from '../command.js';
import { printJson } from '../output.js';

export const workerCommand: CommandSpec = {
  path: ['worker'],
  usage: 'keel worker',
  summary: 'Run a worker process that executes runs (PostgreSQL only, via DATABASE_URL)',
  args: { min: 0, max: 0 },
  async run(ctx) {
    const config = ctx.loadConfig();
    if (!config.database.url) {
      ctx.io.err('error: a separate worker process needs PostgreSQL: the embedded database (PGlite) belongs to the one process that opened it');
      ctx.io.err('hint: set DATABASE_URL to a PostgreSQL database shared with `keel serve --no-workers`, or run `keel serve`, which has workers built in');
      return exitCodes.usage;
    }
    const { startKeel } = await import('../../app.js');
    const keel = await startKeel(config, { http: false, workers: true, scheduler: false, loadWorkflows: false });
    if (ctx.json) printJson(ctx.io, { worker: 'running', database: keel.db.caps.kind, concurrency: config.workers.concurrency });
    else ctx.io.out(`worker running (${config.workers.concurrency} runs at once); press Ctrl-C to stop`);
    await ctx.io.waitForStop();
    await keel.stop();
    return 0;
  },
};
