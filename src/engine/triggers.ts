import type { Db, Queryable } from '../db/index.js';
import { verifyWebhook } from '../connectors/index.js';
import { KeelError, type FieldProblem } from '../errors.js';
import { refuseWhenPaused, resolveDeployment, type Stage, type VersionRow } from '../registry/index.js';
import { compileJsonSchema, validationProblems } from '../spec/index.js';
import { insertRun, type CreatedRun } from './run-store.js';
import type { RunPurpose, TriggerKind } from './types.js';

export interface StartRunInput {
  workflowId: string;
  stage: Stage;
  trigger: TriggerKind;
  input: unknown;
  dedupeKey?: string;
  /** The person starting it by hand; they may not approve its reviews. */
  requestedBy?: string;
}

type Validator = ReturnType<typeof compileJsonSchema>;
const validators = new Map<string, Validator | null>();

/** Checks an event against the version's input contract; every failing field is named. */
export function checkInput(version: VersionRow, input: unknown): void {
  let validate = validators.get(version.id);
  if (validate === undefined) {
    validate = version.definition.input ? compileJsonSchema(version.definition.input) : null;
    validators.set(version.id, validate);
  }
  if (!validate || validate(input)) return;
  const problems: FieldProblem[] = validationProblems(validate, 'input');
  throw new KeelError('invalid_input', `The event does not match the input contract of ${version.workflow_id}.`, {
    problems, hint: 'Send a payload that matches the workflow\'s `input` schema; nothing was stored.',
  });
}

/**
 * Starts a run of the version deployed at a stage: contract first, so a bad event stores nothing. A
 * paused stage refuses (`stage_paused`, 503 with Retry-After) or, when its workflow queues triggers
 * while paused, accepts the run held: it starts after the resume (insertRun decides the hold).
 */
export async function startRun(db: Db, input: StartRunInput): Promise<CreatedRun> {
  // Resolved on the process-wide handle, where the version is cached; the insert alone needs the transaction.
  const { version, workflow } = await resolveDeployment(db, input.workflowId, input.stage);
  if (workflow.kind !== 'managed') {
    throw new KeelError('conflict', `Workflow ${workflow.id} is external: it runs elsewhere, so Keel does not start its runs.`);
  }
  checkInput(version, input.input);
  return db.transaction((tx) => insertRun(tx, {
    workflowId: workflow.id, versionId: version.id, stage: input.stage, trigger: input.trigger,
    input: input.input, firstStep: version.definition.steps[0]?.id ?? null, dedupeKey: input.dedupeKey, requestedBy: input.requestedBy,
  }));
}

export interface TrialRunInput {
  version: VersionRow;
  purpose: Exclude<RunPurpose, 'live'>;
  input: unknown;
  /** One run per key and workflow: the eval case, the live run shadowed, the drill step. */
  dedupeKey: string;
  requestedBy?: string;
}

/**
 * Starts a run of any stored version (deployed or not) on the sandbox stage, to try it: its side
 * effects are intercepted, it opens no review task and the live figures leave it out. The input
 * contract is checked first, so a case the version refuses fails here with every field named.
 * Call it inside a transaction, like insertRun.
 */
export async function startTrialRun(tx: Queryable, trial: TrialRunInput): Promise<CreatedRun> {
  if (trial.version.definition.kind !== 'managed') {
    throw new KeelError('conflict', `Workflow ${trial.version.workflow_id} is external: Keel cannot run its versions.`);
  }
  checkInput(trial.version, trial.input);
  return insertRun(tx, {
    workflowId: trial.version.workflow_id, versionId: trial.version.id, stage: 'sandbox', trigger: 'manual', purpose: trial.purpose,
    input: trial.input, firstStep: trial.version.definition.steps[0]?.id ?? null, dedupeKey: trial.dedupeKey, requestedBy: trial.requestedBy,
  });
}

export interface WebhookDelivery {
  workflowId: string;
  stage: Stage;
  headers: Record<string, string | undefined>;
  rawBody: string;
  /** Secrets by environment variable name, from the configuration. */
  secrets: Readonly<Record<string, string>>;
}

/**
 * A webhook delivery: signature (when the workflow sets a secret), pause, JSON, contract, then one
 * run per delivery id: the same `webhook-id` or `Idempotency-Key` sent again returns the first run.
 * A paused stage is refused only after the signature was checked, so an unsigned caller learns
 * nothing about the pause (its reason included).
 */
export async function acceptWebhook(db: Db, delivery: WebhookDelivery): Promise<CreatedRun> {
  const resolved = await resolveDeployment(db, delivery.workflowId, delivery.stage, { allowPaused: true });
  const { version } = resolved;
  const trigger = version.definition.triggers.find((t) => 'webhook' in t);
  if (!trigger || !('webhook' in trigger)) {
    throw new KeelError('conflict', `Workflow ${delivery.workflowId} has no webhook trigger.`, {
      hint: 'Add `- webhook: {}` under triggers, or start runs with `keel run`.',
    });
  }
  const secretName = trigger.webhook.secret?.env;
  if (secretName) {
    const secret = delivery.secrets[secretName];
    if (!secret) {
      throw new KeelError('misconfigured', `The webhook secret ${secretName} is not set on this server.`, {
        hint: `Set the environment variable ${secretName} and restart Keel.`,
      });
    }
    verifyWebhook({ headers: delivery.headers, body: delivery.rawBody, secret });
  }
  refuseWhenPaused(resolved);
  let payload: unknown;
  try {
    payload = JSON.parse(delivery.rawBody);
  } catch (error) {
    throw new KeelError('malformed_json', `The request body is not valid JSON: ${(error as Error).message}.`, {
      hint: 'Send a JSON document with content-type application/json.',
    });
  }
  const dedupeKey = delivery.headers['webhook-id'] ?? delivery.headers['idempotency-key'];
  return startRun(db, {
    workflowId: delivery.workflowId, stage: delivery.stage, trigger: 'webhook', input: payload,
    dedupeKey: dedupeKey ? `hook:${dedupeKey}` : undefined,
  });
}
