import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createRoute, jsonBody, problemSchema, sendJson, z, type ApiApp } from '../contract/index.js';
import { isKeelError, KeelError } from '../errors.js';
import type { AuthDeps } from './deps.js';
import { createOidcClient, OidcRefusal, type OidcClient, type OidcFailureReason } from './oidc.js';
import { recordOidcFailure, signInWithOidc } from './oidc-sign-in.js';
import { loginCookieName, loginCookiePath, loginStateTtlMs, safeReturnTo } from './oidc-state.js';
import { clientIp, setSessionCookie } from './routes-session.js';

const startPath = '/api/auth/oidc/start';
const callbackPath = '/api/auth/oidc/callback';

const providersSchema = z.object({
  password: z.boolean(),
  oidc: z.object({ label: z.string(), start_url: z.string() }).nullable(),
}).openapi('SignInProviders');

/** A failure of a browser navigation: a small page, or problem+json for a client that asks for JSON. */
const navigationProblem = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string() }, 'application/problem+json': { schema: problemSchema } },
});

/** The public sign-in routes: which ways to sign in exist, and the OpenID Connect round trip. */
export function registerOidcRoutes(app: ApiApp, deps: AuthDeps): void {
  const client = deps.oidc ? createOidcClient(deps.oidc.settings, deps.oidc.fetch) : undefined;
  const redirectUri = () => `${deps.publicUrl().replace(/\/+$/, '')}${callbackPath}`;

  app.openapi(createRoute({
    method: 'get', path: '/api/auth/providers', tags: ['auth'], summary: 'The ways to sign in here (password, and single sign-on when configured)',
    responses: { 200: jsonBody(providersSchema, 'Sign-in methods') },
  }), (c) => sendJson(c, { password: true, oidc: client ? { label: client.label, start_url: startPath } : null }));

  app.openapi(createRoute({
    method: 'get', path: startPath, tags: ['auth'],
    summary: 'Start single sign-on: redirects to the identity provider (state, nonce and PKCE S256)',
    request: { query: z.object({ return_to: z.string().optional().describe('A path on this server to land on afterwards; anything else becomes /') }) },
    responses: { 302: { description: 'To the identity provider' }, 404: navigationProblem('Single sign-on is not configured'), 503: navigationProblem('The identity provider cannot be reached') },
  }), async (c) => {
    try {
      const oidc = configured(client);
      const started = await oidc.start(redirectUri(), c.req.valid('query').return_to);
      setCookie(c, loginCookieName(started.state), started.sealed, {
        httpOnly: true, sameSite: 'Lax', secure: deps.secureCookies, path: loginCookiePath, maxAge: loginStateTtlMs / 1000,
      });
      c.header('cache-control', 'no-store');
      return c.redirect(started.url.href, 302) as never;
    } catch (error) {
      return failurePage(c, deps, error) as never;
    }
  });

  app.openapi(createRoute({
    method: 'get', path: callbackPath, tags: ['auth'],
    summary: 'Where the identity provider returns: checks the round trip, signs in, sets the session cookie and redirects',
    request: {
      query: z.object({
        code: z.string().optional(), state: z.string().optional(), iss: z.string().optional(),
        error: z.string().optional(), error_description: z.string().optional(),
      }),
    },
    responses: {
      302: { description: 'Signed in: to the page the sign-in started from' },
      401: navigationProblem('The round trip could not be proven, or the provider refused'),
      403: navigationProblem('No account, a disabled account, or an unverified email'),
      404: navigationProblem('Single sign-on is not configured'),
      429: navigationProblem('Too many sign-in attempts from this address'),
      502: navigationProblem('The code exchange with the provider failed'),
      503: navigationProblem('The identity provider cannot be reached'),
    },
  }), async (c) => {
    // The URL carries an authorization code: it must not leak onward through Referer or a cache.
    c.header('referrer-policy', 'no-referrer');
    c.header('cache-control', 'no-store');
    try {
      const oidc = configured(client);
      const ip = clientIp(c);
      deps.limiter.take(ip);
      const state = c.req.query('state') ?? null;
      const cookieName = state === null ? undefined : loginCookieName(state);
      const sealed = cookieName === undefined ? undefined : getCookie(c, cookieName);
      if (cookieName !== undefined && sealed !== undefined) deleteCookie(c, cookieName, { path: loginCookiePath, secure: deps.secureCookies });
      const issuer = deps.oidc!.settings.issuer;

      let identity;
      let returnTo;
      try {
        const login = oidc.openLogin(sealed, state);
        returnTo = login.returnTo;
        // The library reads code, state and iss from the URL the provider was told to use.
        const current = new URL(redirectUri());
        current.search = new URL(c.req.url).search;
        identity = await oidc.finish(current, login);
      } catch (error) {
        await recordOidcFailure(deps.db, failureReason(error), { issuer, ip });
        throw error;
      }
      const s = await signInWithOidc(deps.db, deps.policy, deps.oidc!.settings, identity, { ip, userAgent: c.req.header('user-agent') });
      setSessionCookie(c, deps, s);
      return c.redirect(safeReturnTo(returnTo), 302) as never;
    } catch (error) {
      return failurePage(c, deps, error) as never;
    }
  });
}

function configured(client: OidcClient | undefined): OidcClient {
  if (!client) {
    throw new KeelError('not_found', 'Single sign-on is not configured on this server.', {
      hint: 'Sign in with email and password, or ask an admin to set auth.oidc (KEEL_OIDC_ISSUER, KEEL_OIDC_CLIENT_ID, KEEL_OIDC_CLIENT_SECRET).',
    });
  }
  return client;
}

function failureReason(error: unknown): OidcFailureReason {
  if (error instanceof OidcRefusal) return error.reason;
  if (isKeelError(error, 'misconfigured')) return 'provider_unreachable';
  return 'internal';
}

/**
 * Answers a failed sign-in step. A browser gets a short page saying what went wrong and what to
 * do; a client asking for JSON gets the usual problem+json from the edge. Neither ever shows a
 * stack, a token, a code or the client secret: only KeelError messages, which are written for people.
 */
function failurePage(c: Context, deps: AuthDeps, error: unknown): Response {
  const accept = c.req.header('accept') ?? '';
  if (/application\/(problem\+)?json/.test(accept) && !/text\/html/.test(accept)) throw error;
  const known = isKeelError(error) && error.code !== 'internal';
  const status = known ? deps.statusFor?.(error.code) ?? 400 : 500;
  if (status >= 500) deps.logError?.(`${c.req.method} ${c.req.path} failed`, error);
  const message = known ? error.message : 'Keel failed to finish the sign-in; the server log has the details.';
  const hint = known ? error.hint : undefined;
  if (isKeelError(error, 'rate_limited') && error.retryAfterMs !== undefined) c.header('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
  const requestId = (c.get('requestId') as string | undefined) ?? '';
  return c.html(renderSignInProblem(message, hint, requestId), status as 400);
}

function renderSignInProblem(message: string, hint: string | undefined, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel: sign-in failed</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}small{color:#666}</style></head>
<body><h1>Sign-in failed</h1>
<p>${escapeHtml(message)}</p>${hint ? `\n<p>${escapeHtml(hint)}</p>` : ''}
<p><a href="/">Back to Keel</a></p>
<p><small>Request ${escapeHtml(requestId)}</small></p>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
