// The web dashboard's files (web/dist, built by Vite) served at the page paths the dashboard routes
// to. The pages hold no data: everything they show comes from /api with the person's own rights.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import type { ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';

/** The client-side routes of web/src/app.tsx; each answers with the page, which then routes itself. */
export const dashboardPages = [
  '/', '/sign-in', '/workflows/{id}', '/runs', '/runs/{id}', '/reviews', '/reviews/{id}', '/connectors', '/connectors/new', '/connectors/{id}', '/access',
  '/incidents', '/traces/{traceId}',
  '/workflows/{id}/datasets', '/workflows/{id}/evals', '/workflows/{id}/evals/compare', '/workflows/{id}/evals/{evalId}', '/workflows/{id}/gates',
  '/workflows/{id}/rollback', '/workflows/{id}/changes', '/workflows/{id}/changes/{changeId}', '/workflows/{id}/shadows',
  '/workflows/{id}/shadows/{shadowId}', '/workflows/{id}/handoff',
] as const;

/** Where `npm run build` puts the dashboard, from both src/http (tests) and dist/http (npm start). */
export const defaultDashboardDir = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json', '.map': 'application/json',
};

// Only files Vite names (letters, digits, dot, dash, underscore): no path reaches outside assets/.
const assetName = /^[\w-]+(\.[\w-]+)*\.(js|css|svg|png|woff2|map)$/;

// The page loads nothing from elsewhere and may not be framed; React sets styles through the DOM,
// which a style-src without 'unsafe-inline' still allows.
const pageSecurity = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export function registerDashboard(app: ApiApp, dir: string = defaultDashboardDir): void {
  const page = async (c: Context) => {
    const html = await readFile(join(dir, 'index.html'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      throw new KeelError('not_found', 'The dashboard is not built.', { hint: 'Run npm run build (npm install and npm start build it too); the API under /api works without it.' });
    });
    return c.html(html, 200, { ...pageSecurity, 'cache-control': 'no-cache' });
  };
  for (const path of dashboardPages) app.get(path.replace(/\{(\w+)\}/g, ':$1'), page);
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    if (!assetName.test(file)) throw new KeelError('not_found', `No dashboard file ${file}.`);
    const body = await readFile(join(dir, 'assets', file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new KeelError('not_found', `No dashboard file ${file}.`, { hint: 'The page may be from an older build; reload it.' });
      throw error;
    });
    // Vite puts a content hash in every asset name, so a name never changes meaning.
    return c.body(body, 200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
  });
}
