import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { signWebhook } from '../../src/connectors/index.js';
import type { createHttpApp } from '../../src/http/app.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { testDatabases } from '../support/databases.js';
import { readJson } from '../support/json.js';
import { deploy } from '../support/harness.js';

const workflow = (extra = '') => `
id: intake
title: Intake
owner: ops@example.com
risk: low
triggers:
  - webhook: { ${extra} }
input:
  type: object
  required: [email, amount]
  properties:
    email: { type: string, minLength: 3 }
    amount: { type: number, minimum: 0 }
steps:
  - id: shape
    kind: transform
    expression: '{ "who": input.email }'
`;

const secret = 'whsec_' + Buffer.from('a-very-secret-signing-key').toString('base64');

describe.each(testDatabases())('webhook trigger on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof createHttpApp>;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const runCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM runs')).rows[0]!.n;

  beforeEach(async () => {
    db = await database.open();
    app = testHttpApp(db, { secrets: { KEEL_HOOK_SECRET: secret } });
  });
  afterEach(async () => {
    await db.close();
  });

  it('accepts a valid event and creates one queued run', async () => {
    await deploy(db, workflow());
    const res = await post('/hooks/intake', JSON.stringify({ email: 'a@b.c', amount: 3 }));
    expect(res.status).toBe(202);
    const body = await readJson(res);
    expect(body).toMatchObject({ status: 'queued', deduplicated: false, run_id: expect.stringMatching(/^run_/) });
    expect(await runCount()).toBe(1);
  });

  it('makes one run when the same delivery arrives three times at once', async () => {
    await deploy(db, workflow());
    const send = () => post('/hooks/intake', JSON.stringify({ email: 'a@b.c', amount: 1 }), { 'webhook-id': 'msg_1' });
    const answers = await Promise.all([send(), send(), send()]);
    const bodies = await Promise.all(answers.map((r) => readJson(r) as Promise<{ run_id: string; deduplicated: boolean }>));
    expect(new Set(bodies.map((b) => b.run_id)).size).toBe(1);
    expect(bodies.filter((b) => !b.deduplicated)).toHaveLength(1);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    expect(await runCount()).toBe(1);
  });

  it('deduplicates by Idempotency-Key too', async () => {
    await deploy(db, workflow());
    const a = await post('/hooks/intake', JSON.stringify({ email: 'a@b.c', amount: 1 }), { 'idempotency-key': 'k1' });
    const b = await post('/hooks/intake', JSON.stringify({ email: 'a@b.c', amount: 1 }), { 'idempotency-key': 'k1' });
    expect((await readJson(a)).run_id).toBe((await readJson(b)).run_id);
    expect(await runCount()).toBe(1);
  });

  it('answers 422 naming every failing field and stores nothing', async () => {
    await deploy(db, workflow());
    const res = await post('/hooks/intake', JSON.stringify({ email: 'x', amount: -1 }));
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = await readJson(res);
    expect(problem.code).toBe('invalid_input');
    expect(problem.problems.map((p: { path: string }) => p.path).sort()).toEqual(['input.amount', 'input.email']);
    const missing = await readJson(await post('/hooks/intake', JSON.stringify({})));
    expect(missing.problems.map((p: { path: string }) => p.path).sort()).toEqual(['input.amount', 'input.email']);
    expect(await runCount()).toBe(0);
  });

  it('answers 400 to malformed JSON', async () => {
    await deploy(db, workflow());
    const res = await post('/hooks/intake', '{"email": ');
    expect(res.status).toBe(400);
    expect((await readJson(res)).code).toBe('malformed_json');
    expect(await runCount()).toBe(0);
  });

  it('answers 413 to a body over the limit', async () => {
    await deploy(db, workflow());
    const big = JSON.stringify({ email: 'a@b.c', amount: 1, pad: 'x'.repeat(1024 * 1024) });
    const res = await post('/hooks/intake', big);
    expect(res.status).toBe(413);
    expect((await readJson(res)).code).toBe('payload_too_large');
    expect(await runCount()).toBe(0);
  });

  it('answers 404 for an unknown workflow', async () => {
    const res = await post('/hooks/nope', '{}');
    expect(res.status).toBe(404);
    expect((await readJson(res)).code).toBe('not_found');
  });

  it('answers 409 for an undeployed stage and 503 with Retry-After for a paused one', async () => {
    await deploy(db, workflow());
    const undeployed = await post('/hooks/intake?stage=sandbox', JSON.stringify({ email: 'a@b.c', amount: 1 }));
    expect(undeployed.status).toBe(409);
    expect((await readJson(undeployed)).code).toBe('not_deployed');
    const admin = withToken(app, (await createTestIdentity(db)).token);
    const paused = await admin.request('/api/workflows/intake/deployments/production/pause', { method: 'POST' });
    expect(paused.status).toBe(200);
    const res = await post('/hooks/intake', JSON.stringify({ email: 'a@b.c', amount: 1 }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('60');
    expect((await readJson(res)).code).toBe('stage_paused');
    expect(await runCount()).toBe(0);
  });

  it('checks the Standard Webhooks signature when the workflow sets a secret', async () => {
    await deploy(db, workflow('secret: { env: KEEL_HOOK_SECRET }'));
    const body = JSON.stringify({ email: 'a@b.c', amount: 2 });
    const timestamp = Math.floor(Date.now() / 1000);
    const good = { 'webhook-id': 'msg_9', 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook({ id: 'msg_9', timestamp, body, secret }) };
    expect((await post('/hooks/intake', body, good)).status).toBe(202);

    const unsigned = await post('/hooks/intake', body);
    expect(unsigned.status).toBe(401);
    const tampered = await post('/hooks/intake', body.replace('2', '3'), { ...good, 'webhook-id': 'msg_9' });
    expect(tampered.status).toBe(401);
    const old = timestamp - 600;
    const stale = await post('/hooks/intake', body, { 'webhook-id': 'msg_10', 'webhook-timestamp': String(old), 'webhook-signature': signWebhook({ id: 'msg_10', timestamp: old, body, secret }) });
    expect(stale.status).toBe(401);
    expect((await readJson(stale)).code).toBe('signature_invalid');
    expect(await runCount()).toBe(1);
  });
});
