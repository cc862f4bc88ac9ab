// The connector kill switch, with real runs on a real engine and a loopback target: a paused
// connector holds a run at its action step with nothing sent (the target sees no request), the
// attempt recorded as refused; the resume sends it once. The switch refuses in sandbox too, works on
// a file-defined connector, is its owner's or an admin's (a viewer gets 403, an unknown connector
// 404), keeps an email trigger from reading through it, and every pause and resume is audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectorKinds, createEgressClient, invokeAction, saveConnector, setConnectorPaused, type ConnectorRuntimeDeps,
} from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { getRun, listAttempts, startRun } from '../../src/engine/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deployGranted, oneStepWorkflow, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { closedPort } from '../support/ports.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep, type TargetConnector } from '../support/target-connector.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe.each(testDatabases())('the connector kill switch on $name', (database) => {
  let db: Db;
  let target: Target;
  let connector: TargetConnector;
  let engine: ReturnType<typeof testEngine>;
  let app: ReturnType<typeof testHttpApp>;
  let owner: ReturnType<typeof withToken>;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    connector = await saveTargetConnector(db, target.url);
    engine = testEngine(db);
    await engine.startWorkers();
    app = testHttpApp(db);
    // The connector's owner holds no admin role: ownership alone lets them throw the switch.
    owner = withToken(app, (await createTestIdentity(db, ['viewer'], 'ops@example.com')).token);
  });
  afterEach(async () => {
    await engine.stop();
    expect(engine.worker.active).toBe(0);
    expect(engine.errors).toEqual([]);
    await db.close();
    await target.close();
  });

  const audits = async () =>
    (await db.query<{ actor: string; action: string; data: Record<string, unknown> }>(
      `SELECT actor, action, data FROM audit_events WHERE action IN ('connector:paused', 'connector:resumed') ORDER BY id`)).rows;

  it('holds a run at its action with nothing sent while paused, and sends it once after the resume', async () => {
    await deployGranted(db, oneStepWorkflow('poster', { extra: `${targetStep('post', connector, '/tickets', '{ "n": 1 }')}${targetAccess(connector)}` }));
    const api = await contractChecker(owner);
    const paused = await api.call('POST', '/api/connectors/{id}/pause', `/api/connectors/${connector.id}/pause`, { reason: 'target double-charging' }, 200);
    expect(paused.body).toMatchObject({ id: connector.id, paused: true, paused_by: 'ops@example.com', pause_reason: 'target double-charging' });

    const { run } = await startRun(db, { workflowId: 'poster', stage: 'production', trigger: 'manual', input: {} });
    for (let i = 0; i < 400 && (await getRun(db, run.id)).held_by === null; i++) await sleep(25);
    expect(await getRun(db, run.id)).toMatchObject({ status: 'queued', wait_reason: 'paused', held_by: `connector:${connector.id}`, current_step: 'post', lease_token: null });
    const refused = (await listAttempts(db, run.id)).filter((a) => a.step_id === 'post');
    expect(refused).toMatchObject([{ status: 'failed', error: { code: 'connector_paused' } }]);
    expect(refused[0]!.error!.message).toContain('target double-charging');
    await sleep(500);
    expect(target.requests).toBe(0);
    expect((await getRun(db, run.id)).status).toBe('queued');

    const resumed = await api.call('POST', '/api/connectors/{id}/resume', `/api/connectors/${connector.id}/resume`, { reason: 'fixed upstream' }, 200);
    expect(resumed.body).toMatchObject({ paused: false, paused_by: null, pause_reason: null });
    expect((await waitForRun(db, run.id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(target.effects).toEqual([{ path: '/tickets', key: `${run.id}:post`, body: { n: 1 } }]);
    expect(target.requests).toBe(1);
    expect((await getRun(db, run.id)).claims).toBe(1);
    expect(await audits()).toEqual([
      { actor: 'ops@example.com', action: 'connector:paused', data: { reason: 'target double-charging' } },
      { actor: 'ops@example.com', action: 'connector:resumed', data: { reason: 'fixed upstream', released_runs: 1 } },
    ]);
  });

  it('refuses in sandbox too, and pauses a connector described in a file', async () => {
    await saveConnector(db, { id: 'filed', kind: 'http', title: 'From a file', owner: 'ops@example.com', config: { base_url: target.url, write_delivery: 'idempotent' }, allowHosts: ['127.0.0.1'] }, 'file', 'file');
    await deployGranted(db, oneStepWorkflow('filer', { extra: `${targetStep('post', { id: 'filed', delivery: 'idempotent' }, '/x', '{}')}${targetAccess('filed')}` }));
    expect((await owner.request('/api/connectors/filed/pause', { method: 'POST' })).status).toBe(200);
    const runtime: ConnectorRuntimeDeps = { db, kinds: connectorKinds, readSecret: () => Promise.reject(new Error('none')), egressFor: (hosts) => createEgressClient({ allowHosts: [...hosts] }) };
    const call = { workflowId: 'filer', connectorId: 'filed', action: 'send', input: { method: 'POST', path: '/x', body: {} }, idempotencyKey: 'k', signal: AbortSignal.timeout(5_000) };
    await expect(invokeAction(runtime, { ...call, intercept: true })).rejects.toMatchObject({ code: 'connector_paused', retryAfterMs: 60_000 });
    await expect(invokeAction(runtime, { ...call, intercept: false })).rejects.toMatchObject({ code: 'connector_paused' });
    expect(target.requests).toBe(0);
    await setConnectorPaused(db, 'filed', false, 'admin@example.com');
    expect(await invokeAction(runtime, { ...call, intercept: true })).toMatchObject({ output: { intercepted: true } });
    expect((await audits()).map((a) => [a.actor, a.action])).toEqual([['ops@example.com', 'connector:paused'], ['admin@example.com', 'connector:resumed']]);
  });

  it('answers 404 for an unknown connector and 403 to a viewer who does not own it; an admin may', async () => {
    expect((await owner.request('/api/connectors/nope/pause', { method: 'POST' })).status).toBe(404);
    const viewer = withToken(app, (await createTestIdentity(db, ['viewer'])).token);
    const refused = await viewer.request(`/api/connectors/${connector.id}/pause`, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('permission_denied');
    const admin = withToken(app, (await createTestIdentity(db, ['admin'])).token);
    expect((await admin.request(`/api/connectors/${connector.id}/pause`, { method: 'POST' })).status).toBe(200);
    expect((await admin.request(`/api/connectors/${connector.id}`)).status).toBe(200);
    expect((await audits()).map((a) => a.action)).toEqual(['connector:paused']);
  });

  it('keeps an email trigger from reading through a paused connector; resumed, it reads again', async () => {
    const port = await closedPort();
    await saveConnector(db, {
      id: 'inbox', kind: 'email', title: 'Inbox', owner: 'ops@example.com', allowHosts: ['127.0.0.1'],
      config: { smtp: { host: '127.0.0.1', port, starttls: 'never', from: 'a@keel.example' }, imap: { host: '127.0.0.1', port, starttls: 'never', username: 'u', password_secret: 'p', mailbox: 'INBOX' } },
    }, 'api', 'ops@example.com');
    await deployGranted(db, `${oneStepWorkflow('reader').replace('triggers: [ { manual: {} } ]', 'triggers: [ { email: { connector: inbox } } ]')}access:\n  - { connector: inbox, scopes: ["email:read"] }\n`);
    const poller = testEngine(db, { connectors: { db, kinds: connectorKinds, readSecret: async () => 'secret', egressFor: (hosts) => createEgressClient({ allowHosts: [...hosts] }) } });
    const trigger = async () => (await db.query<{ last_polled_at: Date | null; last_error: unknown }>(`SELECT last_polled_at, last_error FROM mail_triggers WHERE workflow_id = 'reader'`)).rows[0]!;

    await setConnectorPaused(db, 'inbox', true, 'ops@example.com', { reason: 'phishing wave' });
    expect(await poller.mailPoller.tick()).toBe(0);
    expect(await trigger()).toEqual({ last_polled_at: null, last_error: null });
    const states = (await (await owner.request('/api/workflows/reader/triggers')).json()) as { triggers: { connector_paused: boolean }[] };
    expect(states.triggers).toMatchObject([{ connector_paused: true }]);

    await setConnectorPaused(db, 'inbox', false, 'ops@example.com');
    expect(await poller.mailPoller.tick()).toBe(0);
    expect(await trigger()).toMatchObject({ last_polled_at: expect.any(Date), last_error: { code: expect.any(String) } });
  });
});
