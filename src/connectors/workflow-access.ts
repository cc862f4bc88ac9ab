// What a workflow file says about access, checked when it is deployed: every action step names a
// connector and action that exist, with the delivery class the action really has, and a scope the
// file lists under `access`; an email trigger names an email connector with a mailbox and lists
// email:read; every listed scope is one the connector's kind has. Then each listed
// scope without a live grant becomes a grant request for the connector's owner. Run time still
// checks the grant at every call (runtime.ts): this only catches mistakes before the first run.
import type { Queryable } from '../db/index.js';
import { KeelError, type FieldProblem } from '../errors.js';
import type { MonitorSpec, WorkflowSpec } from '../spec/index.js';
import { listConnectors, type ConnectorRow } from './connector-store.js';
import { scopesOfKind } from './connector-view.js';
import { requestGrant, type GrantRow } from './grants.js';
import type { ConnectorKind } from './kinds/kind.js';
import { resolveAction } from './runtime.js';

type Kinds = ReadonlyMap<string, ConnectorKind<unknown>>;

/**
 * Checks calls a workflow makes (an action step, a monitor's alert) against the connectors that
 * exist and the scopes the workflow's `access` lists, collecting every problem.
 */
async function createCallChecker(db: Queryable, kinds: Kinds, access: WorkflowSpec['access']) {
  const connectors = new Map((await listConnectors(db)).map((c) => [c.id, c]));
  const missing = (id: string) => ({
    message: `no connector named "${id}"`,
    hint: connectors.size === 0 ? 'add it under connectors/ (loaded at start) or with the API first' : `connectors here: ${[...connectors.keys()].join(', ')}`,
  });
  const listed = new Map(access.map((a) => [a.connector, new Set(a.scopes)]));
  const problems: FieldProblem[] = [];
  const checkCall = async (at: string, connectorId: string, actionName: string, delivery?: string) => {
    if (!connectors.has(connectorId)) {
      problems.push({ path: `${at}.connector`, ...missing(connectorId) });
      return;
    }
    try {
      const resolved = await resolveAction({ db, kinds }, connectorId, actionName);
      if (delivery !== undefined && resolved.delivery !== delivery) {
        problems.push({ path: `${at}.delivery`, message: `${connectorId}.${actionName} is ${resolved.delivery}, not ${delivery}`, hint: `write delivery: ${resolved.delivery}, so recovery after a crash follows the action's real class` });
      }
      if (!listed.get(connectorId)?.has(resolved.action.scope)) {
        problems.push({ path: at, message: `${connectorId}.${actionName} needs the scope ${resolved.action.scope}, which access does not list`, hint: `add { connector: ${connectorId}, scopes: [${resolved.action.scope}] } under access` });
      }
    } catch (error) {
      if (!(error instanceof KeelError)) throw error;
      problems.push({ path: `${at}.action`, message: error.message, hint: error.hint });
    }
  };
  return { connectors, missing, listed, problems, checkCall };
}

/** The problems of one monitor's alerts (`notify`), against the workflow's `access`; paths start at the monitor. */
export async function monitorNotifyProblems(db: Queryable, kinds: Kinds, access: WorkflowSpec['access'], monitor: MonitorSpec): Promise<FieldProblem[]> {
  const checker = await createCallChecker(db, kinds, access);
  for (const [n, notify] of monitor.notify.entries()) await checker.checkCall(`notify[${n}]`, notify.connector, notify.action);
  return checker.problems;
}

/** Every problem with the file's connectors, actions and access list; an empty list when sound. */
export async function workflowAccessProblems(db: Queryable, kinds: Kinds, spec: WorkflowSpec): Promise<FieldProblem[]> {
  const { connectors, missing, listed, problems, checkCall } = await createCallChecker(db, kinds, spec.access);

  // Monitors alert through connectors under the workflow's grants, external workflows' too.
  for (const [m, monitor] of (spec.runbook?.monitors ?? []).entries()) {
    for (const [n, notify] of monitor.notify.entries()) await checkCall(`runbook.monitors[${m}].notify[${n}]`, notify.connector, notify.action);
  }
  // External workflows run elsewhere: the rest of their `access` documents what they reach.
  if (spec.kind !== 'managed') return problems;

  for (const [index, step] of spec.steps.entries()) {
    if (step.kind === 'action') await checkCall(`steps[${index}]`, step.connector, step.action, step.delivery);
  }

  for (const [index, trigger] of spec.triggers.entries()) {
    if (!('email' in trigger)) continue;
    problems.push(...mailTriggerProblems(connectors.get(trigger.email.connector), trigger.email.connector, listed, `triggers[${index}].email.connector`, missing));
  }

  for (const [index, entry] of spec.access.entries()) {
    const connector = connectors.get(entry.connector);
    if (!connector) {
      problems.push({ path: `access[${index}].connector`, ...missing(entry.connector) });
      continue;
    }
    problems.push(...unknownScopes(connector, kinds, entry.scopes, `access[${index}].scopes`));
  }
  return problems;
}

