// Connectors, grants and the access inventory through the HTTP app, as real people with real tokens:
// a builder asks, the connector's owner decides (not the asker, not another person), a bad scope is
// named, the inventory flags a grant unused for 30 days and a secret due for rotation, and no answer
// of any route ever holds the secret's value in any spelling.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveConnector } from '../../src/connectors/connector-store.js';
import { putSecret, secretKeyFromText } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { contractChecker } from '../support/contract.js';
import type { Json } from '../support/json.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken, type TestIdentity } from '../support/identity.js';

const workflow = (id: string) => oneStepWorkflow(id);

const secretValue = `canary-${randomBytes(12).toString('hex')}`;
/** Every spelling a leaked value could take in an answer. */
const spellings = [secretValue, Buffer.from(secretValue).toString('base64'), Buffer.from(secretValue).toString('base64url'), Buffer.from(secretValue).toString('hex'), encodeURIComponent(secretValue)];

describe.each(testDatabases())('connector and grant routes on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let admin: TestIdentity, builder: TestIdentity, owner: TestIdentity, other: TestIdentity;
  const answers: string[] = [];
  /** Sends a request as `who`, keeps the answer's text for the leak check, answers status and body. */
  async function call(who: TestIdentity, method: string, path: string, body?: unknown) {
    const res = await withToken(app, who.token).request(path, {
      method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    answers.push(text);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as Json : undefined };
  }

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db);
    await deploy(db, workflow('mailer'));
    await deploy(db, workflow('quiet'));
    admin = await createTestIdentity(db, ['admin']);
    builder = await createTestIdentity(db, ['builder']);
    // The owner holds no role that decides grants: owning the connector is what lets them.
    owner = await createTestIdentity(db, ['viewer'], `helpdesk-owner-${Date.now()}@example.com`);
    other = await createTestIdentity(db, ['builder']);
    await saveConnector(db, {
      id: 'helpdesk-mail', kind: 'email', title: 'Helpdesk | mail', owner: owner.email.toUpperCase(), credentialOwner: 'it@example.com',
      config: { smtp: { host: 'smtp.example.com', port: 587, user: 'helpdesk', password_secret: 'smtp-password' }, from: 'help@example.com' }, rotationDays: 30,
    }, 'api', 'test');
    await saveConnector(db, { id: 'crm', kind: 'http', title: 'CRM', owner: 'sales@example.com', config: { base_url: 'https://crm.example.com', auth: { type: 'bearer', token_secret: 'crm-token' } } }, 'api', 'test');
    const key = secretKeyFromText(randomBytes(32).toString('hex'), 'test');
    await putSecret(db, key, { connectorId: 'helpdesk-mail', name: 'smtp-password', value: secretValue, actor: 'test' });
    await putSecret(db, key, { connectorId: 'crm', name: 'crm-token', value: `${secretValue}-crm`, actor: 'test', rotationDays: 90 });
  });
  afterAll(async () => {
    // Checked last, over every answer every test received.
    for (const text of answers) for (const s of spellings) expect(text.includes(s), `an answer holds the secret (${s.slice(0, 8)}…)`).toBe(false);
    await db.close();
  });

  it('lists connectors with actions, scopes, delivery classes and secret metadata, never a value', async () => {
    const contract = await contractChecker(withToken(app, builder.token));
    const list = await contract.call('GET', '/api/connectors', '/api/connectors', undefined, 200);
    answers.push(JSON.stringify(list.body));
    const mail = (list.body.connectors as unknown as Json[]).find((c) => c.id === 'helpdesk-mail')!;
    expect(mail).toMatchObject({ kind: 'email', credential_owner: 'it@example.com', rotation_days: 30, source: 'api' });
    expect(mail.actions).toEqual(expect.arrayContaining([expect.objectContaining({ name: expect.any(String), scope: 'email:send', side_effect: true })]));
    expect(mail.secrets).toEqual([expect.objectContaining({ name: 'smtp-password', version: 1, rotation_due: false })]);
    expect(mail.config.smtp.password_secret).toBe('smtp-password');
    const one = await contract.call('GET', '/api/connectors/{id}', '/api/connectors/crm', undefined, 200);
    answers.push(JSON.stringify(one.body));
    expect(one.body).toMatchObject({ id: 'crm', grants: [], secrets: [{ name: 'crm-token' }] });
    await contract.call('GET', '/api/connectors/{id}', '/api/connectors/nope', undefined, 404);
  });

  it('takes a request from a builder and names the scopes when the scope is wrong', async () => {
    const bad = await call(builder, 'POST', '/api/workflows/mailer/grants', { connector: 'helpdesk-mail', scope: 'slack:post' });
    expect(bad.status).toBe(422);
    expect(bad.json!.detail).toContain('email:read, email:send');
    expect(bad.json!.problems[0]).toMatchObject({ path: 'body.scope' });
    expect((await call(builder, 'POST', '/api/workflows/mailer/grants', { connector: 'nope', scope: 'email:send' })).status).toBe(404);
    expect((await call(admin, 'POST', '/api/workflows/nowhere/grants', { connector: 'crm', scope: 'http:read' })).status).toBe(404);
    // A viewer (the connector owner included) asks for nothing.
    expect((await call(owner, 'POST', '/api/workflows/mailer/grants', { connector: 'helpdesk-mail', scope: 'email:send' })).status).toBe(403);

    const contract = await contractChecker(withToken(app, builder.token));
    const asked = await contract.call('POST', '/api/workflows/{id}/grants', '/api/workflows/mailer/grants', { connector: 'helpdesk-mail', scope: 'email:send', reason: 'replies' }, 201);
    expect(asked.body).toMatchObject({ created: true, grant: { status: 'requested', requested_by: builder.email, scope: 'email:send' } });
    const again = await contract.call('POST', '/api/workflows/{id}/grants', '/api/workflows/mailer/grants', { connector: 'helpdesk-mail', scope: 'email:send' }, 200);
    expect(again.body).toMatchObject({ created: false, grant: { id: (asked.body.grant as unknown as { id: string }).id } });
  });

  it('is decided by the connector owner only: not the asker, not another person', async () => {
    const [grant] = (await call(builder, 'GET', '/api/grants?connector=helpdesk-mail&status=requested')).json!.grants as Array<{ id: string }>;
    const path = `/api/grants/${grant!.id}/decision`;
    const byOther = await call(other, 'POST', path, { decision: 'approve' });
    expect(byOther.status).toBe(403);
    expect(byOther.json!.detail).toContain('owner of connector helpdesk-mail');
    // An admin may decide, but not a request they made; the builder asked this one and is no owner.
    expect((await call(builder, 'POST', path, { decision: 'approve' })).status).toBe(403);
    // The one who asked never decides, even as an admin.
    const own = await call(admin, 'POST', '/api/workflows/mailer/grants', { connector: 'crm', scope: 'http:write' });
    const ownDecision = await call(admin, 'POST', `/api/grants/${own.json!.grant.id as string}/decision`, { decision: 'approve' });
    expect(ownDecision.status).toBe(403);
    expect(ownDecision.json!.detail).toContain('own grant request');
    expect((await call(admin, 'DELETE', `/api/grants/${own.json!.grant.id as string}?note=withdrawn`)).status).toBe(200);
    expect((await call(owner, 'POST', path, { decision: 'reject' })).status).toBe(422);
    expect((await call(owner, 'POST', path, { decision: 'approve', expires_at: 'soon' })).status).toBe(422);

    const contract = await contractChecker(withToken(app, owner.token));
    const expires = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const decided = await contract.call('POST', '/api/grants/{id}/decision', path, { decision: 'approve', note: 'ok', expires_at: expires }, 200);
    expect(decided.body).toMatchObject({ status: 'approved', decided_by: owner.email, expires_at: expires });
    await contract.call('POST', '/api/grants/{id}/decision', path, { decision: 'approve' }, 409);
    const shown = await contract.call('GET', '/api/connectors/{id}', '/api/connectors/helpdesk-mail', undefined, 200);
    expect(shown.body.grants).toEqual([expect.objectContaining({ id: grant!.id, status: 'approved' })]);
  });

  it('lets the owner or an admin revoke, with a note; nobody else', async () => {
    const asked = await call(builder, 'POST', '/api/workflows/quiet/grants', { connector: 'crm', scope: 'http:write' });
    const id = asked.json!.grant.id as string;
    expect((await call(other, 'DELETE', `/api/grants/${id}?note=mine`)).status).toBe(403);
    expect((await call(admin, 'DELETE', `/api/grants/${id}`)).status).toBe(422);
    const contract = await contractChecker(withToken(app, admin.token));
    const revoked = await contract.call('DELETE', '/api/grants/{id}', `/api/grants/${id}?note=not%20needed`, undefined, 200);
    expect(revoked.body).toMatchObject({ status: 'revoked', decision_note: 'not needed' });
  });

  it('flags in the inventory an approved grant unused for 30 days, open requests and rotation due', async () => {
    const asked = await call(builder, 'POST', '/api/workflows/quiet/grants', { connector: 'crm', scope: 'http:read' });
    await call(admin, 'POST', `/api/grants/${asked.json!.grant.id as string}/decision`, { decision: 'approve' });
    await db.query(`UPDATE grants SET decided_at = now() - interval '31 days' WHERE id = $1`, [asked.json!.grant.id]);
    await call(builder, 'POST', '/api/workflows/quiet/grants', { connector: 'helpdesk-mail', scope: 'email:read', reason: 'reads | replies' });
    await db.query(`UPDATE connector_secrets SET rotate_by = now() - interval '1 day' WHERE connector_id = 'helpdesk-mail'`);

    const contract = await contractChecker(withToken(app, other.token));
    const inv = await contract.call('GET', '/api/access/inventory', '/api/access/inventory', undefined, 200);
    answers.push(JSON.stringify(inv.body));
    const byId = new Map((inv.body.connectors as unknown as Json[]).map((c) => [c.id, c]));
    expect(byId.get('crm')!.grants).toEqual([expect.objectContaining({ workflow_id: 'quiet', scope: 'http:read', unused_30d: true, last_used_at: null, use_count: 0 })]);
    expect(byId.get('helpdesk-mail')).toMatchObject({ owner: owner.email.toUpperCase(), credential_owner: 'it@example.com', rotation_due: true, secrets_due: ['smtp-password'] });
    expect(byId.get('helpdesk-mail')!.grants).toEqual([expect.objectContaining({ workflow_id: 'mailer', scope: 'email:send', unused_30d: false })]);
    expect(byId.get('crm')).toMatchObject({ rotation_due: false, next_rotate_by: expect.any(String) });
    expect(inv.body.open_requests).toEqual([expect.objectContaining({ workflow_id: 'quiet', connector_id: 'helpdesk-mail', scope: 'email:read' })]);

    const md = await call(owner, 'GET', '/api/access/inventory?format=markdown');
    expect(md.status).toBe(200);
    expect(md.type).toContain('text/markdown');
    expect(md.text).toContain('## helpdesk-mail (email): Helpdesk \\| mail');
    expect(md.text).toContain('- rotation: **due now** (smtp-password)');
    expect(md.text).toMatch(/\| quiet \| http:read \| - \| never \| 0 \| \*\*yes\*\* \|/);
    expect(md.text).toContain('reads \\| replies');
  });

  it('lists grants only of workflows the caller may see, or of connectors they own', async () => {
    // A person with no global role who owns only the connector still sees its grants (they decide them).
    const outsider = await createTestIdentity(db, [], 'sales@example.com');
    const all = (await call(admin, 'GET', '/api/grants')).json!.grants as Array<{ connector_id: string }>;
    expect(all.length).toBeGreaterThan(2);
    // Without connectors:read anywhere the route itself is refused.
    expect((await call(outsider, 'GET', '/api/grants')).status).toBe(403);
    const filtered = (await call(builder, 'GET', '/api/grants?workflow=quiet&status=approved')).json!.grants as Array<{ workflow_id: string; status: string }>;
    expect(filtered.every((g) => g.workflow_id === 'quiet' && g.status === 'approved')).toBe(true);
    expect((await call(builder, 'GET', '/api/grants?status=bogus')).status).toBe(422);
  });
});
