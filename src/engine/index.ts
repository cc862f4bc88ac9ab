// The engine owns runs and their step attempts: triggers that start runs, workers that claim them
// with leases, the executor that stores every step result (fenced) before moving on, retries,
// schedules, the mail poller (email triggers) and the deadline sweeper. See ARCHITECTURE.md for the run and step state machine.
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export { startRun, startTrialRun, acceptWebhook, checkInput, type StartRunInput, type TrialRunInput, type WebhookDelivery } from './triggers.js';
export { getRun, listRuns, listAttempts, wakeRun, runWorkflowId, type RunFilter, type CreatedRun } from './run-store.js';
export { runStatuses, terminalStatuses, triggerKinds, runPurposes, type RunRow, type RunStatus, type RunPurpose, type AttemptRow, type TriggerKind } from './types.js';
export type { MailPoller } from './mail-poller.js';
export { registerEngineRoutes, runSchema, attemptSchema, runDetailSchema, createdSchema as runAcceptedSchema, type EngineRouteDeps } from './routes.js';
export { registerTriggerRoutes, emailTriggerStateSchema, triggerStatesSchema } from './trigger-routes.js';
export { evaluateJsonata } from './expressions.js';
