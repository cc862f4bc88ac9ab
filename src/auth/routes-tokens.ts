import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { Access } from './access.js';
import type { AuthDeps } from './deps.js';
import { permissions } from './roles.js';
import { loadAccess } from './principal.js';
import { createToken, listTokens, revokeToken } from './tokens.js';
import { getUser } from './users.js';

export const tokenSchema = z.object({
  id: z.string(), user_id: z.string(), user_email: z.string(), name: z.string(), scopes: z.array(z.enum(permissions)),
  created_at: z.string(), expires_at: z.string().nullable(), last_used_at: z.string().nullable(), revoked_at: z.string().nullable(),
}).openapi('ApiToken');

/** API tokens for scripts and CI: made by their holder, shown once, revocable. */
export function registerTokenRoutes(app: ApiApp, deps: AuthDeps): void {
  const { db } = deps;
  app.openapi(createRoute({
    method: 'get', path: '/api/tokens', tags: ['auth'], summary: 'Your tokens (everyone\'s with all=true, for user admins)',
    request: { query: z.object({ all: z.enum(['true', 'false']).default('false') }) },
    responses: { 200: jsonBody(z.object({ tokens: z.array(tokenSchema) }), 'Tokens'), ...problems(401, 403) },
  }), async (c) => {
    const a = c.get('access') as Access;
    const all = c.req.valid('query').all === 'true';
    if (all) a.require('users:read');
    return sendJson(c, { tokens: await listTokens(db, all ? undefined : (a.userId ?? '')) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/tokens', tags: ['auth'], summary: 'Make a token; its secret is in this answer only',
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.object({
              name: z.string(),
              scopes: z.array(z.string()).describe(`Among ${permissions.join(', ')}, only ones the holder has; ["all"] for every one they have`),
              expires_in_days: z.number().positive().optional(),
              user: z.string().optional().describe('Whose token (id or email); another person\'s needs users:write'),
            }),
          },
        },
        required: true,
      },
    },
    responses: { 201: jsonBody(z.object({ token: tokenSchema, secret: z.string() }), 'Made: keep the secret now, it is never shown again'), ...problems(401, 403, 422) },
  }), async (c) => {
    const b = c.req.valid('json');
    const access = c.get('access') as Access;
    let holder = access;
    if (b.user !== undefined) {
      const user = await getUser(db, b.user);
      if (user.id !== access.userId) {
        access.require('users:write');
        holder = await loadAccess(db, user.id, { via: 'token' });
      }
    }
    const scopes = b.scopes.length === 1 && b.scopes[0] === 'all' ? holder.heldPermissions() : b.scopes;
    const made = await createToken(db, holder, { name: b.name, scopes, expiresInDays: b.expires_in_days }, access.actor);
    return sendJson(c, made, 201);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/tokens/{id}', tags: ['auth'], summary: 'Revoke a token (yours, or anyone\'s for user admins)',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(tokenSchema, 'Revoked'), ...problems(401, 403, 404, 409) },
  }), async (c) => sendJson(c, await revokeToken(db, c.get('access') as Access, c.req.valid('param').id)));
}