/** An email trigger reads its connector's IMAP mailbox through fetch_new: an email connector with a mailbox, and email:read listed. */
function mailTriggerProblems(connector: ConnectorRow | undefined, id: string, listed: Map<string, Set<string>>, at: string, missing: (id: string) => { message: string; hint: string }): FieldProblem[] {
  if (!connector) return [{ path: at, ...missing(id) }];
  if (connector.kind !== 'email') return [{ path: at, message: `connector ${id} is of kind ${connector.kind}; the email trigger needs an email connector` }];
  const problems: FieldProblem[] = [];
  if ((connector.config as { imap?: unknown }).imap === undefined) {
    problems.push({ path: at, message: `connector ${id} has no imap section, so there is no mailbox to read`, hint: 'add imap: { host, user, password_secret, mailbox } to the connector' });
  }
  if (!listed.get(id)?.has('email:read')) {
    problems.push({ path: at, message: `the email trigger reads ${id} with the scope email:read, which access does not list`, hint: `add { connector: ${id}, scopes: [email:read] } under access` });
  }
  return problems;
}

function unknownScopes(connector: ConnectorRow, kinds: Kinds, scopes: readonly string[], at: string): FieldProblem[] {
  const kind = kinds.get(connector.kind);
  if (!kind) return [{ path: at, message: `connector ${connector.id} is of kind ${connector.kind}, which this Keel does not know` }];
  const known = scopesOfKind(kind);
  return scopes.flatMap((scope, i) => (known.includes(scope) ? [] : [{
    path: `${at}[${i}]`, message: `${connector.kind} connectors have no scope ${scope}`, hint: `theirs: ${known.join(', ')}`,
  }]));
}

/** Throws invalid_workflow naming every access problem of the file, so nothing is stored. */
export async function checkWorkflowAccess(db: Queryable, kinds: Kinds, spec: WorkflowSpec, sourceName: string): Promise<void> {
  const problems = await workflowAccessProblems(db, kinds, spec);
  if (problems.length === 0) return;
  throw new KeelError('invalid_workflow', `${sourceName}: ${problems.length} problem(s) with connectors and access.`, {
    problems: problems.map((p) => ({ ...p, path: `${sourceName} ${p.path}` })),
    hint: 'Connectors are listed by `keel connectors`; an action\'s scope and delivery class by `keel connectors <id>`.',
  });
}

/** The connector scopes a file's monitors alert through, as `connector\nscope`. */
async function notifyScopes(db: Queryable, kinds: Kinds, spec: WorkflowSpec): Promise<Set<string>> {
  const out = new Set<string>();
  for (const monitor of spec.runbook?.monitors ?? []) {
    for (const notify of monitor.notify) {
      const { action } = await resolveAction({ db, kinds }, notify.connector, notify.action);
      out.add(`${notify.connector}\n${action.scope}`);
    }
  }
  return out;
}

/**
 * Asks for every listed scope that has no live grant yet (asking again answers the live request),
 * so the connector's owner finds the request waiting when the file is deployed.
 */
export async function requestListedGrants(db: Queryable, kinds: Kinds, spec: WorkflowSpec, actor: string): Promise<GrantRow[]> {
  // An external workflow is granted only what its monitors' alerts send through.
  const alerting = spec.kind === 'managed' ? null : await notifyScopes(db, kinds, spec);
  const created: GrantRow[] = [];
  for (const entry of spec.access) {
    for (const scope of entry.scopes) {
      if (alerting && !alerting.has(`${entry.connector}\n${scope}`)) continue;
      const { grant, created: isNew } = await requestGrant(db, {
        workflowId: spec.id, connectorId: entry.connector, scope, actor, reason: 'listed under access in the workflow file',
      });
      if (isNew) created.push(grant);
    }
  }
  return created;
}
