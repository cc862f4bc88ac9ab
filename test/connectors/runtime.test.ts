// The governed path of an action, with the real `files` kind on a real folder and database: no
// grant, no call (audited); a grant, the call; in sandbox the side effect is recorded as "would
// have written" and the folder stays untouched while reads still run.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressClient } from '../../src/connectors/index.js';
import { saveConnector } from '../../src/connectors/connector-store.js';
import { decideGrant, requestGrant } from '../../src/connectors/grants.js';
import { connectorKinds } from '../../src/connectors/kinds/index.js';
import { invokeAction, type ActionInvocation, type ConnectorRuntimeDeps } from '../../src/connectors/runtime.js';
import type { Db } from '../../src/db/index.js';
import { isKeelError } from '../../src/errors.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';

const workflow = oneStepWorkflow('kit-saver', { title: 'Kit saver', owner: 'people-ops@example.com' });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isKeelError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe.each(testDatabases())('the connector runtime on $name', (database) => {
  let db: Db;
  let root: string;
  let deps: ConnectorRuntimeDeps;
  const call = (over: Partial<ActionInvocation>): ActionInvocation => ({
    workflowId: 'kit-saver', runId: 'run_1', stepId: 'save', connectorId: 'kits', action: 'write',
    input: { path: 'welcome/grace.md', content: 'Welcome, Grace' }, idempotencyKey: 'run_1:save:1', signal: AbortSignal.timeout(10_000), intercept: false, ...over,
  });

  beforeAll(async () => {
    db = await database.open();
    root = mkdtempSync(join(tmpdir(), 'keel-kits-'));
    writeFileSync(join(root, 'template.md'), 'Dear {name}');
    await deploy(db, workflow);
    await saveConnector(db, { id: 'kits', kind: 'files', title: 'Welcome kits', owner: 'it@example.com', config: { root } }, 'api', 'it@example.com');
    deps = { db, kinds: connectorKinds, readSecret: () => Promise.reject(new Error('the files kind has no secrets')), egressFor: (allowHosts) => createEgressClient({ allowHosts: [...allowHosts] }) };
  });
  afterAll(async () => {
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses every action without a live grant, before touching the folder', async () => {
    expect(await codeOf(invokeAction(deps, call({})))).toBe('permission_denied');
    expect(await codeOf(invokeAction(deps, call({ action: 'read', input: { path: 'template.md' } })))).toBe('permission_denied');
    expect(await codeOf(invokeAction(deps, call({ intercept: true })))).toBe('permission_denied');
    expect(existsSync(join(root, 'welcome'))).toBe(false);
    const denied = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'grant:denied'`);
    expect(denied.rows[0]!.n).toBe(3);
  });

  it('runs an action its grant covers, and only that scope', async () => {
    const { grant } = await requestGrant(db, { workflowId: 'kit-saver', connectorId: 'kits', scope: 'files:write', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    const written = await invokeAction(deps, call({}));
    expect(written).toMatchObject({ scope: 'files:write', delivery: 'idempotent', output: { path: 'welcome/grace.md', bytes: 14 } });
    expect(readFileSync(join(root, 'welcome', 'grace.md'), 'utf8')).toBe('Welcome, Grace');
    // files:write does not cover reading.
    expect(await codeOf(invokeAction(deps, call({ action: 'read', input: { path: 'template.md' } })))).toBe('permission_denied');
  });

  it('records a side effect in sandbox without performing it, while reads still run', async () => {
    const { grant } = await requestGrant(db, { workflowId: 'kit-saver', connectorId: 'kits', scope: 'files:read', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    const sandboxed = await invokeAction(deps, call({ intercept: true, input: { path: 'welcome/ada.md', content: 'Welcome, Ada' } }));
    expect(sandboxed.output).toMatchObject({ intercepted: true, connector: 'kits', action: 'write' });
    expect(JSON.stringify(sandboxed.wouldHaveSent)).toContain('Welcome, Ada');
    expect(existsSync(join(root, 'welcome', 'ada.md'))).toBe(false);
    const read = await invokeAction(deps, call({ intercept: true, action: 'read', input: { path: 'template.md' } }));
    expect(read.output).toMatchObject({ content: 'Dear {name}' });
  });

  it('names bad input by field and an unknown action with the ones there are', async () => {
    const bad = await invokeAction(deps, call({ input: { path: 42 } })).catch((e: unknown) => e);
    expect(isKeelError(bad) && bad.problems.map((p) => p.path)).toContain('with.path');
    const unknown = await invokeAction(deps, call({ action: 'delete' })).catch((e: unknown) => e);
    expect(isKeelError(unknown) && unknown.code).toBe('misconfigured');
    expect(isKeelError(unknown) && unknown.hint).toContain('read');
  });
});
