// The handoff pack over HTTP: GET /api/workflows/{id}/handoff answers the pack as JSON, Markdown or
// a self-contained HTML page (both with a file name, to save or print). Reading a workflow is
// enough: the pack holds no secret and no run payload, only what the workflow's people need.
import { createRoute, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { stages } from '../registry/index.js';
import { handoffPagePolicy, renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildHandoffPack, type HandoffDeps } from './pack.js';
import { handoffPackSchema } from './schemas.js';

export interface HandoffRouteDeps extends HandoffDeps {
  db: Db;
  /** The pack's clock; tests pass a fake one. */
  now?: () => Date;
}

export function registerHandoffRoutes(app: ApiApp, deps: HandoffRouteDeps): void {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/handoff', tags: ['handoff'],
    summary: 'The handoff pack: workflow card, owner map, access inventory, prompts with known failure classes, monitoring view, runbook, change process and the readiness checklist',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        format: z.enum(['json', 'markdown', 'html']).default('json'),
        stage: z.enum(stages).optional().describe('The stage described; the highest stage that has a deployment by default'),
      }),
    },
    responses: {
      200: {
        description: 'The pack (JSON; Markdown or a self-contained HTML page with format=markdown or html)',
        content: { 'application/json': { schema: handoffPackSchema }, 'text/markdown': { schema: z.string() }, 'text/html': { schema: z.string() } },
      },
      ...problems(404, 409, 422),
    },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    const pack = await buildHandoffPack(db, { workflowId: id, stage: q.stage, now: now() }, deps);
    if (q.format === 'json') return sendJson(c, pack);
    // The id and stage follow fixed patterns, so the file name needs no quoting beyond the quotes.
    const file = `${pack.workflow_id}-handoff-${pack.stage}.${q.format === 'html' ? 'html' : 'md'}`;
    const headers: Record<string, string> = { 'x-content-type-options': 'nosniff' };
    if (q.format === 'html') {
      Object.assign(headers, { 'content-type': 'text/html; charset=utf-8', 'content-disposition': `inline; filename="${file}"`, 'content-security-policy': handoffPagePolicy });
      return new Response(renderHtml(pack), { status: 200, headers }) as never;
    }
    Object.assign(headers, { 'content-type': 'text/markdown; charset=utf-8', 'content-disposition': `attachment; filename="${file}"` });
    return new Response(renderMarkdown(pack), { status: 200, headers }) as never;
  });
}
