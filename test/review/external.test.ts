// External workflows ask for reviews through the API and get the decision back: by a signed
// callback to a real loopback server (verified with keel/client), or by long-polling. The outbox
// retries a failing receiver with back-off and gives up on one that never answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/app.js';
import { verifyCallback } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createEgressClient } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { deliverDueReviewMessages, startReviewDeliveries, syncNotificationTargets, targetSecretsByUrl, type DeliveryDeps } from '../../src/review/index.js';
import { startCallbackReceiver, type CallbackReceiver } from '../support/callback-receiver.js';
import { contractChecker } from '../support/contract.js';
import { createPostgresDatabase, postgresTestUrl, testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken, type TestIdentity } from '../support/identity.js';

export const externalWorkflow = `
id: invoice-flow
title: Invoice matching in n8n
kind: external
owner: finance@example.com
risk: high
`;
const managedWorkflow = `
id: managed-flow
title: Run by Keel
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Check it
`;
const callbackSecret = 'whsec_' + Buffer.from('a callback secret of 32 bytes!!!').toString('base64');
const egress = createEgressClient({ allowHosts: ['127.0.0.1'] });

interface Delivery { id: string; kind: string; event: string; attempts: number; delivered_at: Date | null; failed_at: Date | null; last_error: string | null }

