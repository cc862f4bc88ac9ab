// `keel serve`: the HTTP API, scheduler and (unless --no-workers) workers in this process.
import { parseInteger, type CommandSpec } from '../command.js';
import { printJson } from '../output.js';

const usage = 'keel serve [--no-workers] [--port N] [--host H] [--data-dir D]';

export const serveCommand: CommandSpec = {
  path: ['serve'],
  usage,
  summary: 'Run Keel: HTTP API, scheduler and workers, loading the workflow files',
  options: {
    'no-workers': { type: 'boolean', description: 'do not execute runs here (run `keel worker` processes; needs PostgreSQL)' },
    port: { type: 'string', value: 'N', description: 'port to listen on (KEEL_PORT; default 4300; 0 picks a free one)' },
    host: { type: 'string', value: 'H', description: 'address to listen on (KEEL_HOST; default 127.0.0.1)' },
    'data-dir': { type: 'string', value: 'D', description: 'folder of the embedded database (KEEL_DATA_DIR; default .keel/data)' },
  },
  args: { min: 0, max: 0 },
  async run(ctx) {
    const portText = ctx.string('port');
    const port = portText === undefined ? undefined : parseInteger(portText, '--port', 0, 65535, usage);
    const noWorkers = ctx.bool('no-workers');
    const config = ctx.loadConfig({
      server: { port, host: ctx.string('host') },
      database: { dataDir: ctx.string('data-dir') },
    });
    const roles = { http: true, workers: !noWorkers && config.workers.enabled, scheduler: true, loadWorkflows: true };
    // Loaded here, not at the top: the client commands should not pay for the database and engine.
    const { startKeel } = await import('../../app.js');
    const keel = await startKeel(config, roles);
    if (ctx.json) printJson(ctx.io, { url: keel.url, database: keel.db.caps.kind, roles, ...(keel.setupLink ? { setup_link: keel.setupLink.url } : {}) });
    else {
      ctx.io.out(`Keel is running at ${keel.url}  (API docs: ${keel.url}/docs)`);
      if (keel.setupLink) {
        ctx.io.out('No user exists yet. Make the first admin by opening this link (valid once, for 30 minutes):');
        ctx.io.out(`  ${keel.setupLink.url}`);
        // The embedded database is open in this process only, so the local command must wait for a stop.
        ctx.io.out(keel.db.caps.multiProcess
          ? 'or run on this machine: keel users create EMAIL --admin'
          : 'or stop Keel (Ctrl-C) and run: keel users create EMAIL --admin');
      }
      if (!roles.workers) ctx.io.out('workers are off in this process: runs wait until a `keel worker` claims them');
      ctx.io.out('press Ctrl-C to stop');
    }
    await ctx.io.waitForStop();
    if (!ctx.json) ctx.io.out('stopping: runs in hand reach their next stored state first');
    await keel.stop();
    return 0;
  },
};
