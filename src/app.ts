// The composition root: config -> logger -> database -> migrations -> workflows -> engine -> HTTP.
// Nothing else wires slices together.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from './config/index.js';
import { applyFileGrants, connectorKinds, createConnectorRuntime, createEgressClient, loadConnectorFiles, loadSecretKey, secretsSealedWithOtherKeys, type SecretKey } from './connectors/index.js';
import { migrate, openDb, type Db } from './db/index.js';
import { firstAdminLink, localAccess } from './auth/index.js';
import { createEngine, type Engine } from './engine/index.js';
import { isKeelError, KeelError } from './errors.js';
import { createHttpApp } from './http/app.js';
import { createReviewReminders, type ReviewReminders } from './handoff/index.js';
import { createLogger, type Logger } from './logging.js';
import { deployWorkflow, setPaused } from './registry/index.js';
import { createMonitorLoop, createOtlpExporter, createRetention, createTracer, type LeaderLoop, type MonitorLoop, type OtlpExporter, type Retention, type Tracer } from './observe/index.js';
import { createEvalRunner, createShadowRunner } from './evals/index.js';
import { createStageCheck } from './promotion/index.js';
import { createModelServices, trainClassifierVersion, type ClassifierVersion, type ModelServices } from './models/index.js';
import { embedDocuments, loadLibraryFolder } from './prompts/index.js';
import { startReviewDeliveries, syncNotificationTargets, targetSecretsByUrl, type ReviewDeliveryLoop } from './review/index.js';

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
  /**
   * The instance key connector secrets are sealed with, loaded once at start: its id and origin
   * only (the bytes stay inside connectors/secrets). Pass it to readSecret/putSecret.
   */
  secretKey: SecretKey;
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
  // The instance key first: a refused key (bad KEEL_SECRET_KEY, guessable, key file open to others)
  // stops the start before anything is opened.
  const secretKey = await loadSecretKey(config.secretKey);
  if (secretKey.created) {
    logger.warn({ file: secretKey.file, key_id: secretKey.id }, 'created the instance key for connector secrets; back it up, and give every Keel process sharing this database the same key');
  }
  const db = await openDb(config);
  const applied = await migrate(db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const unreadable = await secretsSealedWithOtherKeys(db, secretKey.id);
  if (unreadable > 0) {
    logger.error({ count: unreadable, key_id: secretKey.id }, 'connector secrets sealed with another instance key cannot be read; start with that key or store them again');
  }
  if (roles.loadWorkflows) {
    // Connectors before workflows: a workflow's access list names them.
    const connectorLog = { logError: (message: string, facts: Record<string, unknown>) => logger.error(facts, message), logInfo: (message: string, facts: Record<string, unknown>) => logger.info(facts, message) };
    const connectorFiles = await loadConnectorFiles({ db, kinds: connectorKinds, secretKey, env: config.connectorSecrets, ...connectorLog }, config.connectorsDir);
    // Prompts first: deploying a workflow pins the library versions it refers to.
    await loadLibraryFolder(db, config.promptsDir, { label: 'production', actor: 'keel:startup', logger, models: Object.keys(config.models) });
    await loadWorkflowFiles(db, config, logger);
    // The grants connector files approve name workflows, so they come once those are deployed.
    await applyFileGrants(db, connectorFiles.grants, connectorLog);
    // The process that loads the workflow files also owns the notification targets: the table
    // follows keel.yaml, so a removed target stops being queued for.
    const synced = await syncNotificationTargets(db, config.notifications.webhooks);
    if (synced.created.length + synced.updated.length + synced.removed.length > 0) logger.info(synced, 'notification targets synced');
  }
  for (const hook of config.notifications.webhooks) {
    if (!config.deliverySecrets[hook.secretEnv]) logger.error({ target: hook.name, variable: hook.secretEnv }, 'notification target has no signing secret; its messages wait until the variable is set');
  }

  const onError = (message: string, error: unknown) => logger.error({ error }, message);
  // One guarded client for the process: workflow actions and the OIDC sign-in both go through it.
  const egress = createEgressClient({ allowHosts: [...config.egress.allowHosts] });
  // One set of model clients for the process: steps, library search and start-up embedding share it.
  const models = createModelServices({ configs: config.models, providerKeys: config.providerKeys, embedding: config.retrieval.embeddingModel, egress });
  // Each connector reaches the hosts it allow-lists besides the process-wide ones, nothing else private.
  const connectors = createConnectorRuntime({ db, secretKey, allowHosts: config.egress.allowHosts });
  const engine = createEngine({
    db, egress, connectors,
    workers: config.workers, scheduler: config.scheduler, faults: config.faults, onError,
    models,
  });
  const embedding = roles.loadWorkflows ? embedLibrary(db, models, logger) : Promise.resolve();
  // Classifiers train in the background so the server is ready at once; classify steps retry until then.
  const trainingAbort = new AbortController();
  const training = roles.loadWorkflows ? trainMissingClassifiers(db, config, logger, trainingAbort.signal) : Promise.resolve();
  let deliveries: ReviewDeliveryLoop | undefined;
  if (roles.workers) {
    await engine.startWorkers();
    // Review messages (decision callbacks, notifications) leave from the processes that do the work.
    deliveries = await startReviewDeliveries(db, {
      egress, pollMs: config.workers.pollMs, onError,
      targetSecrets: targetSecretsByUrl(config.notifications.webhooks, config.deliverySecrets),
      callbackSecret: config.deliverySecrets[config.reviews.callbackSecretEnv],
    });
  }
  let tracer: Tracer | undefined;
  let monitors: MonitorLoop | undefined;
  let reviewReminders: ReviewReminders | undefined;
  let retention: Retention | undefined;
  let otlpExporter: OtlpExporter | undefined;
  let evalRunner: LeaderLoop | undefined;
  let shadowRunner: LeaderLoop | undefined;
  if (roles.scheduler) {
    await engine.startScheduler();
    await engine.startMailPoller();
    tracer = createKeelTracer(db, config, onError);
    await tracer.start();
    // Monitors judge the rollups the tracer keeps; a stop condition pauses through the registry.
    monitors = createMonitorLoop({
      db, connectors, tickMs: config.observe.monitors.tickMs, onError,
      pauseStage: async ({ workflowId, stage, actor, reason }) => { await setPaused(db, workflowId, stage, true, actor, { reason }); },
    });
    await monitors.start();
    // A runbook's next_review that comes opens an incident once, from the same one process.
    reviewReminders = createReviewReminders({ db, onError });
    await reviewReminders.start();
    retention = createRetention({ db, ...config.observe.retention, onError });
    await retention.start();
    // Eval cases run as sandbox runs on the workers; one process starts and scores them.
    evalRunner = createEvalRunner({ db, models: models.router, onError });
    await evalRunner.start();
    // Shadow runs copy live runs to a candidate and compare the pairs, from the same one process.
    shadowRunner = createShadowRunner({ db, onError });
    await shadowRunner.start();
    // Spans out to the operator's collector (OTEL_EXPORTER_OTLP_*), from the same one process.
    if (config.observe.export) {
      otlpExporter = createOtlpExporter({ db, config: config.observe.export, serviceName: config.observe.serviceName, logger });
      await otlpExporter.start();
    }
  }

  let server: ServerType | undefined;
  let closeStreams = async () => {};
  let url: string | undefined;
  let setupLink: RunningKeel['setupLink'];
  if (roles.http) {
    const app = createHttpApp({
      db, bodyLimitBytes: config.server.bodyLimitBytes, secrets: config.secrets, version: keelVersion, logError: onError,
      auth: config.auth, serverUrl: () => url ?? `http://${config.server.host}:${config.server.port}`, egress, secretKey,
      models: { models: config.models, providerKeys: config.providerKeys },
      otlp: { redaction: config.observe.redaction },
      library: libraryEmbedding(models),
      callbackSecretConfigured: Boolean(config.deliverySecrets[config.reviews.callbackSecretEnv]),
      gates: config.gates,
    });
    closeStreams = app.closeStreams;
    const address = await new Promise<{ port: number }>((resolve, reject) => {
      server = serve({ fetch: app.fetch, port: config.server.port, hostname: config.server.host }, (info) => resolve(info));
      // A taken port is an error of this start, not an uncaught event later.
      server.once('error', (error) => reject(new KeelError('misconfigured', `Cannot listen on ${config.server.host}:${config.server.port}: ${error.message}`, {
        hint: 'Choose another port with --port or KEEL_PORT, or stop the process that holds it.', cause: error,
      })));
    }).catch(async (error: unknown) => {
      await deliveries?.stop();
      await evalRunner?.stop();
      await shadowRunner?.stop();
      await retention?.stop();
      await reviewReminders?.stop();
      await monitors?.stop();
      await tracer?.stop();
      await otlpExporter?.stop();
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
    db, engine, logger, secretKey, url, setupLink,
    async stop() {
      // Open event streams first: closing the server waits for every open connection, and a stream
      // would hold its connection forever.
      await closeStreams();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      trainingAbort.abort();
      await Promise.all([training, embedding]);
      await deliveries?.stop();
      await evalRunner?.stop();
      await shadowRunner?.stop();
      await retention?.stop();
      await reviewReminders?.stop();
      await monitors?.stop();
      await tracer?.stop();
      await otlpExporter?.stop();
      await engine.stop();
      await db.close();
    },
  };
}

/** Spans and rollups from what runs did (src/observe/tracer.ts), in the process that runs the scheduler. */
function createKeelTracer(db: Db, config: Readonly<Config>, onError: (message: string, error: unknown) => void): Tracer {
  const { observe } = config;
  return createTracer({
    db, redaction: observe.redaction, tickMs: observe.tracer.tickMs, batch: observe.tracer.batch, onError,
  });
}

/** Library search's embedding function, with a deadline of its own (a search request has no run to abort it). */
function libraryEmbedding(models: ModelServices): { embed: (texts: string[]) => Promise<number[][]>; embeddingModel: string } | undefined {
  const { embed, embeddingModel } = models;
  if (!embed || !embeddingModel) return undefined;
  return { embed: (texts) => embed(texts, AbortSignal.timeout(2 * 60_000)), embeddingModel };
}

/** Computes the embeddings library documents lack; a failure is logged and search falls back to full text. */
async function embedLibrary(db: Db, models: ModelServices, logger: Logger): Promise<void> {
  const library = libraryEmbedding(models);
  if (!library) return;
  try {
    const stored = await embedDocuments(db, library.embeddingModel, library.embed);
    logger.info({ model: library.embeddingModel, stored }, 'library documents embedded');
  } catch (error) {
    logger.error({ model: library.embeddingModel, message: error instanceof Error ? error.message : String(error) }, 'library documents not embedded; search falls back to full text');
  }
}

/** Held by the one process that trains at start, so several API processes on one PostgreSQL do not all train the same file. */
const trainingLockKey = 7_346_003;

async function trainMissingClassifiers(db: Db, config: Readonly<Config>, logger: Logger, signal: AbortSignal): Promise<void> {
  if (!Object.values(config.models).some((m) => m.provider === 'classifier')) return;
  const release = await db.tryLeaderLock(trainingLockKey);
  if (!release) {
    logger.info('another Keel process is training the classifiers');
    return;
  }
  try {
    await trainEach(db, config, logger, signal);
  } finally {
    await release();
  }
}

async function trainEach(db: Db, config: Readonly<Config>, logger: Logger, signal: AbortSignal): Promise<void> {
  for (const [name, model] of Object.entries(config.models)) {
    if (model.provider !== 'classifier' || signal.aborted) continue;
    try {
      let reported = -1;
      const { version, created } = await trainClassifierVersion(db, {
        name, config: model, actor: 'keel:startup', signal,
        onProgress: (p) => {
          const pct = p.total > 0 ? Math.floor((p.done / p.total) * 4) * 25 : 0;
          if (pct !== reported) logger.info({ classifier: name, phase: p.phase, percent: pct }, 'training classifier');
          reported = pct;
        },
      });
      logger.info({ classifier: name, version: version.id, created, ms: version.info.trainingMs }, created ? 'classifier trained' : 'classifier up to date');
    } catch (error) {
      if (signal.aborted) return;
      logger.error({ classifier: name, message: error instanceof Error ? error.message : String(error), problems: isKeelError(error) ? error.problems : undefined }, 'classifier not trained');
    }
  }
}

/**
 * Trains classifiers from the CLI (`keel models train`), on the database directly: training reads a
 * local file and takes seconds, so it runs where the file is, with its progress on the terminal.
 */
export async function trainClassifiersLocally(
  config: Readonly<Config>, names: readonly string[], options: { force: boolean; onProgress(name: string, p: { phase: string; done: number; total: number }): void },
): Promise<Array<{ name: string; version: ClassifierVersion; created: boolean }>> {
  const classifiers = Object.entries(config.models).filter(([name, m]) => m.provider === 'classifier' && (names.length === 0 || names.includes(name)));
  const unknown = names.filter((n) => !classifiers.some(([name]) => name === n));
  if (unknown.length > 0) {
    throw new KeelError('not_found', `No classifier model named ${unknown.join(', ')} is configured.`, {
      hint: `Classifiers in the configuration: ${Object.entries(config.models).filter(([, m]) => m.provider === 'classifier').map(([n]) => n).join(', ') || 'none'}.`,
    });
  }
  const db = await openDb(config);
  try {
    await migrate(db);
    const out = [];
    for (const [name, model] of classifiers) {
      if (model.provider !== 'classifier') continue;
      const r = await trainClassifierVersion(db, { name, config: model, actor: 'keel:cli', force: options.force, onProgress: (p) => options.onProgress(name, p) });
      out.push({ name, ...r });
    }
    return out;
  } finally {
    await db.close();
  }
}

/** Opens the database for a command that reads stored models directly (`keel models eval`). */
export async function withLocalDb<T>(config: Readonly<Config>, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(config);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}


/** Deploys every workflow file of the folder; a file with problems is reported and skipped, never half-deployed. */
async function loadWorkflowFiles(db: Db, config: Readonly<Config>, logger: Logger): Promise<void> {
  const checkStage = createStageCheck({ enforce: config.gates.enforce });
  if (!config.gates.enforce) logger.warn('gates.enforce is false: stages move without their promotion gates (a development instance)');
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
      const source = await readFile(path, 'utf8');
      let stage = config.loadStage;
      const r = await deployWorkflow(db, { source, sourceName: path, stage: config.loadStage, actor: 'keel:startup', checkStage }).catch(async (error: unknown) => {
        if (!isKeelError(error, 'gate_not_met')) throw error;
        // A file is the admin's, but a new version still enters a gated stage only through its gate:
        // it is stored on design, and the log says what the gate is missing.
        logger.warn({ file: path, stage: config.loadStage, missing: error.problems.map((p) => p.message) }, `${error.message} Loaded into design instead.`);
        stage = 'design';
        return deployWorkflow(db, { source, sourceName: path, stage, actor: 'keel:startup' });
      });
      logger.info({ workflow: r.workflow.id, version: r.version.number, stage, changed: r.deploymentChanged }, 'workflow loaded');
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
  // The same instance key as keel serve, so secrets stored here open there.
  const secretKey = await loadSecretKey(config.secretKey);
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
    secretKey,
    auth: config.auth, serverUrl: () => config.auth.publicUrl ?? config.apiUrl, local: localAccess(osUser),
    models: { models: config.models, providerKeys: config.providerKeys },
    otlp: { redaction: config.observe.redaction },
    callbackSecretConfigured: Boolean(config.deliverySecrets[config.reviews.callbackSecretEnv]),
    gates: config.gates,
  });
  return {
    request: async (path, init) => app.request(path, init),
    async close() {
      await app.closeStreams();
      await db.close();
    },
  };
}
