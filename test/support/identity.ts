// Real identities for tests: users made through the auth slice, API tokens made the way
// `keel tokens create` makes them, and an HTTP app whose requests carry them.
import { Access, createToken, createUser, loadAccess, type GlobalRole } from '../../src/auth/index.js';
import { configSchema } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { createHttpApp, type HttpDeps } from '../../src/http/app.js';

export const testAuthConfig = configSchema.parse({}).auth;

/**
 * The HTTP app on a test database. Promotion gates are off unless a test turns them on
 * (`gates: { enforce: true }`): most route tests move stages to have something to work on, and the
 * gates have their own tests (test/promotion/).
 */
export function testHttpApp(db: Db, overrides: Partial<HttpDeps> = {}) {
  return createHttpApp({
    db, bodyLimitBytes: 1024 * 1024, secrets: {}, version: 'test', logError: () => {},
    auth: testAuthConfig, serverUrl: () => 'http://127.0.0.1:4300', gates: { enforce: false }, ...overrides,
  });
}

export interface TestIdentity {
  userId: string;
  email: string;
  /** An API token holding every permission the user has. */
  token: string;
}

let counter = 0;
/** Makes a user with `roles` and a token carrying everything they may do. */
export async function createTestIdentity(db: Db, roles: GlobalRole[] = ['admin'], email = `person${++counter}-${Date.now()}@example.com`): Promise<TestIdentity> {
  const user = await createUser(db, { email, roles }, 'test', { minPasswordLength: 12 });
  const access = await loadAccess(db, user.id, { via: 'session' });
  const { secret } = await createToken(db, access, { name: 'test', scopes: access.heldPermissions() });
  return { userId: user.id, email: user.email, token: secret };
}

export async function accessOf(db: Db, identity: TestIdentity): Promise<Access> {
  return loadAccess(db, identity.userId, { via: 'session' });
}

interface Requester {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/** The same app, with every request sent as `token`'s holder. */
export function withToken(app: Requester, token: string): Requester {
  return {
    request(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return app.request(path, { ...init, headers });
    },
  };
}
