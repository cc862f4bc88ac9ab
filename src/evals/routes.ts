// Datasets over HTTP: add a decided review as a case, list a dataset's cases (of its latest
// version); the version routes are registered from here too, so the HTTP edge mounts one function.
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { getWorkflow } from '../registry/index.js';
import { addCaseFromReview, listCases } from './cases.js';
import { addedCaseSchema, datasetCaseSchema } from './schemas.js';
import { registerEvalRunRoutes } from './eval-routes.js';
import { registerShadowRoutes } from './shadow-routes.js';
import { registerDatasetVersionRoutes } from './version-routes.js';

const addBody = z.object({
  dataset: z.string().optional().describe('Which dataset of the workflow; default when absent'),
  tags: z.array(z.string()).max(20).optional(),
  expected: z.unknown().optional().describe('The expected output, instead of what the decision implies'),
});

export function registerDatasetRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/dataset-case', tags: ['datasets'],
    summary: "Add a decided review to its workflow's dataset (once per dataset)",
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: addBody } }, required: false } },
    responses: {
      201: jsonBody(addedCaseSchema, 'Added'), 200: jsonBody(addedCaseSchema, 'Already in the dataset'), ...problems(404, 409, 422),
    },
  }), async (c) => {
    const body = (c.req.valid('json') as z.infer<typeof addBody> | undefined) ?? {};
    const added = await addCaseFromReview(db, {
      reviewId: c.req.valid('param').id, actor: c.get('actor'), dataset: body.dataset, tags: body.tags, expected: body.expected,
    });
    return sendJson(c, added, added.created ? 201 : 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/datasets/{dataset}/cases', tags: ['datasets'], summary: "The cases of a dataset's latest version, oldest first",
    request: {
      params: z.object({ id: z.string(), dataset: z.string() }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(500) }),
    },
    responses: { 200: jsonBody(z.object({ cases: z.array(datasetCaseSchema) }), 'Cases'), ...problems(404, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    await getWorkflow(db, p.id);
    return sendJson(c, { cases: await listCases(db, p.id, p.dataset, { limit: c.req.valid('query').limit }) });
  });

  registerDatasetVersionRoutes(app, db);
  registerEvalRunRoutes(app, db);
  registerShadowRoutes(app, db);
}
