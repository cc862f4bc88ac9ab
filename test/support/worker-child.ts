// A Keel worker in its own process, for the crash tests: started with
//   node --import tsx test/support/worker-child.ts
// It reads its configuration from the environment like `keel worker` would (DATABASE_URL or
// KEEL_DATA_DIR, KEEL_FAULTS, KEEL_LEASE_MS, KEEL_HEARTBEAT_MS, ...), opens and migrates the
// database, starts workers with loopback-only egress and prints `READY <epoch ms> <worker id>`.
// Faults armed through KEEL_FAULTS kill (or stop) this process and print `KEEL_FAULT_FIRED ...` on
// stderr first. With KEEL_CHILD_WATCH=1 it also prints `SETTLED <run id> <status> <epoch ms>` once
// for every run it sees terminal or waiting, and a line `START <json>` on stdin starts a run
// (startRun with stage production and trigger manual unless given) and prints `STARTED <run id>`:
// on PGlite, whose data folder only one process may open, the test can do neither itself while this
// process lives. SIGTERM (or stdin closing, i.e. the test process died) stops it cleanly: workers
// finish the runs in hand, the database is closed, it prints `STOPPED` and exits 0.
// A test helper, so reading process.env here is fine.
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config/index.js';
import { randomBytes } from 'node:crypto';
import { createConnectorRuntime, createEgressClient, secretKeyFromText } from '../../src/connectors/index.js';
import { migrate, openDb } from '../../src/db/index.js';
import { createEngine, startRun, type StartRunInput } from '../../src/engine/index.js';

const settledStatuses = ['waiting', 'succeeded', 'failed', 'rejected', 'canceled', 'outcome_unknown'];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function main(): Promise<void> {
  const config = loadConfig({ env: process.env });
  const db = await openDb(config);
  await migrate(db);
  const engine = createEngine({
    db,
    egress: createEgressClient({ allowHosts: ['127.0.0.1'] }),
    // The crash tests' connectors need no secret; a key of the moment keeps the runtime real.
    connectors: createConnectorRuntime({ db, secretKey: secretKeyFromText(randomBytes(32).toString('hex'), 'worker child'), allowHosts: ['127.0.0.1'] }),
    workers: config.workers,
    scheduler: config.scheduler,
    faults: config.faults,
    models: { configs: config.models, providerKeys: config.providerKeys },
    onError: (message, error) => process.stderr.write(`KEEL_CHILD_ERROR ${message}: ${describeError(error)}\n`),
  });

  const seen = new Set<string>();
  let watching = process.env.KEEL_CHILD_WATCH === '1';
  let watchTimer: NodeJS.Timeout | undefined;
  const watch = async (): Promise<void> => {
    try {
      const r = await db.query<{ id: string; status: string }>(
        `SELECT id, status FROM runs WHERE status = ANY($1::text[]) ORDER BY id`, [settledStatuses],
      );
      for (const run of r.rows) {
        if (seen.has(run.id)) continue;
        seen.add(run.id);
        say(`SETTLED ${run.id} ${run.status} ${Date.now()}`);
      }
    } catch (error) {
      process.stderr.write(`KEEL_CHILD_ERROR watching runs: ${describeError(error)}\n`);
    }
    if (watching) watchTimer = setTimeout(() => void watch(), 50);
  };

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      watching = false;
      clearTimeout(watchTimer);
      await engine.stop();
      await db.close();
      say('STOPPED');
      process.exit(0);
    })().catch((error: unknown) => {
      process.stderr.write(`KEEL_CHILD_ERROR stopping: ${describeError(error)}\n`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The test process talks to this one through pipes; if it dies, stdin closes and this one stops too.
  const commands = createInterface({ input: process.stdin });
  commands.on('close', stop);
  process.stdin.on('error', stop);
  commands.on('line', (line) => {
    const [word, ...rest] = line.split(' ');
    if (word !== 'START') return;
    const request = JSON.parse(rest.join(' ')) as Partial<StartRunInput> & { workflowId: string };
    startRun(db, { stage: 'production', trigger: 'manual', input: {}, ...request })
      .then(({ run }) => say(`STARTED ${run.id}`))
      .catch((error: unknown) => process.stderr.write(`KEEL_CHILD_ERROR starting a run: ${describeError(error)}\n`));
  });

  if (config.workers.enabled) await engine.startWorkers();
  say(`READY ${Date.now()} ${engine.worker.id}`);
  if (watching) void watch();
}

main().catch((error: unknown) => {
  process.stderr.write(`KEEL_CHILD_ERROR starting: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
