import type { Db } from '../db/index.js';
import type { ConnectorRuntimeDeps, EgressClient } from '../connectors/index.js';
import { createModelServices, type ModelServices, type ModelServicesInput } from '../models/index.js';
import { getVersionById } from '../registry/index.js';
import type { WorkflowSpec } from '../spec/index.js';
import type { ExecutorDeps } from './executor.js';
import { createFaults } from './faults.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { createStepHandlers, type ActionHandler } from './steps/index.js';
import { sweepDeadlines } from './sweeper.js';
import { createWorker, type Worker } from './worker.js';

export interface EngineOptions {
  db: Db;
  egress: EgressClient;
  workers: { concurrency: number; leaseMs: number; heartbeatMs: number; pollMs: number; sweepMs: number };
  scheduler: { tickMs: number };
  faults?: readonly string[];
  /** The process's models (built once by the composition root), or what to build them from; the offline template model when absent. */
  models?: ModelServices | Omit<ModelServicesInput, 'egress'>;
  actions?: Record<string, ActionHandler>;
  /** Connectors, grants and secrets behind `action` steps that name a connector. */
  connectors?: ConnectorRuntimeDeps;
  onError(message: string, error: unknown): void;
}

export interface Engine {
  /** Starts workers (and the deadline sweeper that keeps every wait visible). */
  startWorkers(): Promise<void>;
  startScheduler(): Promise<void>;
  /** Stops everything this engine started; runs in hand reach their next stored state first. */
  stop(): Promise<void>;
  readonly worker: Worker;
  readonly scheduler: Scheduler;
  /** One pass of the deadline sweeper; tests pass a fake `now`. */
  sweep(now?: Date): ReturnType<typeof sweepDeadlines>;
}

function modelServices(options: EngineOptions): ModelServices {
  const given = options.models;
  return given && 'router' in given ? given : createModelServices({ ...given, egress: options.egress });
}

/** The facade: builds the executor, worker, scheduler and sweeper, and only delegates to them. */
export function createEngine(options: EngineOptions): Engine {
  const { db } = options;
  const definitions = new Map<string, Promise<{ spec: WorkflowSpec; library: Readonly<Record<string, string>> }>>();
  const executor: ExecutorDeps = {
    db,
    handlers: createStepHandlers({ egress: options.egress, models: modelServices(options), actions: options.actions, connectors: options.connectors }),
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
  let sweepTimer: NodeJS.Timeout | undefined;

  const sweep = (now?: Date) => sweepDeadlines(db, now);
  return {
    worker,
    scheduler,
    sweep,
    async startWorkers() {
      await worker.start();
      sweepTimer = setInterval(() => {
        sweep().catch((error: unknown) => options.onError('deadline sweep failed', error));
      }, options.workers.sweepMs);
    },
    startScheduler: () => scheduler.start(),
    async stop() {
      clearInterval(sweepTimer);
      await scheduler.stop();
      await worker.stop();
    },
  };
}
