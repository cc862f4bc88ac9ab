// Connectors and grants over HTTP: list and show connectors (never a secret value), ask for a
// grant, decide and revoke it, list grants, and the access inventory. Deciding is the connector
// owner's or an admin's: the route rule lets anyone who may read connectors reach the route, and
// the handler compares the person with the connector row, since ownership lives there, not in roles.
import type { Context } from 'hono';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp, type ApiEnv } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { findConnector, getConnector, listConnectors, type ConnectorRow } from './connector-store.js';
import { connectorViews, isConnectorOwner, scopesOfKind } from './connector-view.js';
import { decideGrant, getGrant, listGrants, requestGrant, revokeGrant, type GrantRow } from './grants.js';
import { accessInventory, inventoryMarkdown } from './inventory.js';
import { registerConnectorConfigRoutes } from './config-routes.js';
import { registerConnectorPauseRoutes } from './pause-routes.js';
import { connectorKinds, type ConnectorKind } from './kinds/index.js';
import type { SecretKey } from './secrets/index.js';
import {
  connectorDetailSchema, connectorSchema, decisionBody, grantRequestedSchema, grantSchema, grantStatuses, inventorySchema, requestBody,
} from './route-schemas.js';

export interface ConnectorRouteDeps {
  db: Db;
  /** The kinds actions and scopes are read from; every kind Keel ships unless a test narrows it. */
  kinds?: ReadonlyMap<string, ConnectorKind<unknown>>;
  /** The instance key, to store secrets sent over HTTP; without it they are refused. */
  secretKey?: SecretKey;
  now?: () => Date;
}

/** Whether the caller decides this connector's grants: an admin (grants:decide everywhere) or its owner. */
function ownsConnector(c: Context<ApiEnv>, connector: Pick<ConnectorRow, 'owner'>): boolean {
  const access = c.get('access');
  return access.can('grants:decide') || isConnectorOwner(connector, access.actor);
}

function requireOwner(c: Context<ApiEnv>, connector: ConnectorRow, what: string): void {
  if (ownsConnector(c, connector)) return;
  throw new KeelError('permission_denied', `Only ${connector.owner} (the owner of connector ${connector.id}) or an admin may ${what}; ${c.get('access').actor} is neither.`, {
    hint: `Ask ${connector.owner} to do it.`, details: { connector: connector.id },
  });
}

/**
 * Which grants the caller sees: those of workflows they may see, and every grant on a connector they
 * own (they decide those, even for a workflow otherwise private to them). Admins see all.
 */
function grantFilter(c: Context<ApiEnv>): (grant: GrantRow, connectorOwner: string) => boolean {
  const access = c.get('access');
  const visible = access.visibleWorkflows();
  const admin = access.can('grants:decide');
  return (grant, owner) => admin || visible === 'all' || visible.includes(grant.workflow_id) || isConnectorOwner({ owner }, access.actor);
}

function parseExpiry(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(at.getTime())) {
    throw new KeelError('invalid_input', `expires_at "${text}" is not an ISO 8601 time.`, { problems: [{ path: 'body.expires_at', message: 'an ISO 8601 time, e.g. 2030-01-31T00:00:00Z' }] });
  }
  return at;
}

