// A workflow's action step calling a connector through the engine, with the real `files` kind: no
// grant, the run fails closed with permission_denied and nothing is written; with the grant the file
// is written once; on the sandbox stage the write is recorded as what would have been written and
// the folder stays untouched; a delivery class that differs from the action's own is refused.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorKinds, createEgressClient, decideGrant, requestGrant, revokeGrant, saveConnector, type ConnectorRuntimeDeps } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun, type Engine } from '../../src/engine/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, deployGranted, oneStepWorkflow, testEngine, waitForRun } from '../support/harness.js';
import { saveTargetConnector, targetAccess, targetStep } from '../support/target-connector.js';

const workflow = (delivery = 'idempotent') => `id: kit-writer
title: Kit writer
owner: people-ops@example.com
risk: low
triggers: [{ manual: {} }]
input: { type: object, required: [name], properties: { name: { type: string } } }
steps:
  - id: draft
    kind: transform
    expression: '{ "text": "Welcome, " & input.name }'
  - id: save
    kind: action
    connector: kits
    action: write
    delivery: ${delivery}
    with:
      path: '"welcome/" & $lowercase(input.name) & ".md"'
      content: steps.draft.text
access:
  - { connector: kits, scopes: ["files:write"] }
`;

describe.each(testDatabases())('connector actions in runs on $name', (database) => {
  let db: Db;
  let root: string;
  let engine: Engine | undefined;
  beforeAll(async () => {
    db = await database.open();
    root = mkdtempSync(join(tmpdir(), 'keel-kit-writer-'));
    await saveConnector(db, { id: 'kits', kind: 'files', title: 'Welcome kits', owner: 'it@example.com', config: { root } }, 'api', 'it@example.com');
    await deploy(db, workflow());
    await deploy(db, workflow(), 'sandbox');
    const connectors: ConnectorRuntimeDeps = {
      db, kinds: connectorKinds, readSecret: () => Promise.reject(new Error('no secrets here')),
      egressFor: (allowHosts) => createEgressClient({ allowHosts: [...allowHosts] }),
    };
    engine = testEngine(db, { connectors });
    await engine.startWorkers();
  });
  afterAll(async () => {
    await engine?.stop();
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  const run = async (name: string, stage: 'production' | 'sandbox' = 'production') => {
    const { run } = await startRun(db, { workflowId: 'kit-writer', stage, trigger: 'manual', input: { name } });
    return waitForRun(db, run.id, ['succeeded', 'failed', 'outcome_unknown']);
  };

  it('fails closed without a grant and writes nothing', async () => {
    const done = await run('Ada');
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'permission_denied' });
    expect(existsSync(join(root, 'welcome'))).toBe(false);
  });

  it('writes with the grant, and in sandbox records what it would have written without writing it', async () => {
    const { grant } = await requestGrant(db, { workflowId: 'kit-writer', connectorId: 'kits', scope: 'files:write', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    const done = await run('Grace');
    expect(done.status).toBe('succeeded');
    expect(readFileSync(join(root, 'welcome', 'grace.md'), 'utf8')).toBe('Welcome, Grace');

    // Sandbox sends every output to a person first (the approval boundary's fail-safe); approved,
    // the action is recorded instead of performed.
    const { run: started } = await startRun(db, { workflowId: 'kit-writer', stage: 'sandbox', trigger: 'manual', input: { name: 'Linus' } });
    await waitForRun(db, started.id, ['waiting']);
    const task = (await db.query<{ id: string }>(`SELECT id FROM reviews WHERE run_id = $1`, [started.id])).rows[0]!;
    await decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'reviewer@example.com' }, wakeRun);
    const sandboxed = await waitForRun(db, started.id, ['succeeded', 'failed']);
    expect(sandboxed.status).toBe('succeeded');
    expect((sandboxed.state as Record<string, unknown>).save).toMatchObject({ intercepted: true, connector: 'kits', action: 'write', would_have_sent: { path: 'welcome/linus.md' } });
    expect(JSON.stringify(sandboxed.state)).toContain('Welcome, Linus');
    expect(existsSync(join(root, 'welcome', 'linus.md'))).toBe(false);
  });

  it('refuses a step whose delivery class is not the action\'s own: at deploy, and at run time when the connector changed since', async () => {
    await expect(deploy(db, workflow('unsafe'))).rejects.toMatchObject({ code: 'invalid_workflow', problems: [{ path: 'test.yaml steps[1].delivery', message: 'kits.write is idempotent, not unsafe' }] });

    // An http connector's write class is its owner's setting: deployed as idempotent, then changed.
    const target = await saveTargetConnector(db, 'http://127.0.0.1:9', 'idempotent', 'notes');
    await deployGranted(db, oneStepWorkflow('noter', { extra: `${targetStep('post', target, '/notes', '{}')}${targetAccess(target)}` }));
    await saveTargetConnector(db, 'http://127.0.0.1:9', 'unsafe', 'notes');
    const { run: started } = await startRun(db, { workflowId: 'noter', stage: 'production', trigger: 'manual', input: {} });
    const done = await waitForRun(db, started.id, ['succeeded', 'failed', 'outcome_unknown']);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'misconfigured' });
    expect(String((done.error as { message: string }).message)).toContain('notes.send is unsafe, but the workflow file says idempotent');
  });

  it('asks a person instead of failing when the workflow says so: approving retries with the grant checked again, rejecting ends the run', async () => {
    await deploy(db, workflow().replace('id: kit-writer', 'id: kit-asker') + 'on_access_denied: review\n');
    const waitingTask = async (name: string) => {
      const { run: started } = await startRun(db, { workflowId: 'kit-asker', stage: 'production', trigger: 'manual', input: { name } });
      const waiting = await waitForRun(db, started.id, ['waiting', 'failed', 'succeeded']);
      expect(waiting).toMatchObject({ status: 'waiting', wait_reason: 'review', current_step: 'save' });
      const [task] = await listReviews(db, { runId: started.id });
      expect(task).toMatchObject({ reason: 'access_denied', step_id: 'save', assigned_role: 'approver', status: 'pending' });
      expect((task!.context as { why: string }).why).toContain('files:write');
      return { runId: started.id, taskId: task!.id };
    };

    // Approved while the grant is still missing: tried again, refused again, and the run fails closed.
    const first = await waitingTask('Alan');
    await decideReview(db, { target: { reviewId: first.taskId }, decision: 'approve', actor: 'lead@example.com' }, wakeRun);
    expect(await waitForRun(db, first.runId, ['failed', 'succeeded'])).toMatchObject({ status: 'failed', error: { code: 'permission_denied' } });
    expect(existsSync(join(root, 'welcome', 'alan.md'))).toBe(false);

    // The owner grants the scope, the person approves: the file is written.
    const second = await waitingTask('Barbara');
    const { grant } = await requestGrant(db, { workflowId: 'kit-asker', connectorId: 'kits', scope: 'files:write', actor: 'builder@example.com' });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: 'it@example.com', ownsConnector: true });
    await decideReview(db, { target: { reviewId: second.taskId }, decision: 'approve', actor: 'lead@example.com' }, wakeRun);
    expect((await waitForRun(db, second.runId, ['failed', 'succeeded'])).status).toBe('succeeded');
    expect(readFileSync(join(root, 'welcome', 'barbara.md'), 'utf8')).toBe('Welcome, Barbara');

    // Revoked again: a rejection ends the run without writing.
    await revokeGrant(db, { grantId: grant.id, actor: 'it@example.com', ownsConnector: true, note: 'kits move to the new drive' });
    const third = await waitingTask('Claude');
    await decideReview(db, { target: { reviewId: third.taskId }, decision: 'reject', comment: 'not until the move is done', actor: 'lead@example.com' }, wakeRun);
    expect((await waitForRun(db, third.runId, ['rejected', 'failed', 'succeeded'])).status).toBe('rejected');
    expect(existsSync(join(root, 'welcome', 'claude.md'))).toBe(false);
  });
});
