import type { Db } from '../db/index.js';
import type { ConnectorRuntimeDeps, EgressClient } from '../connectors/index.js';
import { createModelServices, type ModelServices, type ModelServicesInput } from '../models/index.js';
import { getVersionById } from '../registry/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import type { ExecutorDeps } from './executor.js';
import { createFaults } from './faults.js';
import { createMailPoller, type MailPoller } from './mail-poller.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { createApprovalStep } from './steps/approval.js';
import { previewAction } from './steps/action.js';
import { createStepHandlers } from './steps/index.js';
import { sweepDeadlines } from './sweeper.js';
import { createWorker, type Worker } from './worker.js';

export interface EngineOptions {
  db: Db;
  egress: EgressClient;
  workers: { concurrency: number; leaseMs: number; heartbeatMs: number; pollMs: number; sweepMs: number };
  scheduler: { tickMs: number };
  /** How often the mail poller looks for due email triggers (each trigger has its own `every`); the scheduler's tick when absent. */
  mailPoller?: { tickMs: number };
  faults?: readonly string[];
  /** The process's models (built once by the composition root), or what to build them from; the offline template model when absent. */
  models?: ModelServices | Omit<ModelServicesInput, 'egress'>;
  /** Connectors, grants and secrets: the only way an `action` step reaches the outside. */
  connectors: ConnectorRuntimeDeps;
  onError(message: string, error: unknown): void;
}

export interface Engine {
  /** Starts workers (and the deadline sweeper that keeps every wait visible). */
  startWorkers(): Promise<void>;
  startScheduler(): Promise<void>;
  /** Starts reading the mailboxes of email triggers (one leader among the processes sharing the database). */
  startMailPoller(): Promise<void>;
  /** Stops everything this engine started; runs in hand reach their next stored state first. */
  stop(): Promise<void>;
  readonly worker: Worker;
  readonly scheduler: Scheduler;
  readonly mailPoller: MailPoller;
  /** One pass of the deadline sweeper; tests pass a fake `now`. */
  sweep(now?: Date): ReturnType<typeof sweepDeadlines>;
}

function modelServices(options: EngineOptions): ModelServices {
  const given = options.models;
  return given && 'router' in given ? given : createModelServices({ ...given, egress: options.egress });
}

/** The facade: builds the executor, worker, scheduler, mail poller and sweeper, and only delegates to them. */
export function createEngine(options: EngineOptions): Engine {
  const { db } = options;
  const definitions = new Map<string, Promise<{ spec: WorkflowSpec; library: Readonly<Record<string, string>> }>>();
  const executor: ExecutorDeps = {
    db,
    handlers: createStepHandlers({ models: modelServices(options), connectors: options.connectors }),
    approval: createApprovalStep((step, run) => previewAction(step, run, options.connectors)),
    faults: createFaults(options.faults ?? []),
    leaseMs: options.workers.leaseMs,
    heartbeatMs: options.workers.heartbeatMs,
    loadDefinition(versionId) {
      let found = definitions.get(versionId);
      if (!found) {
        found = getVersionById(db, versionId).then((v) => ({ spec: v.definition, library: v.library_versions }));
        found.catch(() => definitions.delete(versionId));
        definitions.set(versionId, found);
      }
      return found;
    },
    onError: (message, error, runId) => options.onError(`${message} (run ${runId})`, error),
  };
  const worker = createWorker(db, executor, { ...options.workers, onError: options.onError });
  const scheduler = createScheduler(db, { tickMs: options.scheduler.tickMs, onError: options.onError });
  const mailPoller = createMailPoller(db, { tickMs: options.mailPoller?.tickMs ?? options.scheduler.tickMs, connectors: options.connectors, onError: options.onError });
  let sweepTimer: NodeJS.Timeout | undefined;

  const sweep = (now?: Date) => sweepDeadlines(db, now);
  return {
    worker,
    scheduler,
    mailPoller,
    sweep,
    async startWorkers() {
      await worker.start();
      sweepTimer = setInterval(() => {
        sweep().catch((error: unknown) => options.onError('deadline sweep failed', error));
      }, options.workers.sweepMs);
    },
    startScheduler: () => scheduler.start(),
    startMailPoller: () => mailPoller.start(),
    async stop() {
      clearInterval(sweepTimer);
      await scheduler.stop();
      await mailPoller.stop();
      await worker.stop();
    },
  };
}