describe.each(testDatabases())('external reviews on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let requester: TestIdentity;
  let reviewer: TestIdentity;
  let receiver: CallbackReceiver;
  const deps = (over: Partial<DeliveryDeps> = {}): DeliveryDeps => ({ egress, targetSecrets: new Map(), callbackSecret, ...over });

  beforeEach(async () => {
    db = await database.open();
    await deploy(db, externalWorkflow);
    await deploy(db, managedWorkflow);
    app = testHttpApp(db, { callbackSecretConfigured: true });
    requester = await createTestIdentity(db, ['builder']);
    reviewer = await createTestIdentity(db, ['reviewer']);
    receiver = await startCallbackReceiver();
  });
  afterEach(async () => {
    await receiver?.close();
    await db?.close();
  });

  const ask = (body: Record<string, unknown>, as = requester, workflow = 'invoice-flow') =>
    contractChecker(withToken(app, as.token)).then((api) => api.call('POST', '/api/workflows/{id}/reviews', `/api/workflows/${workflow}/reviews`, body));
  const task = (over: Record<string, unknown> = {}) => ({ title: 'Match INV-1 to PO-7?', payload: { invoice: 'INV-1' }, proposed: { match: 'PO-7' }, ...over });
  const deliveries = async (reviewId: string) =>
    (await db.query<Delivery>('SELECT id::text, kind, event, attempts, delivered_at, failed_at, last_error FROM review_deliveries WHERE review_id = $1 ORDER BY id', [reviewId])).rows;

  it('opens a task once per external_ref, audited, with no run and the caller as requester', async () => {
    const first = await ask(task({ external_ref: 'inv-1', priority: 'urgent', due: '4h', role: 'finance' }));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ workflow_id: 'invoice-flow', external_ref: 'inv-1', status: 'pending', priority: 'urgent', assigned_role: 'finance', requested_by: requester.email, on_deadline: 'reject', quorum: 1 });
    expect(new Date(String(first.body.due_at)).getTime() - Date.now()).toBeGreaterThan(3.9 * 3_600_000);
    const again = await ask(task({ external_ref: 'inv-1', title: 'asked twice' }));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, title: 'Match INV-1 to PO-7?' });
    const row = (await db.query<{ run_id: string | null; step_id: string | null; context: Record<string, unknown> }>('SELECT run_id, step_id, context FROM reviews WHERE id = $1', [first.body.id])).rows[0]!;
    expect(row).toMatchObject({ run_id: null, step_id: null, context: { payload: { invoice: 'INV-1' } } });
    const audit = await db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_events WHERE subject_id = $1`, [first.body.id]);
    expect(audit.rows).toEqual([{ action: 'review:created', actor: requester.email }]);
  });

  it('refuses managed workflows (409), bad callback URLs, schemas and durations (422), and callbacks without a secret', async () => {
    const managed = await ask(task(), requester, 'managed-flow');
    expect(managed.status).toBe(409);
    expect(managed.body.detail).toMatch(/managed-flow is managed/);
    expect((await ask(task(), requester, 'no-such-flow')).status).toBe(404);
    for (const url of ['not a url', 'ftp://127.0.0.1/x', 'http://user:pw@127.0.0.1/x']) {
      const bad = await ask(task({ callback_url: url }));
      expect(bad.status, url).toBe(422);
      expect(bad.body.problems).toEqual([expect.objectContaining({ path: 'body.callback_url' })]);
    }
    expect((await ask(task({ due: 'soon' }))).status).toBe(422);
    expect((await ask(task({ output_schema: { type: 'object', required: ['amount'] } }))).body.problems).toEqual([expect.objectContaining({ path: 'body.proposed.amount' })]);
    const noSecret = await contractChecker(withToken(testHttpApp(db), requester.token));
    const refused = await noSecret.call('POST', '/api/workflows/{id}/reviews', '/api/workflows/invoice-flow/reviews', task({ callback_url: receiver.url }), 422);
    expect(refused.body.hint).toMatch(/KEEL_CALLBACK_SECRET/);
    // A viewer may not ask.
    const viewer = await createTestIdentity(db, ['viewer']);
    const refusedViewer = await withToken(app, viewer.token).request('/api/workflows/invoice-flow/reviews', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(task()) });
    expect(refusedViewer.status).toBe(403);
  });

  it('sends the decision to the callback, signed so that keel/client verifies it, and the long-poll returns it', async () => {
    const created = await ask(task({ external_ref: 'inv-2', callback_url: `${receiver.url}/hook` }));
    const id = String(created.body.id);
    const poll = withToken(app, requester.token).request(`/api/reviews/${id}/decision?wait=20`);
    const decided = await withToken(app, reviewer.token).request(`/api/reviews/${id}/decision`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'edit', output: { match: 'PO-8' }, comment: 'wrong PO' }),
    });
    expect(decided.status, await decided.clone().text()).toBe(200);
    const answer = await poll;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id, status: 'edited', decision: 'edit', output: { match: 'PO-8' }, comment: 'wrong PO', decided_by: reviewer.email, external_ref: 'inv-2' });

    expect(await deliverDueReviewMessages(db, deps())).toMatchObject({ claimed: 1, delivered: 1 });
    const [call] = await receiver.waitForCalls(1);
    expect(call!.path).toBe('/hook');
    const verified = verifyCallback(call!.headers, call!.body, callbackSecret);
    expect(verified.id).toMatch(/^rdl_\d+$/);
    expect(verified.message).toMatchObject({ type: 'review:decided', data: { id, status: 'edited', external_ref: 'inv-2', output: { match: 'PO-8' } } });
    expect(() => verifyCallback(call!.headers, call!.body.replace('PO-8', 'PO-9'), callbackSecret)).toThrow(/not from Keel/);
    expect(() => verifyCallback(call!.headers, call!.body, 'another secret')).toThrow(/no matching signature/);
    expect(() => verifyCallback(call!.headers, call!.body, callbackSecret, { now: new Date(Date.now() + 6 * 60_000) })).toThrow(/tolerance/);
    expect(await deliveries(id)).toEqual([expect.objectContaining({ kind: 'callback', event: 'review:decided', attempts: 1, delivered_at: expect.any(Date), failed_at: null })]);
    expect((await deliverDueReviewMessages(db, deps())).claimed).toBe(0);
  });

  it('answers 202 while the task is open, and ends the wait early when the caller leaves', async () => {
    const id = String((await ask(task())).body.id);
    const api = await contractChecker(withToken(app, requester.token));
    expect((await api.call('GET', '/api/reviews/{id}/decision', `/api/reviews/${id}/decision?wait=0.3`, undefined, 202)).body).toEqual({ id, status: 'pending' });
    await api.call('GET', '/api/reviews/{id}/decision', `/api/reviews/${id}/decision?wait=61`, undefined, 422);
    const leaving = new AbortController();
    const started = Date.now();
    const waiting = withToken(app, requester.token).request(`/api/reviews/${id}/decision?wait=30`, { signal: leaving.signal });
    setTimeout(() => leaving.abort(), 200);
    await Promise.resolve(waiting).catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries a receiver that fails with back-off, then delivers the same message id', async () => {
    receiver.failNext(2, 500);
    const id = String((await ask(task({ callback_url: receiver.url }))).body.id);
    await decide(id, 'approve');
    const t0 = new Date(Date.now() + 1000);
    expect(await deliverDueReviewMessages(db, deps(), t0)).toMatchObject({ claimed: 1, retried: 1 });
    expect((await deliveries(id))[0]).toMatchObject({ attempts: 1, last_error: 'HTTP 500: injected failure' });
    // Not due again before the first back-off (5 s) has passed.
    expect((await deliverDueReviewMessages(db, deps(), new Date(t0.getTime() + 4_000))).claimed).toBe(0);
    expect(await deliverDueReviewMessages(db, deps(), new Date(t0.getTime() + 5_000))).toMatchObject({ claimed: 1, retried: 1 });
    expect((await deliverDueReviewMessages(db, deps(), new Date(t0.getTime() + 14_000))).claimed).toBe(0);
    expect(await deliverDueReviewMessages(db, deps(), new Date(t0.getTime() + 15_000))).toMatchObject({ claimed: 1, delivered: 1 });
    expect((await deliveries(id))[0]).toMatchObject({ attempts: 3, last_error: null, delivered_at: expect.any(Date) });
    const ids = receiver.calls.map((c) => c.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1);
    expect(verifyCallback(receiver.calls[2]!.headers, receiver.calls[2]!.body, callbackSecret).message).toMatchObject({ type: 'review:decided', data: { decision: 'approve', output: { match: 'PO-7' } } });
  });

  it('gives a notification target up after the last attempt, keeping an error that holds no secret', async () => {
    const targetSecret = 'target-secret-value-123';
    await syncNotificationTargets(db, [{ name: 'pager', url: `${receiver.url}/pager`, secretEnv: 'KEEL_PAGER_SECRET', events: ['review:created'], roles: [] }]);
    const targetSecrets = targetSecretsByUrl([{ name: 'pager', url: `${receiver.url}/pager`, secretEnv: 'KEEL_PAGER_SECRET', events: [], roles: [] }], { KEEL_PAGER_SECRET: targetSecret });
    receiver.failNext(Infinity, 503);
    const id = String((await ask(task())).body.id);
    const retry = { firstDelayMs: 10, maxDelayMs: 10, maxAttempts: 3 };
    let now = Date.now() + 1000;
    for (let i = 0; i < 3; i++, now += 1000) await deliverDueReviewMessages(db, deps({ targetSecrets, retry }), new Date(now));
    const [row] = await deliveries(id);
    expect(row).toMatchObject({ kind: 'notification', event: 'review:created', attempts: 3, delivered_at: null, failed_at: expect.any(Date), last_error: 'HTTP 503: injected failure' });
    expect(receiver.calls).toHaveLength(3);
    // Notifications are signed with the target's own secret, not the callback secret.
    expect(verifyCallback(receiver.calls[0]!.headers, receiver.calls[0]!.body, targetSecret).message).toMatchObject({ type: 'review:created', data: { id } });
    expect((await deliverDueReviewMessages(db, deps({ targetSecrets, retry }), new Date(now + 60_000))).claimed).toBe(0);
    const failed = await db.query<{ action: string; data: Record<string, unknown> }>(`SELECT action, data FROM audit_events WHERE subject_id = $1 AND action = 'review_delivery:failed'`, [id]);
    expect(failed.rows).toHaveLength(1);
    expect(JSON.stringify(failed.rows[0])).not.toContain(targetSecret);
  });

  it('keeps notification targets equal to the configuration, and queues only for the roles a target names', async () => {
    const hook = (name: string, over: Record<string, unknown> = {}) => ({ name, url: `${receiver.url}/${name}`, secretEnv: 'KEEL_X_SECRET', events: ['review:created' as const], roles: [] as string[], ...over });
    expect(await syncNotificationTargets(db, [hook('a'), hook('b', { roles: ['finance'] })])).toEqual({ created: ['a', 'b'], updated: [], removed: [] });
    expect(await syncNotificationTargets(db, [hook('a'), hook('b', { roles: ['finance'] })])).toEqual({ created: [], updated: [], removed: [] });
    const id = String((await ask(task())).body.id);
    expect((await db.query<{ url: string }>('SELECT url FROM review_deliveries WHERE review_id = $1', [id])).rows).toEqual([{ url: `${receiver.url}/a` }]);
    expect(await syncNotificationTargets(db, [hook('b', { roles: [] })])).toEqual({ created: [], updated: ['b'], removed: ['a'] });
    expect((await db.query('SELECT name FROM notification_targets')).rows).toEqual([{ name: 'b' }]);
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE subject_type = 'notification_target' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['notification_target:created', 'notification_target:created', 'notification_target:updated', 'notification_target:removed']);
  });

  it('runs as a loop that a queued message wakes at once, and stops cleanly', async () => {
    const errors: unknown[] = [];
    const loop = await startReviewDeliveries(db, { ...deps(), pollMs: 60_000, onError: (_m, e) => errors.push(e) });
    try {
      const id = String((await ask(task({ callback_url: receiver.url }))).body.id);
      await decide(id, 'reject', 'not ours');
      const [call] = await receiver.waitForCalls(1, 10_000);
      expect(verifyCallback(call!.headers, call!.body, callbackSecret).message).toMatchObject({ data: { id, status: 'rejected', decision: 'reject', output: null } });
    } finally {
      await loop.stop();
    }
    expect(errors).toEqual([]);
  });

  async function decide(id: string, decision: string, comment?: string): Promise<void> {
    const res = await withToken(app, reviewer.token).request(`/api/reviews/${id}/decision`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ decision, comment }),
    });
    expect(res.status, await res.text()).toBe(200);
  }
});

// The shipped example, run as the separate program it is, against a real Keel serving HTTP with its
// delivery loop: it asks, a person decides through the API, and the signed callback reaches it.
describe.each(testDatabases())('the external-review example script on $name', (database) => {
  let dir: string;
  let keel: RunningKeel | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let child: ChildProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keel-external-'));
    await mkdir(join(dir, 'workflows'));
    await writeFile(join(dir, 'workflows', 'invoice-flow.yaml'), externalWorkflow);
  });
  afterEach(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await keel?.stop();
    await dropDatabase?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('gets its decision by a signed callback', async () => {
    let url: string | undefined;
    if (database.name === 'postgres') {
      const created = await createPostgresDatabase(postgresTestUrl!);
      url = created.url;
      dropDatabase = created.drop;
    }
    const config = loadConfig({
      env: { KEEL_CALLBACK_SECRET: callbackSecret, KEEL_EGRESS_ALLOW_HOSTS: '127.0.0.1' },
      file: join(dir, 'keel.yaml'),
      flags: {
        server: { port: 0 }, database: url ? { url } : { dataDir: join(dir, 'data'), fsync: false },
        workflowsDir: join(dir, 'workflows'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent', workers: { pollMs: 100, sweepMs: 200 },
      },
    });
    // The callback secret is Keel's own: captured for signing, never offered to workflow files.
    expect(config.secrets).toEqual({});
    expect(config.deliverySecrets).toEqual({ KEEL_CALLBACK_SECRET: callbackSecret });
    keel = await startKeel(config, { http: true, workers: true, scheduler: false, loadWorkflows: true });
    const asker = await createTestIdentity(keel.db, ['builder']);
    const person = await createTestIdentity(keel.db, ['reviewer']);

    const script = fileURLToPath(new URL('../../examples/external-review/request-review.mjs', import.meta.url));
    // `keel-source` resolves keel/client to its TypeScript source, so the example runs without a build.
    child = spawn(process.execPath, ['--conditions=keel-source', '--import', 'tsx', script, 'invoice-flow', 'inv-77'], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', KEEL_URL: keel.url!, KEEL_TOKEN: asker.token, KEEL_CALLBACK_SECRET: callbackSecret, WAIT_MS: '30000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    const reviewId = (await waitForOutput(() => out, /review (rev_\w+) opened for invoice-flow/))[1]!;

    const decided = await fetch(`${keel.url}/api/reviews/${reviewId}/decision`, {
      method: 'POST', headers: { authorization: `Bearer ${person.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'edit', output: { match: 'PO-7790', confidence: 1 }, comment: 'the PO was re-issued' }),
    });
    expect(decided.status, await decided.clone().text()).toBe(200);
    expect(await exited, out).toBe(0);
    const line = /^decision: (.*)$/m.exec(out);
    expect(line, out).toBeTruthy();
    expect(JSON.parse(line![1]!)).toEqual({
      review: reviewId, status: 'edited', decision: 'edit', output: { match: 'PO-7790', confidence: 1 }, decided_by: person.email, comment: 'the PO was re-issued',
    });
    const row = (await keel.db.query<{ attempts: number; delivered_at: Date | null }>(`SELECT attempts, delivered_at FROM review_deliveries WHERE review_id = $1 AND kind = 'callback'`, [reviewId])).rows;
    expect(row).toEqual([{ attempts: 1, delivered_at: expect.any(Date) }]);
  }, 90_000);
});

async function waitForOutput(read: () => string, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = read().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
