// The one governed path of a side effect: find the connector and its action, check the input, check
// the workflow's grant for the action's scope (refused and audited without one), then either record
// what would have been sent (sandbox and evals: nothing leaves) or call the action with a context
// that resolves the connector's secrets. Workflows and steps only ever name a connector; they never
// hold its secrets.
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { refuseWhenConnectorPaused } from './connector-pause.js';
import { getConnector, type ConnectorRow } from './connector-store.js';
import { createEgressClient, type EgressClient } from './egress.js';
import { checkGrant } from './grants.js';
import { connectorKinds } from './kinds/index.js';
import type { ConnectorAction, ConnectorKind, DeliveryClass } from './kinds/kind.js';
import { readSecret, type SecretKey } from './secrets/index.js';

export interface ConnectorRuntimeDeps {
  db: Queryable;
  kinds: ReadonlyMap<string, ConnectorKind<unknown>>;
  /** The current value of a connector's secret (sealed at rest; see secrets/). */
  readSecret(connectorId: string, name: string): Promise<string>;
  /** The guarded client for a connector, allowing the hosts it allow-lists and nothing else private. */
  egressFor(allowHosts: readonly string[]): EgressClient;
}

/**
 * The runtime a process gives its engine: every kind this Keel knows, secrets opened with the
 * instance key at the moment of the call, and per connector a guarded client that reaches the
 * process-wide allowed hosts plus the connector's own, nothing else private.
 */
export function createConnectorRuntime(input: { db: Queryable; secretKey: SecretKey; allowHosts: readonly string[] }): ConnectorRuntimeDeps {
  // One client per allow-list, built on first use: the policy is parsed once, not at every call.
  const clients = new Map<string, EgressClient>();
  return {
    db: input.db,
    kinds: connectorKinds,
    readSecret: (connectorId, name) => readSecret(input.db, input.secretKey, connectorId, name),
    egressFor(allowHosts) {
      const key = allowHosts.join('\n');
      let client = clients.get(key);
      if (!client) clients.set(key, (client = createEgressClient({ allowHosts: [...input.allowHosts, ...allowHosts] })));
      return client;
    },
  };
}

export interface ActionInvocation {
  workflowId: string;
  /** The run and step making the call; absent when a trigger reads its source (the email trigger). */
  runId?: string;
  stepId?: string;
  /** Who acts, for the audit trail, when there is no run: `run:<id>` otherwise. */
  actor?: string;
  connectorId: string;
  action: string;
  input: unknown;
  idempotencyKey: string;
  signal: AbortSignal;
  /** Sandbox stage or an eval run: side effects are recorded, not performed; reads still run. */
  intercept: boolean;
}

export interface ActionResult {
  output: unknown;
  delivery: DeliveryClass;
  scope: string;
  /** Set when the side effect was recorded instead of performed: exactly what would have been sent. */
  wouldHaveSent?: unknown;
}

export interface ResolvedAction {
  connector: ConnectorRow;
  kind: ConnectorKind<unknown>;
  action: ConnectorAction<unknown, never>;
  config: unknown;
  delivery: DeliveryClass;
}

/** Finds a connector's action and its delivery class (also what deploy-time checks and the dashboard show). */
export async function resolveAction(deps: Pick<ConnectorRuntimeDeps, 'db' | 'kinds'>, connectorId: string, actionName: string): Promise<ResolvedAction> {
  return actionOf(deps.kinds, await getConnector(deps.db, connectorId), actionName);
}

function actionOf(kinds: ConnectorRuntimeDeps['kinds'], connector: ConnectorRow, actionName: string): ResolvedAction {
  const connectorId = connector.id;
  const kind = kinds.get(connector.kind);
  if (!kind) throw new KeelError('misconfigured', `Connector ${connectorId} is of kind ${connector.kind}, which this Keel does not know.`, { retriable: false });
  const action = kind.actions[actionName];
  if (!action) {
    throw new KeelError('misconfigured', `Connector ${connectorId} (${connector.kind}) has no action "${actionName}".`, {
      retriable: false, hint: `Its actions: ${Object.keys(kind.actions).join(', ')}.`,
    });
  }
  const parsed = kind.config.safeParse(connector.config);
  if (!parsed.success) {
    throw new KeelError('misconfigured', `Connector ${connectorId}'s settings are invalid.`, {
      retriable: false, problems: parsed.error.issues.map((i) => ({ path: `config.${i.path.join('.')}`, message: i.message })),
    });
  }
  const delivery = typeof action.delivery === 'function' ? action.delivery(parsed.data) : action.delivery;
  return { connector, kind, action, config: parsed.data, delivery };
}

