import { bodyLimit } from 'hono/body-limit';
import { createApiApp, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { registerEngineRoutes, wakeRun } from '../engine/index.js';
import { KeelError } from '../errors.js';
import { registerRegistryRoutes } from '../registry/index.js';
import { registerReviewRoutes } from '../review/index.js';
import { renderDocsPage } from './docs-page.js';
import { problemResponse } from './errors.js';

export interface HttpDeps {
  db: Db;
  bodyLimitBytes: number;
  secrets: Readonly<Record<string, string>>;
  version: string;
  logError(message: string, error: unknown): void;
}

/** Mounts every slice's routes, the OpenAPI document and the error mapping. */
export function createHttpApp(deps: HttpDeps): ApiApp {
  // Request shape errors (query, params, body fields) become one 422 naming every field.
  const app = createApiApp((result) => {
    if (result.success) return;
    throw new KeelError('invalid_input', `The request ${result.target} is invalid.`, {
      problems: result.error.issues.map((i) => ({ path: [result.target, ...i.path.map(String)].join('.'), message: i.message })),
    });
  });
  app.onError((error, c) => problemResponse(c, error, (e) => deps.logError(`${c.req.method} ${c.req.path} failed`, e)));
  app.notFound((c) => problemResponse(c, new KeelError('not_found', `No route ${c.req.method} ${c.req.path}.`, { hint: 'See /docs for the routes.' }), () => {}));
  app.use('*', async (c, next) => {
    c.set('actor', 'local');
    await next();
  });
  app.use('/api/*', bodyLimit({ maxSize: deps.bodyLimitBytes, onError: () => { throw new KeelError('payload_too_large', `The request body is over ${deps.bodyLimitBytes} bytes.`); } }));
  app.use('/hooks/*', bodyLimit({ maxSize: deps.bodyLimitBytes, onError: () => { throw new KeelError('payload_too_large', `The request body is over ${deps.bodyLimitBytes} bytes.`); } }));

  app.get('/healthz', async (c) => {
    await deps.db.query('SELECT 1');
    return c.json({ status: 'ok', database: deps.db.caps.kind, version: deps.version });
  });
  registerRegistryRoutes(app, deps.db);
  registerEngineRoutes(app, { db: deps.db, secrets: deps.secrets });
  registerReviewRoutes(app, deps.db, wakeRun);

  const document = () => app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Keel', version: deps.version, description: 'The operating layer for AI workflows.' },
  });
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(renderDocsPage(document() as never)));
  return app;
}
