// Dataset versions over HTTP: list a workflow's datasets, read a version's cases, and the changes
// that make versions (import a file, add a case by hand, remove one).
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { getWorkflow } from '../registry/index.js';
import { addCase, importCases, removeCase } from './changes.js';
import { datasetCaseSchema, datasetSummarySchema, datasetVersionSchema, importedCasesSchema, versionCasesSchema } from './schemas.js';
import { datasetVersionCases, listDatasets } from './versions.js';

const datasetParams = z.object({ id: z.string(), dataset: z.string() });

const importBody = z.object({
  format: z.enum(['csv', 'jsonl']).describe('csv: a header row (input or input.<field>, expected or expected.<field>, tags, source); jsonl: one object per line'),
  content: z.string().describe('The file\'s text'),
  tags: z.array(z.string()).max(20).optional().describe('Tags added to every case'),
  note: z.string().max(200).optional().describe('Shown with the version, e.g. the file name'),
});

const addBody = z.object({
  input: z.record(z.string(), z.unknown()).describe('What the workflow is given'),
  expected: z.unknown().describe('What it should answer'),
  tags: z.array(z.string()).max(20).optional(),
});

export function registerDatasetVersionRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/datasets', tags: ['datasets'], summary: "A workflow's datasets with their latest versions",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: jsonBody(z.object({ datasets: z.array(datasetSummarySchema) }), 'Datasets'),
      ...problems(404),
    },
  }), async (c) => {
    const { id } = c.req.valid('param');
    await getWorkflow(db, id);
    return sendJson(c, { datasets: await listDatasets(db, id) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/datasets/{dataset}/versions/{n}/cases', tags: ['datasets'],
    summary: "The cases of one version of a dataset (n: a number, or latest), in the order they were added",
    request: {
      params: datasetParams.extend({ n: z.string().regex(/^(latest|[1-9]\d{0,8})$/, 'a version number or latest') }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(500), offset: z.coerce.number().int().min(0).default(0) }),
    },
    responses: { 200: jsonBody(versionCasesSchema, 'The version and a page of its cases'), ...problems(404, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const q = c.req.valid('query');
    await getWorkflow(db, p.id);
    return sendJson(c, await datasetVersionCases(db, p.id, p.dataset, p.n === 'latest' ? 'latest' : Number(p.n), { limit: q.limit, offset: q.offset }));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/datasets/{dataset}/import', tags: ['datasets'],
    summary: 'Import a CSV or JSON Lines file as a new version: every row, or nothing (422 names the line of every bad row)',
    request: { params: datasetParams, body: { content: { 'application/json': { schema: importBody } }, required: true } },
    responses: { 201: jsonBody(importedCasesSchema, 'Imported'), ...problems(404, 413, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const body = c.req.valid('json');
    await getWorkflow(db, p.id);
    const imported = await importCases(db, { workflowId: p.id, dataset: p.dataset, ...body, actor: c.get('actor') });
    return sendJson(c, imported, 201);
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/datasets/{dataset}/cases', tags: ['datasets'], summary: 'Add a case by hand as a new version',
    request: { params: datasetParams, body: { content: { 'application/json': { schema: addBody } }, required: true } },
    responses: { 201: jsonBody(z.object({ case: datasetCaseSchema, version: datasetVersionSchema }), 'Added'), ...problems(404, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const body = c.req.valid('json');
    await getWorkflow(db, p.id);
    return sendJson(c, await addCase(db, { workflowId: p.id, dataset: p.dataset, ...body, actor: c.get('actor') }), 201);
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/workflows/{id}/datasets/{dataset}/cases/{caseId}', tags: ['datasets'],
    summary: 'Remove a case: a new version without it (older versions keep it)',
    request: { params: datasetParams.extend({ caseId: z.string() }) },
    responses: { 200: jsonBody(z.object({ version: datasetVersionSchema }), 'Removed'), ...problems(404, 409) },
  }), async (c) => {
    const p = c.req.valid('param');
    await getWorkflow(db, p.id);
    return sendJson(c, { version: await removeCase(db, { workflowId: p.id, dataset: p.dataset, caseId: p.caseId, actor: c.get('actor') }) });
  });
}
