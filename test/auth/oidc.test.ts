// OpenID Connect sign-in against a real OpenID provider (oidc-provider) on loopback, with Keel
// served as a real HTTP server on loopback and every outbound call going through the guarded
// egress client. Each refusal must be clear, set no session, and be in the audit log.
import { serve, type ServerType } from '@hono/node-server';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startKeel } from '../../src/app.js';
import { createUser, updateUser } from '../../src/auth/index.js';
import { configSchema, loadConfig } from '../../src/config/index.js';
import { createEgressClient, type EgressResponse } from '../../src/connectors/index.js';
import type { Db } from '../../src/db/index.js';
import { testDatabases } from '../support/databases.js';
import { testHttpApp } from '../support/identity.js';
import { startTestIssuer, type TestIssuer, type TestIssuerOptions } from '../support/oidc-issuer.js';

const policy = { minPasswordLength: 12 };

interface World {
  keel: string;
  issuer: TestIssuer;
  /** Every URL Keel's egress client was asked for. */
  egressCalls: string[];
  close(): Promise<void>;
}

interface WorldOptions extends TestIssuerOptions {
  autoCreateDomains?: string[];
  /** Leave the issuer's loopback address off the egress allow-list. */
  noEgressAllowance?: boolean;
  /** Change what the provider answers on its way back to Keel (a forged key set, say). */
  rewrite?: (url: URL, res: EgressResponse) => EgressResponse;
}

