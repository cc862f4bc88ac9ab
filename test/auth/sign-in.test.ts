// Sign-in with email and password, sessions, CSRF, lockout, rate limiting, tokens and one-time
// links, through the real HTTP app on both databases. Every refusal must be clear and audited.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, firstAdminLink, passwordLink, unlockUser, updateUser } from '../../src/auth/index.js';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';
import { createTestIdentity, testHttpApp } from '../support/identity.js';
import { readJson } from '../support/json.js';

const password = 'violet tugboat under seven bridges';
const policy = { minPasswordLength: 12 };

describe.each(testDatabases())('sign-in on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  beforeEach(async () => {
    db = await database.open();
    app = testHttpApp(db);
  });
  afterEach(async () => {
    await db.close();
  });

  const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.request(path, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const signIn = (email: string, pw: string) => json('POST', '/api/auth/sign-in', { email, password: pw });
  const auditActions = async (action: string) =>
    (await db.query<{ data: Record<string, unknown>; subject_id: string }>('SELECT data, subject_id FROM audit_events WHERE action = $1 ORDER BY id', [action])).rows;

  async function member(email = 'dana@example.com', roles: ('viewer' | 'admin')[] = ['viewer']) {
    const user = await createUser(db, { email, roles, password }, 'test', policy);
    return user;
  }

  it('signs in with an HTTP-only SameSite session cookie, and a cookie change needs the CSRF header', async () => {
    await member();
    const res = await signIn('Dana@Example.com', password);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/keel_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const { csrf_token: csrf } = (await readJson(res)) as { csrf_token: string };
    const cookie = setCookie.split(';')[0]!;

    const me = await json('GET', '/api/auth/me', undefined, { cookie });
    expect(await readJson(me)).toMatchObject({ email: 'dana@example.com', via: 'session', roles: ['viewer'], csrf_token: csrf });

    const forged = await json('POST', '/api/tokens', { name: 'x', scopes: ['workflows:read'] }, { cookie });
    expect(forged.status).toBe(403);
    expect(await readJson(forged)).toMatchObject({ code: 'csrf_rejected' });
    const wrongToken = await json('POST', '/api/tokens', { name: 'x', scopes: ['workflows:read'] }, { cookie, 'x-keel-csrf': 'guess' });
    expect(wrongToken.status).toBe(403);
    const made = await json('POST', '/api/tokens', { name: 'x', scopes: ['workflows:read'] }, { cookie, 'x-keel-csrf': csrf });
    expect(made.status).toBe(201);

    const out = await json('POST', '/api/auth/sign-out', undefined, { cookie, 'x-keel-csrf': csrf });
    expect(out.status).toBe(200);
    const after = await json('GET', '/api/auth/me', undefined, { cookie });
    expect(after.status).toBe(401);
    expect((await readJson(after)).detail).toMatch(/ended/);
    expect(await auditActions('sign_in:succeeded')).toHaveLength(1);
    expect(await auditActions('session:revoked')).toHaveLength(1);
    const traced = await json('POST', '/api/auth/sign-in', { email: 'dana@example.com', password }, { 'x-request-id': 'req-trace-7' });
    expect(traced.headers.get('x-request-id')).toBe('req-trace-7');
    const row = await db.query<{ request_id: string }>(`SELECT request_id FROM audit_events WHERE action = 'sign_in:succeeded' ORDER BY id DESC LIMIT 1`);
    expect(row.rows[0]!.request_id).toBe('req-trace-7');
  });

  it('answers an unknown email and a wrong password alike, never with a stack, and audits both', async () => {
    await member();
    const unknown = await signIn('nobody@example.com', password);
    const wrong = await signIn('dana@example.com', 'not the password at all');
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const [a, b] = [await readJson(unknown), await readJson(wrong)];
    expect(a.detail).toBe(b.detail);
    expect(a.code).toBe('invalid_credentials');
    expect(JSON.stringify([a, b])).not.toMatch(/at .*\.ts:\d+/);
    expect((await auditActions('sign_in:failed')).map((r) => r.data.reason)).toEqual(['unknown_user', 'wrong_password']);
    const bad = await json('POST', '/api/auth/sign-in', { email: 'not an email', password: 'x' });
    expect(bad.status).toBe(422);
    expect((await readJson(bad)).problems).toEqual([{ path: 'email', message: 'must be an email address like name@example.com' }]);
  });

  it('locks an account after five wrong passwords, even against the right one, until unlocked', async () => {
    await member();
    for (let i = 0; i < 5; i++) expect((await signIn('dana@example.com', `wrong password ${i}`)).status).toBe(401);
    const locked = await signIn('dana@example.com', password);
    expect(locked.status).toBe(423);
    expect(await readJson(locked)).toMatchObject({ code: 'account_locked', hint: expect.stringMatching(/keel users unlock dana@example.com/) });
    expect((await auditActions('sign_in:failed')).map((r) => r.data.reason)).toContain('locked');
    await unlockUser(db, 'dana@example.com', 'local:root');
    expect((await signIn('dana@example.com', password)).status).toBe(200);
  });

  it('limits sign-in attempts per address and says when to come back', async () => {
    await member();
    for (let i = 0; i < 10; i++) await signIn(`someone${i}@example.com`, 'whatever password');
    const limited = await signIn('dana@example.com', password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await readJson(limited)).toMatchObject({ code: 'rate_limited' });
  });

  it('refuses a disabled user, and disabling ends their sessions', async () => {
    const user = await member();
    await createTestIdentity(db, ['admin']);
    const res = await signIn('dana@example.com', password);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    await updateUser(db, user.id, { status: 'disabled' }, 'test');
    expect((await json('GET', '/api/auth/me', undefined, { cookie })).status).toBe(401);
    const again = await signIn('dana@example.com', password);
    expect(again.status).toBe(403);
    expect((await readJson(again)).detail).toMatch(/disabled/);
    expect((await auditActions('sign_in:failed')).map((r) => r.data.reason)).toEqual(['disabled']);
  });

  it('ends an idle session', async () => {
    await member();
    const cookie = (await signIn('dana@example.com', password)).headers.get('set-cookie')!.split(';')[0]!;
    await db.query(`UPDATE sessions SET last_seen_at = now() - interval '3 hours'`);
    const res = await json('GET', '/api/auth/me', undefined, { cookie });
    expect(res.status).toBe(401);
    expect((await readJson(res)).detail).toMatch(/expired/);
  });

  it('keeps tokens to their scopes, refuses expired and revoked ones, and audits each refusal', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    const asAdmin = { authorization: `Bearer ${admin.token}` };
    const made = await json('POST', '/api/tokens', { name: 'ci', scopes: ['workflows:read'], expires_in_days: 30 }, asAdmin);
    expect(made.status).toBe(201);
    const { token, secret } = (await readJson(made)) as { token: { id: string }; secret: string };
    const listed = await readJson(await json('GET', '/api/tokens', undefined, asAdmin));
    expect(JSON.stringify(listed)).not.toContain(secret);
    const stored = await db.query('SELECT 1 FROM api_tokens WHERE secret_hash = $1', [secret]);
    expect(stored.rows).toHaveLength(0);

    const asCi = { authorization: `Bearer ${secret}` };
    expect((await json('GET', '/api/workflows', undefined, asCi)).status).toBe(200);
    const outside = await json('GET', '/api/users', undefined, asCi);
    expect(outside.status).toBe(403);
    expect((await readJson(outside)).detail).toMatch(/does not carry the scope users:read/);
    expect((await auditActions('access:denied')).map((r) => r.data.token_id)).toEqual([token.id]);

    const viewer = await createTestIdentity(db, ['viewer']);
    const widen = await json('POST', '/api/tokens', { name: 'wider', scopes: ['users:write'] }, { authorization: `Bearer ${viewer.token}` });
    expect(widen.status).toBe(403);
    expect((await readJson(widen)).detail).toMatch(/scopes you do not hold: users:write/);
    const forOther = await json('POST', '/api/tokens', { name: 'theirs', scopes: ['all'], user: admin.email }, { authorization: `Bearer ${viewer.token}` });
    expect(forOther.status).toBe(403);
    const forViewer = await json('POST', '/api/tokens', { name: 'for viewer', scopes: ['all'], user: viewer.email }, asAdmin);
    expect(forViewer.status).toBe(201);
    expect((await readJson(forViewer)).token).toMatchObject({ user_email: viewer.email, scopes: ['account:self', 'connectors:read', 'reviews:read', 'runs:read', 'workflows:read'] });

    expect((await json('DELETE', `/api/tokens/${token.id}`, undefined, asAdmin)).status).toBe(200);
    const revoked = await json('GET', '/api/workflows', undefined, asCi);
    expect(revoked.status).toBe(401);
    expect((await readJson(revoked)).detail).toMatch(/was revoked/);
    await db.query(`UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id <> $1`, [token.id]);
    const expired = await json('GET', '/api/workflows', undefined, asAdmin);
    expect((await readJson(expired)).detail).toMatch(/was expired/);
    expect((await auditActions('token:rejected')).map((r) => r.data.reason)).toEqual(['revoked', 'expired']);
  });

  it('makes the first admin through a one-time link that works once, and never while users exist', async () => {
    const link = (await firstAdminLink(db))!;
    const weak = await json('POST', '/api/setup', { token: link.secret, email: 'root@example.com', password: 'password123' });
    expect(weak.status).toBe(422);
    expect((await readJson(weak)).problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'password', message: 'must be at least 12 characters (it has 11)' })]));
    const common = await json('POST', '/api/setup', { token: link.secret, email: 'root@example.com', password: 'qwerty123456' });
    expect((await readJson(common)).problems).toEqual(expect.arrayContaining([expect.objectContaining({ message: 'is on the list of commonly used passwords' })]));
    const made = await json('POST', '/api/setup', { token: link.secret, email: 'root@example.com', password });
    expect(made.status).toBe(200);
    expect(await readJson(made)).toMatchObject({ user: { email: 'root@example.com', roles: ['admin'] } });
    expect((await json('POST', '/api/setup', { token: link.secret, email: 'root2@example.com', password })).status).toBe(404);
    expect(await firstAdminLink(db)).toBeUndefined();

    const reset = await passwordLink(db, 'root@example.com', 'test');
    await db.query(`UPDATE sign_in_links SET expires_at = now() - interval '1 second' WHERE id = $1`, [reset.id]);
    expect((await json('POST', '/api/setup', { token: reset.secret, password: 'another long passphrase here' })).status).toBe(404);
  });

  it('never lets the last active admin go', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    const res = await json('PATCH', `/api/users/${admin.userId}`, { roles: ['viewer'] }, { authorization: `Bearer ${admin.token}` });
    expect(res.status).toBe(409);
    expect((await readJson(res)).detail).toMatch(/no active admin/);
  });

  it('answers 401 with a hint to a request without credentials, and a malformed Authorization header clearly', async () => {
    const none = await json('GET', '/api/workflows');
    expect(none.status).toBe(401);
    expect(await readJson(none)).toMatchObject({ code: 'unauthenticated', hint: expect.stringMatching(/keel tokens create/) });
    const basic = await json('GET', '/api/workflows', undefined, { authorization: 'Basic YWRtaW46YWRtaW4=' });
    expect((await readJson(basic)).detail).toMatch(/Bearer <token>/);
  });
});