/** An action call checked and ready: either already intercepted (sandbox), or waiting to be performed. */
export interface PreparedAction {
  delivery: DeliveryClass;
  scope: string;
  /** Set in sandbox for a side effect: the recorded result; nothing was or will be sent. */
  intercepted?: ActionResult;
  perform(): Promise<unknown>;
  /** For check-then-act: whether our reference already exists at the target. */
  check?(): Promise<{ exists: boolean; output?: unknown }>;
}

/**
 * Everything before the call: the connector's kill switch, the action and its input, then the
 * workflow's grant (checked in sandbox too: a sandbox run proves the workflow will have the access
 * it needs in production). A paused connector refuses at once, before anything else and in sandbox
 * too: the kill switch means nothing goes through it, not even a recorded would-have-sent. The
 * engine records the effect as started between this and perform(), so a crash in between is judged
 * by the delivery class.
 */
export async function prepareAction(deps: ConnectorRuntimeDeps, call: ActionInvocation): Promise<PreparedAction> {
  const found = await getConnector(deps.db, call.connectorId);
  refuseWhenConnectorPaused(found);
  const { connector, action, config, delivery } = actionOf(deps.kinds, found, call.action);
  const input = parseInput(action, call.connectorId, call.action, call.input);
  await checkGrant(deps.db, { workflowId: call.workflowId, connectorId: call.connectorId, scope: action.scope, runId: call.runId, stepId: call.stepId, actor: call.actor });
  const scope = action.scope;
  const context = {
    secret: (name: string) => deps.readSecret(connector.id, name),
    egress: deps.egressFor(connector.allow_hosts),
    idempotencyKey: call.idempotencyKey,
    signal: call.signal,
  };
  const args = { config, input, context };
  const check = action.check;
  const prepared: PreparedAction = {
    delivery, scope,
    perform: () => action.run(args),
    ...(check ? { check: () => check(args) } : {}),
  };
  if (call.intercept && action.sideEffect) {
    const wouldHaveSent = action.render(config, input);
    prepared.intercepted = { output: { intercepted: true, connector: call.connectorId, action: call.action, would_have_sent: wouldHaveSent }, delivery, scope, wouldHaveSent };
  }
  return prepared;
}

function parseInput(action: ConnectorAction<unknown, never>, connectorId: string, actionName: string, raw: unknown): never {
  const input = action.input.safeParse(raw);
  if (!input.success) {
    throw new KeelError('invalid_input', `The input of ${connectorId}.${actionName} is invalid.`, {
      retriable: false, problems: input.error.issues.map((i) => ({ path: `with.${i.path.join('.')}`, message: i.message })),
    });
  }
  return input.data;
}

/** What a call would send, without a grant check or a call: what a person approving the run is shown. */
export async function renderAction(deps: Pick<ConnectorRuntimeDeps, 'db' | 'kinds'>, connectorId: string, actionName: string, rawInput: unknown) {
  const { action, config, delivery } = await resolveAction(deps, connectorId, actionName);
  const input = parseInput(action, connectorId, actionName, rawInput);
  return { scope: action.scope, delivery, side_effect: action.sideEffect, would_send: action.render(config, input) };
}

/** Checks and performs one action call (or records it, in sandbox). */
export async function invokeAction(deps: ConnectorRuntimeDeps, call: ActionInvocation): Promise<ActionResult> {
  const prepared = await prepareAction(deps, call);
  if (prepared.intercepted) return prepared.intercepted;
  return { output: await prepared.perform(), delivery: prepared.delivery, scope: prepared.scope };
}
