// The kill switch over HTTP: POST /api/connectors/{id}/pause and /resume, with an optional reason.
// The connector's owner or an admin (connectors:write) may throw it, on connectors made through the
// API and on those described in files alike: pausing is an operation, not a change of settings.
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { requireOwnerOrAdmin } from './config-routes.js';
import { setConnectorPaused } from './connector-pause.js';
import { getConnector } from './connector-store.js';
import { connectorViews } from './connector-view.js';
import type { ConnectorKind } from './kinds/index.js';
import { connectorSchema, pauseBody } from './route-schemas.js';

export interface ConnectorPauseRouteDeps {
  db: Db;
  kinds: ReadonlyMap<string, ConnectorKind<unknown>>;
  now: () => Date;
}

export function registerConnectorPauseRoutes(app: ApiApp, deps: ConnectorPauseRouteDeps): void {
  const { db, kinds } = deps;
  for (const action of ['pause', 'resume'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/connectors/{id}/${action}`, tags: ['connectors'],
      summary: action === 'pause'
        ? 'Pause a connector at once (the kill switch): every action call through it is refused, runs wait at its actions (its owner or an admin)'
        : 'Resume a paused connector: calls go through again and the runs held at its actions go on (its owner or an admin)',
      request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: pauseBody } }, required: false } },
      responses: { 200: jsonBody(connectorSchema, 'The connector'), ...problems(403, 404, 422) },
    }), async (c) => {
      const id = c.req.valid('param').id;
      const body = c.req.valid('json') as z.infer<typeof pauseBody> | undefined;
      requireOwnerOrAdmin(c, await getConnector(db, id), action === 'pause' ? 'pause it' : 'resume it');
      const connector = await setConnectorPaused(db, id, action === 'pause', c.get('actor'), { reason: body?.reason });
      const [view] = await connectorViews(db, [connector], kinds, deps.now());
      return sendJson(c, view);
    });
  }
}