export function registerConnectorRoutes(app: ApiApp, deps: ConnectorRouteDeps): void {
  const { db } = deps;
  const kinds = deps.kinds ?? connectorKinds;
  const now = deps.now ?? (() => new Date());
  const idParam = z.object({ id: z.string() });
  registerConnectorConfigRoutes(app, { db, kinds, secretKey: deps.secretKey, now });
  registerConnectorPauseRoutes(app, { db, kinds, now });

  app.openapi(createRoute({
    method: 'get', path: '/api/connectors', tags: ['connectors'], summary: 'Every connector: owner, actions with scope and delivery class, secrets\' metadata',
    responses: { 200: jsonBody(z.object({ connectors: z.array(connectorSchema) }), 'Connectors') },
  }), async (c) => sendJson(c, { connectors: await connectorViews(db, await listConnectors(db), kinds, now()) }));

  app.openapi(createRoute({
    method: 'get', path: '/api/connectors/{id}', tags: ['connectors'], summary: 'One connector with its grants',
    request: { params: idParam },
    responses: { 200: jsonBody(connectorDetailSchema, 'The connector'), ...problems(404) },
  }), async (c) => {
    const connector = await getConnector(db, c.req.valid('param').id);
    const [view] = await connectorViews(db, [connector], kinds, now());
    const show = grantFilter(c);
    const grants = (await listGrants(db, { connectorId: connector.id })).filter((g) => show(g, connector.owner));
    return sendJson(c, { ...view, grants });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/grants', tags: ['connectors'], summary: 'Ask for a grant of one scope of one connector for this workflow',
    request: { params: idParam, body: { content: { 'application/json': { schema: requestBody } }, required: true } },
    responses: {
      201: jsonBody(grantRequestedSchema, 'Requested; the connector\'s owner decides'),
      200: jsonBody(grantRequestedSchema, 'A live request or grant for this scope already exists'),
      ...problems(403, 404, 422),
    },
  }), async (c) => {
    const workflowId = c.req.valid('param').id;
    const body = c.req.valid('json');
    // The guard lets an admin through for any id; a grant for a workflow that does not exist is a 404, not a foreign-key failure.
    const exists = await db.query('SELECT 1 FROM workflows WHERE id = $1', [workflowId]);
    if (exists.rows.length === 0) throw new KeelError('not_found', `No workflow ${workflowId}.`, { hint: 'List the workflows with keel workflows.' });
    const connector = await getConnector(db, body.connector);
    const scopes = scopesOfKind(kinds.get(connector.kind));
    if (!scopes.includes(body.scope)) {
      const list = scopes.length > 0 ? scopes.join(', ') : 'none (its kind is unknown here)';
      throw new KeelError('invalid_input', `No action of connector ${connector.id} (${connector.kind}) needs the scope "${body.scope}"; its scopes: ${list}.`, {
        problems: [{ path: 'body.scope', message: `not a scope of a ${connector.kind} connector; one of: ${list}` }],
      });
    }
    const result = await db.transaction((tx) => requestGrant(tx, { workflowId, connectorId: connector.id, scope: body.scope, reason: body.reason, actor: c.get('actor') }));
    return sendJson(c, result, result.created ? 201 : 200);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/grants/{id}/decision', tags: ['connectors'],
    summary: 'Approve or reject a grant request (the connector\'s owner or an admin; never the one who asked)',
    request: { params: idParam, body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
    responses: { 200: jsonBody(grantSchema, 'Decided'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const grant = await getGrant(db, c.req.valid('param').id);
    const connector = await getConnector(db, grant.connector_id);
    requireOwner(c, connector, 'decide its grants');
    const decided = await db.transaction((tx) => decideGrant(tx, {
      grantId: grant.id, decision: body.decision, actor: c.get('actor'), ownsConnector: true, note: body.note, expiresAt: parseExpiry(body.expires_at), now: now(),
    }));
    return sendJson(c, decided);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/grants/{id}', tags: ['connectors'], summary: 'Revoke a grant or withdraw a request, with a note (the connector\'s owner or an admin)',
    request: {
      params: idParam,
      query: z.object({ note: z.string().max(2000).optional() }),
      body: { content: { 'application/json': { schema: z.object({ note: z.string().max(2000).optional() }) } }, required: false },
    },
    responses: { 200: jsonBody(grantSchema, 'Revoked'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json') as { note?: string } | undefined;
    const note = (body?.note ?? c.req.valid('query').note ?? '').trim();
    const grant = await getGrant(db, c.req.valid('param').id);
    const connector = await findConnector(db, grant.connector_id);
    if (connector) requireOwner(c, connector, 'revoke its grants');
    if (!note) throw new KeelError('invalid_input', 'Revoking a grant needs a note saying why.', { problems: [{ path: 'note', message: 'required' }] });
    return sendJson(c, await db.transaction((tx) => revokeGrant(tx, { grantId: grant.id, actor: c.get('actor'), ownsConnector: true, note })));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/grants', tags: ['connectors'], summary: 'Grants and requests, of workflows the caller may see or connectors they own',
    request: { query: z.object({ workflow: z.string().optional(), connector: z.string().optional(), status: z.enum(grantStatuses).optional() }) },
    responses: { 200: jsonBody(z.object({ grants: z.array(grantSchema) }), 'Grants'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const owners = new Map((await listConnectors(db)).map((k) => [k.id, k.owner]));
    const show = grantFilter(c);
    const grants = (await listGrants(db, { workflowId: q.workflow, connectorId: q.connector, status: q.status })).filter((g) => show(g, owners.get(g.connector_id) ?? ''));
    return sendJson(c, { grants });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/access/inventory', tags: ['connectors'],
    summary: 'The access inventory: owners, rotation due, who holds which scope, last use, grants unused for 30 days, open requests',
    request: { query: z.object({ format: z.enum(['json', 'markdown']).default('json') }) },
    responses: {
      200: { description: 'The inventory (JSON, or Markdown with format=markdown)', content: { 'application/json': { schema: inventorySchema }, 'text/markdown': { schema: z.string() } } },
      ...problems(422),
    },
  }), async (c) => {
    const inventory = await accessInventory(db, now(), grantFilter(c));
    if (c.req.valid('query').format === 'markdown') {
      return new Response(inventoryMarkdown(inventory), { status: 200, headers: { 'content-type': 'text/markdown; charset=utf-8' } }) as never;
    }
    return sendJson(c, inventory);
  });
}
