// The API external workflows use to ask for reviews, and to wait for the decision without a
// callback. Deciding goes through the queue's own POST /api/reviews/{id}/decision.
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { reviewDecisionView, requestExternalReview, waitForReviewDecision } from './external.js';
import { isOpen, priorities, reviewStatuses } from './types.js';

const requestBody = z.object({
  title: z.string().min(1).max(500),
  payload: z.unknown().describe('What the person needs to see to decide (the input of the case)'),
  proposed: z.unknown().describe('The output to approve, edit or reject'),
  external_ref: z.string().min(1).max(200).optional().describe('Your own reference: asking again with it returns the first task (200)'),
  callback_url: z.string().max(2000).optional().describe('Where the decision is POSTed, signed in the Standard Webhooks scheme with the callback secret'),
  role: z.string().min(1).max(100).optional().describe('The role that reviews it; reviewer by default'),
  priority: z.enum(priorities).optional(),
  escalate_to: z.array(z.string().min(1).max(100)).max(10).optional().describe('Roles the task escalates to, in order, each time the SLA passes'),
  due: z.string().optional().describe('The SLA, a duration such as 4h; 24h by default'),
  deadline: z.string().optional().describe('The hard deadline: a duration from now (3d) or an ISO 8601 time. Default: due x (escalations + 1)'),
  on_deadline: z.enum(['reject', 'approve']).optional().describe('What the deadline decides: reject by default; approve only if you mean it'),
  quorum: z.number().int().min(1).max(10).optional().describe('Distinct people who must approve'),
  output_schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema an edited output must match (the proposal must match it too)'),
  context: z.record(z.string(), z.unknown()).optional().describe('Anything else shown beside the task (links, model, confidence)'),
}).strict();

export const externalReviewSchema = z.object({
  id: z.string(), workflow_id: z.string(), external_ref: z.string().nullable(), status: z.enum(reviewStatuses),
  title: z.string().nullable(), priority: z.enum(priorities), assigned_role: z.string().nullable(),
  requested_by: z.string().nullable(), due_at: z.string().nullable(), deadline_at: z.string().nullable(),
  on_deadline: z.string(), quorum: z.number().int(), callback_url: z.string().nullable(), created_at: z.string(),
}).openapi('ExternalReview');

export const reviewDecisionSchema = z.object({
  id: z.string(), workflow_id: z.string(), external_ref: z.string().nullable(), status: z.enum(reviewStatuses),
  decision: z.enum(['approve', 'edit', 'reject']).nullable().describe('Null for an expired task'),
  output: z.unknown().describe('What to act on: the proposal when approved, the edited output when edited; null otherwise'),
  comment: z.string().nullable(), decided_by: z.string().nullable(), decided_at: z.string().nullable(),
}).openapi('ReviewDecision');

const stillOpenSchema = z.object({ id: z.string(), status: z.enum(['pending', 'escalated']) }).openapi('ReviewStillOpen');

export interface ExternalReviewRouteDeps {
  db: Db;
  /** Whether decision callbacks can be signed (reviews.callbackSecretEnv holds a secret). */
  callbackSecretConfigured: boolean;
}

/** The longest a long-poll holds the connection; the client asks again after it. */
const maxWaitSeconds = 60;

export function registerExternalReviewRoutes(app: ApiApp, deps: ExternalReviewRouteDeps): void {
  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{id}/reviews', tags: ['reviews'],
    summary: 'Ask for a review (external workflows): 201 created, 200 when external_ref was used before',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: requestBody } }, required: true } },
    responses: {
      201: jsonBody(externalReviewSchema, 'The task was opened'),
      200: jsonBody(externalReviewSchema, 'A task with this external_ref exists; it is returned unchanged'),
      ...problems(404, 409, 422),
    },
  }), async (c) => {
    const b = c.req.valid('json');
    const { review, created } = await requestExternalReview(deps.db, {
      workflowId: c.req.valid('param').id, actor: c.get('actor'), title: b.title, payload: b.payload, proposed: b.proposed,
      externalRef: b.external_ref, callbackUrl: b.callback_url, role: b.role, priority: b.priority, escalateTo: b.escalate_to,
      due: b.due, deadline: b.deadline, onDeadline: b.on_deadline, quorum: b.quorum, outputSchema: b.output_schema, context: b.context,
    }, { callbackSecretConfigured: deps.callbackSecretConfigured });
    return sendJson(c, {
      id: review.id, workflow_id: review.workflow_id, external_ref: review.external_ref, status: review.status, title: review.title,
      priority: priorities[review.priority] ?? 'normal', assigned_role: review.assigned_role, requested_by: review.requested_by,
      due_at: review.due_at, deadline_at: review.deadline_at, on_deadline: review.on_deadline, quorum: review.quorum,
      callback_url: review.callback_url, created_at: review.created_at,
    }, created ? 201 : 200);
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/reviews/{id}/decision', tags: ['reviews'],
    summary: 'The decision of a review; with ?wait=SECONDS (up to 60) answers as soon as it is decided',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({ wait: z.coerce.number().min(0).max(maxWaitSeconds).default(0).describe('Seconds to wait for a decision') }),
    },
    responses: {
      200: jsonBody(reviewDecisionSchema, 'Decided (or expired)'),
      202: jsonBody(stillOpenSchema, 'Still open after the wait: ask again'),
      ...problems(404, 422),
    },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const review = await waitForReviewDecision(deps.db, id, { waitMs: c.req.valid('query').wait * 1000, signal: c.req.raw.signal });
    if (isOpen(review)) return sendJson(c, { id: review.id, status: review.status }, 202);
    return sendJson(c, reviewDecisionView(review));
  });
}
