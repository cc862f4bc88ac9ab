// The composition root: config -> logger -> database -> migrations -> workflows -> engine -> HTTP.
// Nothing else wires slices together.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config/index.js';
import { createEgressClient } from './connectors/index.js';
import { migrate, openDb, type Db } from './db/index.js';
import { firstAdminLink, localAccess } from './auth/index.js';
import { createEngine, type Engine } from './engine/index.js';
import { isKeelError, KeelError } from './errors.js';
import { createHttpApp } from './http/app.js';
import { createLogger, type Logger } from './logging.js';
import { deployWorkflow } from './registry/index.js';

export const keelVersion = '0.1.0';

export interface KeelRoles {
  http: boolean;
  workers: boolean;
  scheduler: boolean;
  /** Deploy workflowsDir/*.yaml at start (serve does; a bare worker does not). */
  loadWorkflows: boolean;
}

export interface RunningKeel {
  db: Db;
  engine: Engine;
  logger: Logger;
  /** The bound address when HTTP is served (port 0 picks a free one). */
  url?: string;
  /**
   * When no user exists yet: the one-time link (valid once, for 30 minutes) that makes the first
   * admin. The caller shows it to the person at the terminal; it never goes to the log.
   */
  setupLink?: { url: string; expiresAt: Date };
  stop(): Promise<void>;
}

export async function startKeel(config: Readonly<Config>, roles: KeelRoles, logger = createLogger(config.logLevel)): Promise<RunningKeel> {
  const started = Date.now();
  const db = await openDb(config);
  const applied = await migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  if (roles.loadWorkflows) await loadWorkflowFiles(db, config, logger);

  const onError = (message: string, error: unknown) => logger.error({ error }, message);
  // One guarded client for the process: workflow actions and the OIDC sign-in both go through it.
  const egress = createEgressClient({ allowHosts: [...config.egress.allowHosts] });
  const engine = createEngine({
    db, egress,
    workers: config.workers, scheduler: config.scheduler, faults: config.faults, onError,
  });
  if (roles.workers) await engine.startWorkers();
  if (roles.scheduler) await engine.startScheduler();

  let server: ServerType | undefined;
  let url: string | undefined;
  let setupLink: RunningKeel['setupLink'];
  if (roles.http) {
    const app = createHttpApp({
      db, bodyLimitBytes: config.server.bodyLimitBytes, secrets: config.secrets, version: keelVersion, logError: onError,
      auth: config.auth, serverUrl: () => url ?? `http://${config.server.host}:${config.server.port}`, egress,
    });
    const address = await new Promise<{ port: number }>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) => resolve(info));
      // A taken port is an error of this start, not an uncaught event later.
      server.once('error', (error) => reject(new KeelError('misconfigured', `Cannot listen on ${config.server.host}:${config.server.port}: ${error.message}`, {
        hint: 'Choose another port with --port or KEEL_PORT, or stop the process that holds it.', cause: error,
      })));
    }).catch(async (error: unknown) => {
      await engine.stop();
      await db.close();
      throw error;
    });
    url = `http://${config.server.host}:${address.port}`;
    const link = await firstAdminLink(db);
    if (link) setupLink = { url: `${(config.auth.publicUrl ?? url).replace(/\/+$/, '')}/setup#token=${link.secret}`, expiresAt: link.expiresAt };
  }
  logger.info({ url, database: db.caps.kind, roles, ms: Date.now() - started }, 'keel is ready');
  return {
    db, engine, logger, url, setupLink,
    async stop() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await engine.stop();
      await db.close();
    },
  };
}

/** Deploys every workflow file of the folder; a file with problems is reported and skipped, never half-deployed. */
async function loadWorkflowFiles(db: Db, config: Readonly<Config>, logger: Logger): Promise<void> {
  let files: string[];
  try {
    files = (await readdir(config.workflowsDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    logger.warn({ dir: config.workflowsDir }, 'no workflows folder; nothing loaded');
    return;
  }
  for (const file of files) {
    const path = join(config.workflowsDir, file);
    try {
      const r = await deployWorkflow(db, { source: await readFile(path, 'utf8'), sourceName: path, stage: config.loadStage, actor: 'keel:startup' });
      logger.info({ workflow: r.workflow.id, version: r.version.number, stage: config.loadStage, changed: r.deploymentChanged }, 'workflow loaded');
    } catch (error) {
      if (!isKeelError(error)) throw error;
      logger.error({ file: path, problems: error.problems, message: error.message }, 'workflow file not deployed');
    }
  }
}

/**
 * The API served inside this process to the CLI on the database's own machine (`keel --local`):
 * requests act as the local operating-system user, who can read the database files anyway. The
 * embedded database's folder lock keeps this from running beside a `keel serve` on the same data.
 */
export async function openLocalApi(config: Readonly<Config>, osUser: string, logError: (message: string) => void): Promise<{ request(path: string, init: RequestInit): Promise<Response>; close(): Promise<void> }> {
  const db = await openDb(config);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  const app = createHttpApp({
    db, bodyLimitBytes: config.server.bodyLimitBytes, secrets: config.secrets, version: keelVersion,
    logError: (message, error) => logError(`${message}: ${error instanceof Error ? error.message : String(error)}`),
    auth: config.auth, serverUrl: () => config.auth.publicUrl ?? config.apiUrl, local: localAccess(osUser),
  });
  return { request: async (path, init) => app.request(path, init), close: () => db.close() };
}