/** The provider on one loopback port and Keel (the real HTTP app) on another, wired to each other. */
async function startWorld(db: Db, options: WorldOptions = {}): Promise<World> {
  const issuer = await startTestIssuer(options);
  const auth = configSchema.parse({
    auth: {
      oidc: {
        issuer: issuer.issuer, clientId: issuer.clientId, clientSecret: issuer.clientSecret, allowInsecureHttp: true,
        label: 'Sign in with Acme SSO', autoCreateDomains: options.autoCreateDomains ?? [],
      },
    },
  }).auth;
  let keel = '';
  const egress = createEgressClient({ allowHosts: options.noEgressAllowance ? [] : [issuer.host] });
  const egressCalls: string[] = [];
  const app = testHttpApp(db, {
    auth, serverUrl: () => keel,
    egress: {
      async request(req) {
        egressCalls.push(req.url);
        const res = await egress.request(req);
        return options.rewrite ? options.rewrite(new URL(req.url), res) : res;
      },
    },
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  keel = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer.register(`${keel}/api/auth/oidc/callback`);
  return {
    keel, issuer, egressCalls,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await issuer.close();
    },
  };
}

/** The first `name=value` of a Set-Cookie header list, by cookie name prefix. */
function cookieFrom(res: Response, prefix: string): { pair: string; line: string } | undefined {
  const line = res.headers.getSetCookie().find((l) => l.startsWith(prefix));
  return line ? { pair: line.split(';')[0]!, line } : undefined;
}

interface Attempt {
  /** Keel's answer to the callback. */
  res: Response;
  /** The authorization request Keel sent the browser to. */
  authorization: URL;
  /** The callback URL the provider sent the browser back to. */
  callback: URL;
  /** The login cookie Keel set at the start. */
  loginCookie: { pair: string; line: string };
}

/** A browser signing in: Keel's start, the provider's interaction as `account`, Keel's callback. */
async function signIn(world: World, account: string | { cancel: true }, returnTo = '/workflows', tamper: { callback?: (url: URL) => URL; cookie?: (pair: string) => string } = {}): Promise<Attempt> {
  const start = await fetch(`${world.keel}/api/auth/oidc/start?return_to=${encodeURIComponent(returnTo)}`, { redirect: 'manual' });
  expect(start.status, await start.clone().text()).toBe(302);
  const loginCookie = cookieFrom(start, 'keel_oidc_')!;
  expect(loginCookie).toBeDefined();
  const authorization = new URL(start.headers.get('location')!);
  const callback = await world.issuer.authorize(authorization.href, typeof account === 'string' ? { account } : account);
  const sent = tamper.callback ? tamper.callback(new URL(callback)) : callback;
  const cookie = tamper.cookie ? tamper.cookie(loginCookie.pair) : loginCookie.pair;
  const res = await fetch(sent, { redirect: 'manual', headers: { cookie, accept: 'text/html' } });
  return { res, authorization, callback, loginCookie };
}

describe.each(testDatabases())('OpenID Connect sign-in on $name', (database) => {
  let db: Db;
  let world: World | undefined;
  beforeEach(async () => {
    db = await database.open();
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
    await db.close();
  });

  const signInEvents = async () =>
    (await db.query<{ action: string; actor: string; subject_id: string; data: Record<string, unknown> }>(
      `SELECT action, actor, subject_id, data FROM audit_events WHERE action LIKE 'sign_in:%' ORDER BY id`)).rows;
  const me = (keel: string, cookie: string) => fetch(`${keel}/api/auth/me`, { headers: { cookie } });

  it.each([
    ['email claims from the userinfo endpoint (the spec\'s default for the code flow)', false],
    ['email claims in the ID token', true],
  ])('signs in a known active user with an HttpOnly session cookie, and /api/auth/me works: %s', async (_name, claimsInIdToken) => {
    world = await startWorld(db, { claimsInIdToken });
    const user = await createUser(db, { email: 'ada@acme.example', roles: ['viewer'] }, 'test', policy);
    world.issuer.accounts.set('ada', { email: 'Ada@Acme.Example', email_verified: true, name: 'Ada L.' });

    const providers = await fetch(`${world.keel}/api/auth/providers`);
    expect(await providers.json()).toEqual({ password: true, oidc: { label: 'Sign in with Acme SSO', start_url: '/api/auth/oidc/start' } });

    const attempt = await signIn(world, 'ada', '/workflows?stage=production');
    // The authorization request: code flow, PKCE S256, state and nonce, and never the secret.
    const q = attempt.authorization.searchParams;
    expect(attempt.authorization.origin).toBe(world.issuer.issuer);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    expect(q.get('redirect_uri')).toBe(`${world.keel}/api/auth/oidc/callback`);
    expect(q.get('scope')).toBe('openid email profile');
    expect(attempt.authorization.href).not.toContain(world.issuer.clientSecret);
    // The login state rides in its own short-lived, HttpOnly, Lax cookie, sent only to the callback.
    expect(attempt.loginCookie.line).toMatch(/HttpOnly/i);
    expect(attempt.loginCookie.line).toMatch(/SameSite=Lax/i);
    expect(attempt.loginCookie.line).toMatch(/Path=\/api\/auth\/oidc\/callback/);
    expect(attempt.loginCookie.line).toMatch(/Max-Age=600/);
    expect(attempt.loginCookie.line).not.toContain(q.get('state')!);

    expect(attempt.res.status, await attempt.res.clone().text()).toBe(302);
    expect(attempt.res.headers.get('location')).toBe('/workflows?stage=production');
    const session = cookieFrom(attempt.res, 'keel_session=')!;
    expect(session.line).toMatch(/HttpOnly/i);
    expect(session.line).toMatch(/SameSite=Lax/i);
    // The used login cookie is cleared.
    expect(cookieFrom(attempt.res, attempt.loginCookie.pair.split('=')[0]!)?.line).toMatch(/Max-Age=0/i);

    // Discovery, the code exchange, the signing keys (checked since this issuer is plain http) and
    // userinfo when needed: all through the guarded egress client.
    const called = world.egressCalls.map((u) => new URL(u).pathname);
    expect(called).toEqual(expect.arrayContaining(['/.well-known/openid-configuration', '/jwks', '/token', ...(claimsInIdToken ? [] : ['/me'])]));

    const who = await me(world.keel, session.pair);
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ email: 'ada@acme.example', via: 'session', roles: ['viewer'] });
    const sessions = await db.query<{ method: string; user_id: string }>('SELECT method, user_id FROM sessions');
    expect(sessions.rows).toEqual([{ method: 'oidc', user_id: user.id }]);
    expect(await signInEvents()).toEqual([expect.objectContaining({
      action: 'sign_in:succeeded', actor: 'ada@acme.example', subject_id: user.id,
      data: expect.objectContaining({ method: 'oidc', issuer: world.issuer.issuer, created: false }),
    })]);
  });

  it('refuses an email without an account, creating none (no open sign-up), and audits it', async () => {
    world = await startWorld(db);
    world.issuer.accounts.set('eve', { email: 'eve@acme.example', email_verified: true });
    const attempt = await signIn(world, 'eve');
    expect(attempt.res.status).toBe(403);
    expect(attempt.res.headers.get('content-type')).toMatch(/text\/html/);
    const page = await attempt.res.text();
    expect(page).toContain('There is no Keel account for eve@acme.example.');
    expect(page).not.toContain(world.issuer.clientSecret);
    expect(page).not.toContain(attempt.callback.searchParams.get('code')!);
    expect(page).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(cookieFrom(attempt.res, 'keel_session=')).toBeUndefined();
    expect((await db.query('SELECT 1 FROM users')).rows).toHaveLength(0);
    expect(await signInEvents()).toEqual([expect.objectContaining({
      action: 'sign_in:failed', actor: 'eve@acme.example', data: expect.objectContaining({ method: 'oidc', reason: 'unknown_user' }),
    })]);
  });

  it('creates a user with no roles on first sign-in when the email domain is listed, and only then', async () => {
    world = await startWorld(db, { autoCreateDomains: ['Acme.Example'] });
    world.issuer.accounts.set('new', { email: 'new.person@acme.example', email_verified: true, name: 'New Person' });
    world.issuer.accounts.set('outsider', { email: 'someone@elsewhere.example', email_verified: true });

    const attempt = await signIn(world, 'new', '/');
    expect(attempt.res.status, await attempt.res.clone().text()).toBe(302);
    const who = await me(world.keel, cookieFrom(attempt.res, 'keel_session=')!.pair);
    expect(await who.json()).toMatchObject({ email: 'new.person@acme.example', display_name: 'New Person', roles: [], permissions: ['account:self'], visible_workflows: [] });
    const users = await db.query<{ email: string; password_hash: string | null }>('SELECT email, password_hash FROM users');
    expect(users.rows).toEqual([{ email: 'new.person@acme.example', password_hash: null }]);
    expect((await db.query('SELECT 1 FROM user_roles')).rows).toHaveLength(0);

    // A second sign-in uses the account made the first time.
    expect((await signIn(world, 'new', '/')).res.status).toBe(302);
    expect((await db.query('SELECT 1 FROM users')).rows).toHaveLength(1);

    const outsider = await signIn(world, 'outsider');
    expect(outsider.res.status).toBe(403);
    expect((await db.query('SELECT 1 FROM users')).rows).toHaveLength(1);

    const created = await db.query<{ actor: string }>(`SELECT actor FROM audit_events WHERE action = 'user:created'`);
    expect(created.rows).toEqual([{ actor: 'new.person@acme.example' }]);
    expect((await signInEvents()).map((e) => [e.action, e.data.created ?? e.data.reason])).toEqual([
      ['sign_in:succeeded', true], ['sign_in:succeeded', false], ['sign_in:failed', 'unknown_user'],
    ]);
  });

  it('refuses a disabled user and an email the provider does not vouch for', async () => {
    world = await startWorld(db, { autoCreateDomains: ['acme.example'] });
    await createUser(db, { email: 'admin@acme.example', roles: ['admin'] }, 'test', policy);
    const gone = await createUser(db, { email: 'gone@acme.example', roles: ['viewer'] }, 'test', policy);
    await updateUser(db, gone.id, { status: 'disabled' }, 'test');
    world.issuer.accounts.set('gone', { email: 'gone@acme.example', email_verified: true });
    world.issuer.accounts.set('unverified', { email: 'unverified@acme.example', email_verified: false });
    world.issuer.accounts.set('stringly', { email: 'stringly@acme.example', email_verified: 'true' });
    world.issuer.accounts.set('anonymous', { name: 'No Email' });

    const disabled = await signIn(world, 'gone');
    expect(disabled.res.status).toBe(403);
    expect(await disabled.res.text()).toContain('The account gone@acme.example is disabled.');
    for (const account of ['unverified', 'stringly', 'anonymous']) {
      const refused = await signIn(world, account);
      expect(refused.res.status).toBe(403);
      expect(cookieFrom(refused.res, 'keel_session=')).toBeUndefined();
    }
    // Even with the domain listed, an unverified email makes no account.
    expect((await db.query<{ email: string }>('SELECT email FROM users ORDER BY email')).rows.map((r) => r.email)).toEqual(['admin@acme.example', 'gone@acme.example']);
    expect((await db.query('SELECT 1 FROM sessions')).rows).toHaveLength(0);
    expect((await signInEvents()).map((e) => [e.action, e.data.reason, e.subject_id])).toEqual([
      ['sign_in:failed', 'disabled', gone.id],
      ['sign_in:failed', 'email_unverified', 'unverified@acme.example'],
      ['sign_in:failed', 'email_unverified', 'stringly@acme.example'],
      ['sign_in:failed', 'email_missing', 'unknown'],
    ]);
  });

  it('refuses a tampered state, another browser\'s callback, and a changed login cookie', async () => {
    world = await startWorld(db);
    await createUser(db, { email: 'ada@acme.example', roles: ['viewer'] }, 'test', policy);
    world.issuer.accounts.set('ada', { email: 'ada@acme.example', email_verified: true });

    const tampered = await signIn(world, 'ada', '/', {
      callback: (url) => { url.searchParams.set('state', `${url.searchParams.get('state')}x`); return url; },
    });
    // Login CSRF: the callback of a sign-in started elsewhere (the attacker's), in a browser that started its own.
    const attackers = await signIn(world, 'ada', '/', { cookie: () => 'keel_other=1' });
    const mine = await fetch(`${world.keel}/api/auth/oidc/start`, { redirect: 'manual' });
    const csrf = await fetch(attackers.callback, { redirect: 'manual', headers: { cookie: cookieFrom(mine, 'keel_oidc_')!.pair } });
    const changed = await signIn(world, 'ada', '/', {
      cookie: (pair) => { const [name, value] = pair.split('='); return `${name}=${value!.slice(0, -4)}${value!.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`; },
    });

    for (const res of [tampered.res, attackers.res, csrf, changed.res]) {
      expect(res.status).toBe(401);
      expect(await res.text()).toContain('This sign-in was not started in this browser, or its state does not match.');
      expect(cookieFrom(res, 'keel_session=')).toBeUndefined();
    }
    expect((await db.query('SELECT 1 FROM sessions')).rows).toHaveLength(0);
    expect((await signInEvents()).map((e) => [e.action, e.data.reason])).toEqual(Array(4).fill(['sign_in:failed', 'state_mismatch']));

    // A client that asks for JSON gets problem+json instead of the page.
    const asJson = await fetch(tampered.callback, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(asJson.status).toBe(401);
    expect(asJson.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await asJson.json()).toMatchObject({ code: 'unauthenticated', detail: expect.stringContaining('state does not match') });
  });

  it('never sends the browser off-site after sign-in: a return_to of another origin becomes /', async () => {
    world = await startWorld(db);
    await createUser(db, { email: 'ada@acme.example', roles: ['viewer'] }, 'test', policy);
    world.issuer.accounts.set('ada', { email: 'ada@acme.example', email_verified: true });
    for (const returnTo of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const attempt = await signIn(world, 'ada', returnTo);
      expect(attempt.res.status).toBe(302);
      expect(attempt.res.headers.get('location'), returnTo).toBe('/');
    }
  });

  it('refuses an ID token whose signature does not match the provider\'s published keys', async () => {
    // Over plain http nothing else proves who sent the token, so Keel checks the signature.
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    world = await startWorld(db, {
      rewrite: (url, res) => url.pathname === '/jwks' ? { ...res, body: JSON.stringify({ keys: [{ ...stranger, kid: 'test', use: 'sig', alg: 'RS256' }] }) } : res,
    });
    await createUser(db, { email: 'ada@acme.example', roles: ['viewer'] }, 'test', policy);
    world.issuer.accounts.set('ada', { email: 'ada@acme.example', email_verified: true });
    const attempt = await signIn(world, 'ada');
    expect(attempt.res.status).toBe(401);
    expect(await attempt.res.text()).toContain('did not pass validation');
    expect(cookieFrom(attempt.res, 'keel_session=')).toBeUndefined();
    expect((await signInEvents()).map((e) => [e.action, e.data.reason])).toEqual([['sign_in:failed', 'response_invalid']]);
  });

  it('refuses a sign-in the person cancels at the provider, and audits it', async () => {
    world = await startWorld(db);
    const attempt = await signIn(world, { cancel: true });
    expect(attempt.res.status).toBe(401);
    expect(await attempt.res.text()).toContain('The identity provider refused the sign-in (access_denied).');
    expect((await signInEvents()).map((e) => [e.action, e.data.reason])).toEqual([['sign_in:failed', 'provider_refused']]);
  });

  it('says clearly that single sign-on is misconfigured when the issuer cannot be reached', async () => {
    world = await startWorld(db, { noEgressAllowance: true });
    const refused = await fetch(`${world.keel}/api/auth/oidc/start`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(refused.status).toBe(503);
    const page = await refused.text();
    expect(page).toContain('Single sign-on is unavailable');
    expect(page).toContain(`add ${world.issuer.host} to egress.allowHosts`);
    const asJson = await fetch(`${world.keel}/api/auth/oidc/start`, { redirect: 'manual', headers: { accept: 'application/json' } });
    expect(asJson.status).toBe(503);
    expect(await asJson.json()).toMatchObject({ code: 'misconfigured' });

    // Without single sign-on configured at all: the providers list says so and the routes answer 404.
    const plain = testHttpApp(db);
    expect(await (await plain.request('/api/auth/providers')).json()).toEqual({ password: true, oidc: null });
    expect((await plain.request('/api/auth/oidc/start')).status).toBe(404);
  });
});

describe('OpenID Connect sign-in through startKeel and the environment', () => {
  it('reads KEEL_OIDC_* once, keeps the client secret out of workflow secrets, and signs in', async () => {
    const issuer = await startTestIssuer();
    const dir = mkdtempSync(join(tmpdir(), 'keel-oidc-'));
    // keel.yaml holds what is not secret; the environment adds the issuer, the client and the secret.
    writeFileSync(join(dir, 'keel.yaml'), 'auth:\n  oidc:\n    label: Sign in with Acme SSO\n    allowInsecureHttp: true\n');
    const config = loadConfig({
      env: {
        KEEL_OIDC_ISSUER: issuer.issuer, KEEL_OIDC_CLIENT_ID: issuer.clientId, KEEL_OIDC_CLIENT_SECRET: issuer.clientSecret,
        KEEL_EGRESS_ALLOW_HOSTS: issuer.host, KEEL_WEBHOOK_SECRET: 'a-workflow-secret',
      },
      file: join(dir, 'keel.yaml'),
      flags: { server: { port: 0 }, database: { dataDir: join(dir, 'data') }, workflowsDir: join(dir, 'wf'), connectorsDir: join(dir, 'connectors'), logLevel: 'silent' },
    });
    expect(config.auth.oidc).toMatchObject({
      issuer: issuer.issuer, clientId: 'keel', label: 'Sign in with Acme SSO', allowInsecureHttp: true, scopes: ['openid', 'email', 'profile'], autoCreateDomains: [],
    });
    expect(Object.keys(config.secrets)).toEqual(['KEEL_WEBHOOK_SECRET']);

    const keel = await startKeel(config, { http: true, workers: false, scheduler: false, loadWorkflows: false });
    try {
      issuer.register(`${keel.url}/api/auth/oidc/callback`);
      await createUser(keel.db, { email: 'ada@acme.example', roles: ['admin'] }, 'test', policy);
      issuer.accounts.set('ada', { email: 'ada@acme.example', email_verified: true });
      const start = await fetch(`${keel.url}/api/auth/oidc/start`, { redirect: 'manual' });
      expect(start.status, await start.clone().text()).toBe(302);
      const callback = await issuer.authorize(start.headers.get('location')!, { account: 'ada' });
      const done = await fetch(callback, { redirect: 'manual', headers: { cookie: cookieFrom(start, 'keel_oidc_')!.pair } });
      expect(done.status, await done.clone().text()).toBe(302);
      const who = await fetch(`${keel.url}/api/auth/me`, { headers: { cookie: cookieFrom(done, 'keel_session=')!.pair } });
      expect(await who.json()).toMatchObject({ email: 'ada@acme.example', roles: ['admin'] });
    } finally {
      await keel.stop();
      await issuer.close();
    }
  }, 60_000);
});
