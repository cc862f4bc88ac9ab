import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, visibleWorkflowIds, z, type ApiApp } from '../contract/index.js';
import { claimReview, releaseReview } from './claims.js';
import { decideReview, getReview, listReviews, type WakeRun } from './store.js';
import { reviewDecisions, reviewStatuses } from './types.js';

export const reviewSchema = z.object({
  id: z.string(), run_id: z.string(), step_id: z.string(), workflow_id: z.string(), status: z.enum(reviewStatuses),
  reason: z.string().describe('Why the run asks a person: manual, low_confidence, malformed_output, no_response, budget_exceeded, ...'),
  context: z.record(z.string(), z.unknown()).nullable().describe('What the step saw and why it stopped: model, prompt version, confidence, alternatives, documents'),
  title: z.string().nullable(), proposed: z.unknown(), decided_output: z.unknown(), comment: z.string().nullable(),
  assigned_role: z.string().nullable(), assigned_to: z.string().nullable(), due_at: z.string().nullable(),
  decided_by: z.string().nullable(), decided_at: z.string().nullable(), created_at: z.string(),
  claimed_by: z.string().nullable().describe('Who is working on the task; others cannot decide it while the claim holds'),
  claimed_until: z.string().nullable().describe('When the claim frees itself'),
}).openapi('Review');

const decisionBody = z.object({
  decision: z.enum(reviewDecisions),
  output: z.unknown().optional().describe('The corrected output; required for edit'),
  comment: z.string().max(4000).optional(),
});

/** The review queue: list, show, decide (also before the run reaches its review step). */
export function registerReviewRoutes(app: ApiApp, db: Db, wake: WakeRun): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/reviews', tags: ['reviews'], summary: 'Review tasks, oldest first',
    request: { query: z.object({ status: z.enum(reviewStatuses).optional(), workflow: z.string().optional(), run: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
    responses: { 200: jsonBody(z.object({ reviews: z.array(reviewSchema) }), 'Reviews'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    return sendJson(c, { reviews: await listReviews(db, { workflowIds: visibleWorkflowIds(c), status: q.status, workflowId: q.workflow, runId: q.run, limit: q.limit }) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/reviews/{id}', tags: ['reviews'], summary: 'One review task',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: jsonBody(reviewSchema, 'The review'), ...problems(404) },
  }), async (c) => sendJson(c, await getReview(db, c.req.valid('param').id)));

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/decision', tags: ['reviews'], summary: 'Approve, edit or reject (once)',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
    responses: { 200: jsonBody(reviewSchema, 'Decided'), ...problems(404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    return sendJson(c, await decideReview(db, { target: { reviewId: c.req.valid('param').id }, ...body, actor: c.get('actor') }, wake));
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/claim', tags: ['reviews'], summary: 'Claim a pending review (or renew your claim) so nobody else decides it meanwhile',
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: z.object({ minutes: z.number().positive().max(1440).optional().describe('How long the claim holds; 15 by default') }) } }, required: false },
    },
    responses: { 200: jsonBody(reviewSchema, 'Claimed'), ...problems(404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json') as { minutes?: number } | undefined;
    return sendJson(c, await claimReview(db, { reviewId: c.req.valid('param').id, actor: c.get('actor'), minutes: body?.minutes }));
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/reviews/{id}/claim', tags: ['reviews'], summary: 'Give back your claim on a review',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(reviewSchema, 'Released'), ...problems(404, 409) },
  }), async (c) => sendJson(c, await releaseReview(db, { reviewId: c.req.valid('param').id, actor: c.get('actor') })));

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{workflow}/runs/{run}/steps/{step}/decision', tags: ['reviews'],
    summary: 'Decide the review of a run\'s step, even before the run reaches it',
    request: { params: z.object({ workflow: z.string(), run: z.string(), step: z.string() }), body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
    responses: { 200: jsonBody(reviewSchema, 'Decided'), ...problems(404, 409, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const body = c.req.valid('json');
    return sendJson(c, await decideReview(db, { target: { runId: p.run, stepId: p.step, workflowId: p.workflow }, ...body, actor: c.get('actor') }, wake));
  });
}
