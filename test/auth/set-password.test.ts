// POST /api/users/{id}/password: a user admin (or the local CLI's --password-stdin) sets a password
// directly. It must pass the same policy as every other password, lift a lockout, be audited without
// the password, and answer the user as its contract says.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser } from '../../src/auth/index.js';
import type { Db } from '../../src/db/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { readJson } from '../support/json.js';

const password = 'amber gulls circling the old pier';
const template = '/api/users/{id}/password';

describe.each(testDatabases())('setting a password on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  beforeEach(async () => {
    db = await database.open();
    app = testHttpApp(db);
  });
  afterEach(async () => {
    await db.close();
  });

  const signIn = (email: string, pw: string) =>
    app.request('/api/auth/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: pw }) });

  it('sets the password of a user who has none, by email, so they can sign in; audited without the password', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    await createUser(db, { email: 'gil@example.com', roles: ['viewer'] }, 'test', { minPasswordLength: 12 });
    const api = await contractChecker(withToken(app, admin.token));
    const set = await api.call('POST', template, '/api/users/gil%40example.com/password', { password }, 200);
    expect(set.body).toMatchObject({ email: 'gil@example.com', has_password: true, locked_until: null });
    expect((await signIn('gil@example.com', password)).status).toBe(200);
    const audit = await db.query<{ actor: string; event: string }>(`SELECT actor, to_jsonb(a)::text AS event FROM audit_events a WHERE action = 'user:password_set'`);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.actor).toBe(admin.email);
    expect(audit.rows[0]!.event).not.toContain(password);
  });

  it('ends every session made with the old password', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    await createUser(db, { email: 'ines@example.com', password: 'the old leaked passphrase' }, 'test', { minPasswordLength: 12 });
    const cookie = (await signIn('ines@example.com', 'the old leaked passphrase')).headers.get('set-cookie')!.split(';')[0]!;
    expect((await app.request('/api/auth/me', { headers: { cookie } })).status).toBe(200);
    const api = await contractChecker(withToken(app, admin.token));
    await api.call('POST', template, '/api/users/ines@example.com/password', { password }, 200);
    const after = await app.request('/api/auth/me', { headers: { cookie } });
    expect(after.status).toBe(401);
    expect((await readJson(after)).detail).toMatch(/ended/);
  });

  it('lifts a lockout, as a new password should', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    await createUser(db, { email: 'hana@example.com', password: 'an older passphrase of hers' }, 'test', { minPasswordLength: 12 });
    for (let i = 0; i < 5; i++) expect((await signIn('hana@example.com', `wrong guess ${i} here`)).status).toBe(401);
    expect((await signIn('hana@example.com', 'an older passphrase of hers')).status).toBe(423);
    const api = await contractChecker(withToken(app, admin.token));
    await api.call('POST', template, '/api/users/hana@example.com/password', { password }, 200);
    expect((await signIn('hana@example.com', password)).status).toBe(200);
  });

  it('refuses a weak password with every reason, an unknown user, and a caller without users:write', async () => {
    const admin = await createTestIdentity(db, ['admin']);
    const viewer = await createTestIdentity(db, ['viewer']);
    await createUser(db, { email: 'ivan@example.com' }, 'test', { minPasswordLength: 12 });
    const api = await contractChecker(withToken(app, admin.token));
    const weak = await api.call('POST', template, '/api/users/ivan@example.com/password', { password: 'password' }, 422);
    expect(weak.body.problems).toEqual([
      expect.objectContaining({ path: 'password', message: expect.stringContaining('at least 12 characters') }),
      expect.objectContaining({ path: 'password', message: 'is on the list of commonly used passwords' }),
    ]);
    await api.call('POST', template, '/api/users/nobody@example.com/password', { password }, 404);
    const refused = await withToken(app, viewer.token).request('/api/users/ivan@example.com/password', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }),
    });
    expect(refused.status).toBe(403);
    expect((await readJson(refused)).detail).toMatch(/^Not allowed: .*users:write\.$/);
    const ivan = await db.query<{ has: boolean }>(`SELECT password_hash IS NOT NULL AS has FROM users WHERE email = 'ivan@example.com'`);
    expect(ivan.rows[0]!.has).toBe(false);
  });
});
