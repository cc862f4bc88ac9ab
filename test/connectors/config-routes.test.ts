// Configuring connectors over HTTP as real people with real tokens: an admin creates one (its
// config checked against its kind, every problem named), its owner changes it and stores a secret
// that the connector's action then really uses (a loopback API checks the bearer token), nobody
// else may, a connector described in a file is changed only in its file, and the value never
// appears in an answer or the audit trail.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorRuntime, invokeAction, requestGrant, decideGrant, saveConnector, secretKeyFromText } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken, type TestIdentity } from '../support/identity.js';

const token = `canary-${randomBytes(12).toString('hex')}`;

describe.each(testDatabases())('configuring connectors over HTTP on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let admin: TestIdentity, owner: TestIdentity, builder: TestIdentity;
  let api: Server;
  let apiUrl: string;
  const seenAuth: string[] = [];
  const key = secretKeyFromText(randomBytes(32).toString('hex'), 'test');
  const answers: string[] = [];

  async function call(who: TestIdentity, method: string, path: string, body?: unknown) {
    const res = await withToken(app, who.token).request(path, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> & { problems?: Array<{ path: string; message: string }> } };
  }
  const crm = (ownerEmail: string, extra: Record<string, unknown> = {}) => ({
    kind: 'http', title: 'CRM', owner: ownerEmail, rotation_days: 30, allow_hosts: ['127.0.0.1'],
    config: { base_url: apiUrl, auth: { type: 'bearer', token_secret: 'crm-token' } }, ...extra,
  });

  beforeAll(async () => {
    api = createServer((req, res) => {
      seenAuth.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    db = await database.open();
    app = testHttpApp(db, { secretKey: key });
    admin = await createTestIdentity(db, ['admin']);
    owner = await createTestIdentity(db, ['viewer'], `crm-owner-${Date.now()}@example.com`);
    builder = await createTestIdentity(db, ['builder']);
  });
  afterAll(async () => {
    for (const text of answers) expect(text.includes(token), 'an answer holds the secret').toBe(false);
    await db.close();
    await new Promise((resolve) => api.close(resolve));
  });

  it('is created by an admin only, with every problem of its config named', async () => {
    expect((await call(builder, 'PUT', '/api/connectors/crm', crm(owner.email))).status).toBe(403);
    const bad = await call(admin, 'PUT', '/api/connectors/crm', { ...crm(owner.email), config: { base_url: 'not a url', auth: { type: 'bearer' }, extra: 1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.problems!.map((p) => p.path).sort()).toEqual(['body.config.', 'body.config.auth.token_secret', 'body.config.base_url'].sort());
    const unknown = await call(admin, 'PUT', '/api/connectors/crm', { ...crm(owner.email), kind: 'ftp' });
    expect(unknown.body.problems).toEqual([{ path: 'body.kind', message: expect.stringContaining('unknown kind') }]);
    expect((await call(admin, 'GET', '/api/connectors/crm')).status).toBe(404);

    const created = await call(admin, 'PUT', '/api/connectors/crm', crm(owner.email));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'crm', kind: 'http', owner: owner.email, source: 'api', config_valid: true });
    expect((await call(admin, 'PUT', '/api/connectors/crm', crm(owner.email))).status).toBe(200);
  });

  it('is changed by its owner, whose secret the action then uses; nobody else may, and the kind never changes', async () => {
    expect((await call(builder, 'PUT', '/api/connectors/crm', crm(owner.email, { title: 'Mine now' }))).status).toBe(403);
    expect((await call(owner, 'PUT', '/api/connectors/crm', crm(owner.email, { title: 'CRM (sales)' }))).body).toMatchObject({ title: 'CRM (sales)' });
    expect((await call(owner, 'PUT', '/api/connectors/crm', { ...crm(owner.email), kind: 'webhook', config: { url: 'https://x.example.com' } })).status).toBe(409);

    expect((await call(builder, 'PUT', '/api/connectors/crm/secrets/crm-token', { value: token })).status).toBe(403);
    const wrongName = await call(owner, 'PUT', '/api/connectors/crm/secrets/password', { value: token });
    expect(wrongName).toMatchObject({ status: 422, body: { problems: [{ path: 'name', message: 'one of: crm-token' }] } });
    const stored = await call(owner, 'PUT', '/api/connectors/crm/secrets/crm-token', { value: token });
    expect(stored).toMatchObject({ status: 200, body: { name: 'crm-token', version: 1 } });
    expect(stored.body.rotate_by).not.toBeNull();

    await deploy(db, `${oneStepWorkflow('crm-reader')}access:\n  - { connector: crm, scopes: ["http:read"] }\n`);
    const { grant } = await requestGrant(db, { workflowId: 'crm-reader', connectorId: 'crm', scope: 'http:read', actor: builder.email });
    await decideGrant(db, { grantId: grant.id, decision: 'approve', actor: owner.email, ownsConnector: true });
    const runtime = createConnectorRuntime({ db, secretKey: key, allowHosts: [] });
    await invokeAction(runtime, {
      workflowId: 'crm-reader', runId: 'run_x', stepId: 'read', connectorId: 'crm', action: 'get', input: { path: 'contacts' },
      idempotencyKey: 'k', signal: AbortSignal.timeout(5000), intercept: false,
    });
    expect(seenAuth.at(-1)).toBe(`Bearer ${token}`);
    const audit = await db.query<{ row: string }>(`SELECT row_to_json(a)::text AS row FROM audit_events a WHERE subject_id = 'crm'`);
    expect(audit.rows.map((r) => r.row).join('\n')).not.toContain(token);
  });

  it('refuses to change a connector described in a file, pointing at the file', async () => {
    await saveConnector(db, { id: 'kits', kind: 'files', title: 'Kits', owner: owner.email, config: { root: '/tmp' } }, 'file', 'keel:startup');
    const refused = await call(admin, 'PUT', '/api/connectors/kits', { kind: 'files', title: 'Kits', owner: owner.email, config: { root: '/var' } });
    expect(refused.status).toBe(409);
    expect(String(refused.body.detail ?? refused.body.title)).toContain('connectors/*.yaml');
  });
});
