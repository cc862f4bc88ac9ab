import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import type { Db } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { isKeelError, KeelError } from '../errors.js';
import type { Access } from './access.js';
import { loadAccess } from './principal.js';
import { createRuleMatcher, routeRules, type RouteRule } from './route-rules.js';
import { findLiveSession, type SessionPolicy } from './sessions.js';
import { findLiveToken } from './tokens.js';

export const sessionCookie = 'keel_session';
export const csrfHeader = 'x-keel-csrf';

/** Finds the workflow a run or review belongs to (supplied by the edge from those slices). */
export interface OwnerResolvers {
  run(id: string): Promise<string | undefined>;
  review(id: string): Promise<string | undefined>;
}

export interface GuardDeps {
  db: Db;
  policy: SessionPolicy;
  resolve: OwnerResolvers;
  /** Who requests without credentials are (the CLI on the database directly); else they get 401. */
  local?: Access;
  rules?: Readonly<Record<string, RouteRule>>;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is asking: a bearer API token, else the session cookie. A cookie-authenticated change must
 * carry the session's CSRF token in a header, which a page on another site cannot read or send.
 */
export async function authenticate(c: Context, db: Db, policy: SessionPolicy): Promise<Access | undefined> {
  const header = c.req.header('authorization');
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new KeelError('unauthenticated', 'The Authorization header must be "Bearer <token>".');
    const token = await findLiveToken(db, match[1]!);
    return loadAccess(db, token.userId, { via: 'token', scopes: token.scopes, tokenId: token.id });
  }
  const secret = getCookie(c, sessionCookie);
  if (secret === undefined) return undefined;
  let session;
  try {
    session = await findLiveSession(db, secret, policy);
  } catch (error) {
    deleteCookie(c, sessionCookie, { path: '/' });
    throw error;
  }
  if (!safeMethods.has(c.req.method) && c.req.header(csrfHeader) !== session.csrfToken) {
    throw new KeelError('csrf_rejected', `This change needs the ${csrfHeader} header of your session.`, {
      hint: 'Pages get it from GET /api/auth/me; scripts should use an API token instead of a cookie.',
    });
  }
  return loadAccess(db, session.userId, { via: 'session', sessionId: session.id });
}

/**
 * The permission check in front of every route: finds the route's rule, establishes who is
 * asking (401 when nobody), then checks the rule (403, or 404 where the workflow is private).
 */
export function createGuard(deps: GuardDeps): MiddlewareHandler<{ Variables: { access: Access; actor: string } }> {
  const match = createRuleMatcher(deps.rules ?? routeRules);
  return async (c, next) => {
    const found = match(c.req.method, c.req.path);
    if (!found) throw new KeelError('not_found', `No route ${c.req.method} ${c.req.path}.`, { hint: 'See /docs for the routes.' });
    if ('public' in found.rule) return next();
    const access = (await authenticate(c, deps.db, deps.policy)) ?? deps.local;
    if (!access) throw new KeelError('unauthenticated', 'Sign in, or send an API token as "Authorization: Bearer <token>".', { hint: 'Make a token with keel tokens create.' });
    try {
      if ('permission' in found.rule) await checkRule(access, found.rule, found.params, deps.resolve);
    } catch (error) {
      // A refused call by a known person is a fact the team may need later (a token used outside
      // its scopes, someone probing a private workflow): it goes to the audit log too.
      await recordAudit(deps.db, {
        actor: access.actor, action: 'access:denied', subjectType: 'route', subjectId: found.key,
        data: { path: c.req.path, permission: 'permission' in found.rule ? found.rule.permission : null, via: access.via, token_id: access.tokenId ?? null, session_id: access.sessionId ?? null, answer: isKeelError(error) ? error.code : 'internal' },
      });
      throw error;
    }
    c.set('access', access);
    c.set('actor', access.actor);
    return next();
  };
}

async function checkRule(access: Access, rule: Extract<RouteRule, { permission: unknown }>, params: Record<string, string>, resolve: OwnerResolvers): Promise<void> {
  const { permission, scope } = rule;
  if (scope === 'global') return access.require(permission);
  if (scope === 'somewhere') {
    if (!access.canSomewhere(permission)) throw access.denied(permission);
    return;
  }
  let workflowId: string | undefined;
  if ('workflow' in scope) workflowId = params[scope.workflow];
  else if ('run' in scope) workflowId = await resolve.run(params[scope.run] ?? '');
  else workflowId = await resolve.review(params[scope.review] ?? '');
  // An unknown run or review: the handler answers 404, which says nothing a stranger could use.
  if (workflowId === undefined) return;
  access.require(permission, workflowId);
}
