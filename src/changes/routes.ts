// Change requests over HTTP. Routes under a workflow are checked by the permission table; a
// request found by its id alone is checked here against its workflow (404 where the caller may not
// read it), and deciding follows the change rules (owner, named approver or admin; never the
// requester or the version's author), not a role.
import type { Context } from 'hono';
import type { Db } from '../db/index.js';
import { createRoute, diffEntrySchema, isoDate, jsonBody, problems, sendJson, z, type ApiApp, type ApiEnv } from '../contract/index.js';
import { governedAreas } from './governed.js';
import { changeStatuses, getChangeRequest, listChangeRequests, type ChangeRequest } from './queries.js';
import { decideChange, requestChange, withdrawChange } from './requests.js';

export const governedChangeSchema = diffEntrySchema.extend({ area: z.enum(governedAreas) }).openapi('GovernedChange');

export const changeRequestSchema = z.object({
  id: z.string(), workflow_id: z.string(),
  from_version_id: z.string().describe('What production ran when the change was asked for; the diff is against it'),
  from_version_number: z.number().int(),
  to_version_id: z.string(), to_version_number: z.number().int(),
  areas: z.array(z.enum(governedAreas)),
  diff: z.array(governedChangeSchema),
  status: z.enum(changeStatuses),
  requested_by: z.string(), reason: z.string(),
  decided_by: z.string().nullable(), decided_at: isoDate.nullable(), decision_note: z.string().nullable(),
  created_at: isoDate,
}).openapi('ChangeRequest');

const requestBody = z.object({
  version: z.string().min(1).describe('The version to promote: number (3, v3) or id'),
  reason: z.string().min(1).max(4000).describe('What changes and why'),
});
const noteBody = z.object({ note: z.string().max(4000).optional().describe('Why; required to reject') });
const idParam = z.object({ id: z.string() });

/** The request, once the caller is known to may read its workflow (404 otherwise, like a missing one). */
async function readable(c: Context<ApiEnv>, db: Db, id: string): Promise<ChangeRequest> {
  const request = await getChangeRequest(db, id);
  c.get('access').require('workflows:read', request.workflow_id);
  return request;
}

export function registerChangeRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/change-requests', tags: ['changes'],
    summary: 'Ask for a change to production: the diff of a version\'s prompts, model settings, grants and approval boundary against what production runs',
    request: { params: idParam, body: { content: { 'application/json': { schema: requestBody } }, required: true } },
    responses: { 201: jsonBody(changeRequestSchema, 'The open request'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const request = await requestChange(db, { workflowId: c.req.valid('param').id, versionRef: body.version, actor: c.get('actor'), reason: body.reason });
    return sendJson(c, request, 201);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/change-requests', tags: ['changes'], summary: 'A workflow\'s change requests, newest first',
    request: {
      params: idParam,
      query: z.object({ status: z.enum(changeStatuses).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
    },
    responses: { 200: jsonBody(z.object({ change_requests: z.array(changeRequestSchema) }), 'Change requests'), ...problems(403, 404, 422) },
  }), async (c) => {
    const q = c.req.valid('query');
    return sendJson(c, { change_requests: await listChangeRequests(db, c.req.valid('param').id, { status: q.status, limit: q.limit }) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/change-requests/{id}', tags: ['changes'], summary: 'One change request with its diff',
    request: { params: idParam }, responses: { 200: jsonBody(changeRequestSchema, 'The change request'), ...problems(403, 404) },
  }), async (c) => sendJson(c, await readable(c, db, c.req.valid('param').id)));

  for (const action of ['approve', 'reject', 'withdraw'] as const) {
    app.openapi(createRoute({
      method: 'post', path: `/api/change-requests/{id}/${action}`, tags: ['changes'],
      summary: action === 'withdraw'
        ? 'Withdraw an open change request (the person who asked for it)'
        : `${action === 'approve' ? 'Approve' : 'Reject (with a note)'} an open change request: the production version's owner, a named change approver or an admin; never its requester or the version's author`,
      request: { params: idParam, body: { content: { 'application/json': { schema: noteBody } }, required: false } },
      responses: { 200: jsonBody(changeRequestSchema, 'The change request after it'), ...problems(403, 404, 409, 422) },
    }), async (c) => {
      const { id } = c.req.valid('param');
      const note = (c.req.valid('json') as z.infer<typeof noteBody> | undefined)?.note;
      await readable(c, db, id);
      const actor = c.get('actor');
      if (action === 'withdraw') return sendJson(c, await withdrawChange(db, { id, actor, note }));
      return sendJson(c, await decideChange(db, { id, actor, decision: action, note, admin: c.get('access').can('changes:decide') }));
    });
  }
}
