import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { AuthDeps } from './deps.js';
import { passwordLink } from './links.js';
import { createTeam, listTeams, listWorkflowMembers, setTeamMember, setWorkflowMember } from './members.js';
import { globalRoles, workflowRoles } from './roles.js';
import { userSchema } from './routes-session.js';
import { createUser, getUser, listUsers, setPassword, unlockUser, updateUser } from './users.js';

export const teamSchema = z.object({ id: z.string(), name: z.string(), members: z.array(z.string()), created_at: z.string() }).openapi('Team');
export const memberSchema = z.object({
  workflow_id: z.string(), member_kind: z.enum(['user', 'team']), member: z.string(), role: z.enum(workflowRoles), added_by: z.string(), added_at: z.string(),
}).openapi('WorkflowMember');
const memberBody = z.object({ kind: z.enum(['user', 'team']), member: z.string().min(1), role: z.enum(workflowRoles) });
export const linkSchema = z.object({ url: z.string(), expires_at: z.string() });
const idParam = z.object({ id: z.string() });

/** Users, teams and workflow membership: who exists and what they may do. */
export function registerPeopleRoutes(app: ApiApp, deps: AuthDeps): void {
  const { db } = deps;
  const link = (secret: string) => `${deps.publicUrl().replace(/\/+$/, '')}/setup#token=${secret}`;

  app.openapi(createRoute({
    method: 'get', path: '/api/users', tags: ['people'], summary: 'Every user with their roles',
    responses: { 200: jsonBody(z.object({ users: z.array(userSchema) }), 'Users'), ...problems(401, 403) },
  }), async (c) => sendJson(c, { users: await listUsers(db) }));

  app.openapi(createRoute({
    method: 'post', path: '/api/users', tags: ['people'],
    summary: 'Create a user, with a password or (without one) a one-time link for them to set it; a refused password creates nothing',
    request: {
      body: {
        content: { 'application/json': { schema: z.object({ email: z.string(), display_name: z.string().optional(), roles: z.array(z.enum(globalRoles)).default([]), password: z.string().optional() }) } },
        required: true,
      },
    },
    responses: { 201: jsonBody(z.object({ user: userSchema, password_link: linkSchema.optional() }), 'Created'), ...problems(401, 403, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const actor = c.get('actor');
    const user = await createUser(db, { email: body.email, displayName: body.display_name, roles: body.roles, password: body.password }, actor, deps.policy);
    if (body.password !== undefined) return sendJson(c, { user }, 201);
    const l = await passwordLink(db, user.id, actor);
    return sendJson(c, { user, password_link: { url: link(l.secret), expires_at: l.expiresAt } }, 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/users/{id}', tags: ['people'], summary: 'One user (by id or email)',
    request: { params: idParam }, responses: { 200: jsonBody(userSchema, 'The user'), ...problems(401, 403, 404) },
  }), async (c) => sendJson(c, await getUser(db, c.req.valid('param').id)));

  app.openapi(createRoute({
    method: 'patch', path: '/api/users/{id}', tags: ['people'], summary: 'Change display name, status (disabling ends their sessions) or roles',
    request: {
      params: idParam,
      body: { content: { 'application/json': { schema: z.object({ display_name: z.string().optional(), status: z.enum(['active', 'disabled']).optional(), roles: z.array(z.enum(globalRoles)).optional() }) } }, required: true },
    },
    responses: { 200: jsonBody(userSchema, 'Changed'), ...problems(401, 403, 404, 409, 422) },
  }), async (c) => {
    const b = c.req.valid('json');
    return sendJson(c, await updateUser(db, c.req.valid('param').id, { displayName: b.display_name, status: b.status, roles: b.roles }, c.get('actor')));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/users/{id}/unlock', tags: ['people'], summary: 'Lift a sign-in lockout',
    request: { params: idParam }, responses: { 200: jsonBody(userSchema, 'Unlocked'), ...problems(401, 403, 404) },
  }), async (c) => sendJson(c, await unlockUser(db, c.req.valid('param').id, c.get('actor'))));

  app.openapi(createRoute({
    method: 'post', path: '/api/users/{id}/password-link', tags: ['people'], summary: 'A one-time link (30 minutes) for the user to set a new password',
    request: { params: idParam }, responses: { 200: jsonBody(linkSchema, 'The link'), ...problems(401, 403, 404) },
  }), async (c) => {
    const l = await passwordLink(db, c.req.valid('param').id, c.get('actor'));
    return sendJson(c, { url: link(l.secret), expires_at: l.expiresAt });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/users/{id}/password', tags: ['people'],
    summary: 'Set a user\'s password (the CLI\'s --password-stdin); it must pass the password policy, and lifts a lockout',
    request: { params: idParam, body: { content: { 'application/json': { schema: z.object({ password: z.string().min(1) }) } }, required: true } },
    responses: { 200: jsonBody(userSchema, 'Set'), ...problems(401, 403, 404, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    await setPassword(db, id, c.req.valid('json').password, c.get('actor'), deps.policy);
    return sendJson(c, await getUser(db, id));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/teams', tags: ['people'], summary: 'Teams and their members',
    responses: { 200: jsonBody(z.object({ teams: z.array(teamSchema) }), 'Teams'), ...problems(401, 403) },
  }), async (c) => sendJson(c, { teams: await listTeams(db) }));

  app.openapi(createRoute({
    method: 'post', path: '/api/teams', tags: ['people'], summary: 'Create a team',
    request: { body: { content: { 'application/json': { schema: z.object({ name: z.string() }) } }, required: true } },
    responses: { 201: jsonBody(teamSchema, 'Created'), ...problems(401, 403, 409, 422) },
  }), async (c) => sendJson(c, await createTeam(db, c.req.valid('json').name, c.get('actor')), 201));

  for (const method of ['put', 'delete'] as const) {
    app.openapi(createRoute({
      method, path: '/api/teams/{id}/members/{user}', tags: ['people'], summary: method === 'put' ? 'Add a user to a team' : 'Remove a user from a team',
      request: { params: z.object({ id: z.string(), user: z.string() }) },
      responses: { 200: jsonBody(teamSchema, 'The team'), ...problems(401, 403, 404) },
    }), async (c) => {
      const p = c.req.valid('param');
      return sendJson(c, await setTeamMember(db, p.id, p.user, method === 'put', c.get('actor')));
    });
  }

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/members', tags: ['people'], summary: 'Owners and reviewers of one workflow (its file\'s owner is an owner too)',
    request: { params: idParam }, responses: { 200: jsonBody(z.object({ members: z.array(memberSchema) }), 'Members'), ...problems(401, 403, 404) },
  }), async (c) => sendJson(c, { members: await listWorkflowMembers(db, c.req.valid('param').id) }));

  app.openapi(createRoute({
    method: 'put', path: '/api/workflows/{id}/members', tags: ['people'], summary: 'Make a user or team an owner or reviewer of the workflow',
    request: { params: idParam, body: { content: { 'application/json': { schema: memberBody } }, required: true } },
    responses: { 200: jsonBody(z.object({ members: z.array(memberSchema) }), 'Members'), ...problems(401, 403, 404, 422) },
  }), async (c) => sendJson(c, { members: await setWorkflowMember(db, c.req.valid('param').id, c.req.valid('json'), true, c.get('actor')) }));

  app.openapi(createRoute({
    method: 'delete', path: '/api/workflows/{id}/members', tags: ['people'], summary: 'Remove an owner or reviewer of the workflow',
    request: { params: idParam, query: memberBody },
    responses: { 200: jsonBody(z.object({ members: z.array(memberSchema) }), 'Members'), ...problems(401, 403, 404, 422) },
  }), async (c) => sendJson(c, { members: await setWorkflowMember(db, c.req.valid('param').id, c.req.valid('query'), false, c.get('actor')) }));
}
