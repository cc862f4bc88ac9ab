// Configuring connectors over HTTP (and so from the CLI and the dashboard): create or change a
// connector, and store a new value of one of its secrets. A connector described in a file is
// changed in its file, so the file stays the truth. A secret's value goes in and never comes out:
// the answer is its metadata, and the value is sealed before anything is written.
import type { Context } from 'hono';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp, type ApiEnv } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { checkConnectorConfig } from './connector-check.js';
import { findConnector, getConnector, refuseKindChange, saveConnector, type ConnectorRow } from './connector-store.js';
import { connectorViews, isConnectorOwner } from './connector-view.js';
import type { ConnectorKind } from './kinds/index.js';
import { connectorSchema, secretMetaSchema } from './route-schemas.js';
import { putSecret, type SecretKey } from './secrets/index.js';

export interface ConnectorConfigRouteDeps {
  db: Db;
  kinds: ReadonlyMap<string, ConnectorKind<unknown>>;
  /** The instance key secrets are sealed with; without it secrets cannot be stored over HTTP. */
  secretKey?: SecretKey;
  now: () => Date;
}

const connectorBody = z.object({
  kind: z.string().min(1),
  title: z.string().min(1).max(200),
  owner: z.string().min(1).max(320).describe('Decides the grants on it'),
  credential_owner: z.string().min(1).max(320).optional(),
  rotation_days: z.number().int().positive().optional(),
  allow_hosts: z.array(z.string().min(1)).max(50).default([]).describe('Private hosts this connector alone may reach'),
  config: z.record(z.string(), z.unknown()).default({}).describe('Secret *names* (…_secret), never values'),
}).strict();

const secretBody = z.object({ value: z.string().min(1).max(65_536) }).strict();

/** Changing a connector is its owner's or an admin's (connectors:write everywhere) once it exists; so is pausing it. */
export function requireOwnerOrAdmin(c: Context<ApiEnv>, connector: ConnectorRow, what: string): void {
  const access = c.get('access');
  if (access.can('connectors:write') || isConnectorOwner(connector, access.actor)) return;
  throw new KeelError('permission_denied', `Only ${connector.owner} (the owner of connector ${connector.id}) or an admin may ${what}.`, { hint: `Ask ${connector.owner}.` });
}

function refuseFileConnector(connector: ConnectorRow | undefined): void {
  if (connector?.source !== 'file') return;
  throw new KeelError('conflict', `Connector ${connector.id} is described in a connectors/*.yaml file; change it there.`, {
    hint: 'Edit the file and restart Keel (or redeploy it); the file stays the one description of the connector.',
  });
}

export function registerConnectorConfigRoutes(app: ApiApp, deps: ConnectorConfigRouteDeps): void {
  const { db, kinds } = deps;
  const idParam = z.object({ id: z.string() });

  app.openapi(createRoute({
    method: 'put', path: '/api/connectors/{id}', tags: ['connectors'],
    summary: 'Create a connector, or change one (its owner or an admin); the kind never changes, secrets are set separately',
    request: { params: idParam, body: { content: { 'application/json': { schema: connectorBody } }, required: true } },
    responses: { 201: jsonBody(connectorSchema, 'Created'), 200: jsonBody(connectorSchema, 'Changed, or already so'), ...problems(403, 409, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const body = c.req.valid('json');
    const before = await findConnector(db, id);
    if (before) requireOwnerOrAdmin(c, before, 'change it');
    else if (!c.get('access').can('connectors:write')) throw new KeelError('permission_denied', 'Creating a connector needs connectors:write (admins).');
    refuseFileConnector(before);
    refuseKindChange(before, body.kind);
    const checked = checkConnectorConfig(kinds, body.kind, body.config);
    if (!checked.ok) {
      throw new KeelError('invalid_input', `The ${body.kind} connector ${id} is not valid.`, { problems: checked.problems.map((p) => ({ ...p, path: `body.${p.path}` })) });
    }
    const { connector } = await db.transaction((tx) => saveConnector(tx, {
      id, kind: body.kind, title: body.title, owner: body.owner, credentialOwner: body.credential_owner, config: body.config,
      allowHosts: body.allow_hosts, rotationDays: body.rotation_days,
    }, 'api', c.get('actor')));
    const [view] = await connectorViews(db, [connector], kinds, deps.now());
    return sendJson(c, view, before ? 200 : 201);
  });

  app.openapi(createRoute({
    method: 'put', path: '/api/connectors/{id}/secrets/{name}', tags: ['connectors'],
    summary: 'Store a new value of one of the connector\'s secrets (a new version; the value is never answered)',
    request: { params: z.object({ id: z.string(), name: z.string() }), body: { content: { 'application/json': { schema: secretBody } }, required: true } },
    responses: { 200: jsonBody(secretMetaSchema, 'Stored (metadata only)'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const { id, name } = c.req.valid('param');
    const connector = await getConnector(db, id);
    requireOwnerOrAdmin(c, connector, 'set its secrets');
    refuseFileConnector(connector);
    const checked = checkConnectorConfig(kinds, connector.kind, connector.config);
    const names = checked.ok ? checked.kind.secretNames(checked.config) : [];
    if (!names.includes(name)) {
      throw new KeelError('invalid_input', `Connector ${id}'s config names no secret "${name}".`, {
        problems: [{ path: 'name', message: names.length > 0 ? `one of: ${names.join(', ')}` : 'its config names no secret' }],
      });
    }
    if (!deps.secretKey) throw new KeelError('misconfigured', 'This process has no instance key to seal secrets with.', { hint: 'Store secrets through keel serve.' });
    await putSecret(db, deps.secretKey, { connectorId: id, name, value: c.req.valid('json').value, actor: c.get('actor') });
    const [view] = await connectorViews(db, [connector], kinds, deps.now());
    return sendJson(c, view!.secrets.find((s) => s.name === name)!);
  });
}
