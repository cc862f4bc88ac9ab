import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { Access } from './access.js';
import { globalRoles, permissions } from './roles.js';
import type { AuthDeps } from './deps.js';
import { sessionCookie } from './guard.js';
import { useSignInLink } from './links.js';
import { listSessions, revokeSession, type NewSession } from './sessions.js';
import { renderSetupPage } from './setup-page.js';
import { signInWithPassword } from './sign-in.js';
import { getUser } from './users.js';

export const userSchema = z.object({
  id: z.string(), email: z.string(), display_name: z.string(), status: z.enum(['active', 'disabled']),
  roles: z.array(z.enum(globalRoles)), has_password: z.boolean(), locked_until: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
}).openapi('User');

export const meSchema = z.object({
  email: z.string(), display_name: z.string(), via: z.enum(['session', 'token', 'local']), roles: z.array(z.enum(globalRoles)),
  permissions: z.array(z.enum(permissions)), visible_workflows: z.union([z.literal('all'), z.array(z.string())]),
  csrf_token: z.string().optional(), token_id: z.string().optional(),
}).openapi('Me');

const signedInSchema = z.object({ user: userSchema, csrf_token: z.string(), expires_at: z.string() }).openapi('SignedIn');

const sessionSchema = z.object({
  id: z.string(), method: z.string(), ip: z.string().nullable(), user_agent: z.string().nullable(),
  created_at: z.string(), last_seen_at: z.string(), expires_at: z.string(), current: z.boolean(),
}).openapi('Session');

/** The client's address as the socket saw it (a proxy in front should be configured to pass it). */
export function clientIp(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function setSessionCookie(c: Context, deps: AuthDeps, s: NewSession): void {
  setCookie(c, sessionCookie, s.secret, {
    httpOnly: true, sameSite: 'Lax', path: '/', secure: deps.secureCookies, expires: s.session.expires_at,
  });
}

/** Sign-in, sign-out, the current person, their sessions, and the one-time setup links. */
export function registerSessionRoutes(app: ApiApp, deps: AuthDeps): void {
  const { db } = deps;
  app.openapi(createRoute({
    method: 'post', path: '/api/auth/sign-in', tags: ['auth'], summary: 'Sign in with email and password; sets an HTTP-only session cookie',
    request: { body: { content: { 'application/json': { schema: z.object({ email: z.string().min(1), password: z.string().min(1) }) } }, required: true } },
    responses: { 200: jsonBody(signedInSchema, 'Signed in'), ...problems(401, 403, 422, 423, 429) },
  }), async (c) => {
    const body = c.req.valid('json');
    const ip = clientIp(c);
    deps.limiter.take(ip);
    const s = await signInWithPassword(db, deps.policy, { ...body, ip, userAgent: c.req.header('user-agent') });
    setSessionCookie(c, deps, s);
    return sendJson(c, { user: await getUser(db, s.user.id), csrf_token: s.csrfToken, expires_at: s.session.expires_at });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/auth/sign-out', tags: ['auth'], summary: 'End the current session',
    responses: { 200: jsonBody(z.object({ signed_out: z.boolean() }), 'Signed out'), ...problems(401, 403) },
  }), async (c) => {
    const access = c.get('access') as Access;
    if (access.sessionId && access.userId) await revokeSession(db, access.userId, access.sessionId, access.actor);
    deleteCookie(c, sessionCookie, { path: '/' });
    return sendJson(c, { signed_out: access.sessionId !== undefined });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/auth/me', tags: ['auth'], summary: 'Who is signed in, with roles, permissions and (for a session) its CSRF token',
    responses: {
      200: jsonBody(meSchema, 'The current person'),
      ...problems(401),
    },
  }), async (c) => {
    const a = c.get('access') as Access;
    const csrf = a.sessionId ? (await db.query<{ csrf_token: string }>('SELECT csrf_token FROM sessions WHERE id = $1', [a.sessionId])).rows[0]?.csrf_token : undefined;
    return sendJson(c, {
      email: a.email, display_name: a.displayName, via: a.via, roles: a.roles, permissions: a.heldPermissions(),
      visible_workflows: a.visibleWorkflows(), ...(csrf ? { csrf_token: csrf } : {}), ...(a.tokenId ? { token_id: a.tokenId } : {}),
    });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/auth/sessions', tags: ['auth'], summary: 'Your live sessions',
    responses: { 200: jsonBody(z.object({ sessions: z.array(sessionSchema) }), 'Sessions'), ...problems(401) },
  }), async (c) => {
    const a = c.get('access') as Access;
    const sessions = a.userId ? await listSessions(db, a.userId) : [];
    return sendJson(c, { sessions: sessions.map((s) => ({ ...s, user_id: undefined, revoked_at: undefined, current: s.id === a.sessionId })) });
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/auth/sessions/{id}', tags: ['auth'], summary: 'End one of your sessions (another browser, a lost laptop)',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(z.object({ revoked: z.string() }), 'Revoked'), ...problems(401, 403, 404) },
  }), async (c) => {
    const a = c.get('access') as Access;
    const id = c.req.valid('param').id;
    await revokeSession(db, a.userId ?? '', id, a.actor);
    return sendJson(c, { revoked: id });
  });

  app.get('/setup', (c) => c.html(renderSetupPage()));

  app.openapi(createRoute({
    method: 'post', path: '/api/setup', tags: ['auth'],
    summary: 'Use a one-time link: create the first admin, or set a password; then signed in',
    request: {
      body: {
        content: { 'application/json': { schema: z.object({ token: z.string().min(1), password: z.string().min(1), email: z.string().optional(), display_name: z.string().optional() }) } },
        required: true,
      },
    },
    responses: { 200: jsonBody(signedInSchema, 'Signed in'), ...problems(404, 409, 422, 429) },
  }), async (c) => {
    const body = c.req.valid('json');
    const ip = clientIp(c);
    deps.limiter.take(ip);
    const s = await useSignInLink(db, { secret: body.token, password: body.password, email: body.email, displayName: body.display_name, ip, userAgent: c.req.header('user-agent') }, deps.policy);
    setSessionCookie(c, deps, s);
    return sendJson(c, { user: s.user, csrf_token: s.csrfToken, expires_at: s.session.expires_at });
  });
}
