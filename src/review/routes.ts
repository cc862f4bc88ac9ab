import type { Context } from 'hono';
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, visibleWorkflowIds, z, type ApiApp, type ApiEnv } from '../contract/index.js';
import { bulkApprove, bulkLimit } from './bulk.js';
import { claimNextReview, claimReview, releaseReview } from './claims.js';
import { addReviewComment, listReviewApprovals, listReviewComments } from './comments.js';
import { decideReview, type WakeRun } from './decide.js';
import { getReview, listReviews } from './store.js';
import { reviewDecisions, reviewReasons, reviewStatuses, taskState, taskStates, type ReviewRow } from './types.js';

export const reviewSchema = z.object({
  id: z.string(), run_id: z.string().nullable().describe('Null for a task an external workflow asked for'), step_id: z.string().nullable(),
  workflow_id: z.string(), version_id: z.string().nullable(), stage: z.string().nullable(),
  status: z.enum(reviewStatuses).describe('The stored state'),
  state: z.enum(taskStates).describe('What a person sees: the stored state, or claimed while someone holds an open task'),
  reason: z.string().describe(`Why a person is asked: ${reviewReasons.join(', ')}`),
  context: z.record(z.string(), z.unknown()).nullable().describe('What a person needs: input, documents, model and prompt version, confidence, alternatives, the actions approval runs'),
  title: z.string().nullable(), proposed: z.unknown(), decided_output: z.unknown(), comment: z.string().nullable().describe('The decision\'s note: a reject\'s reason'),
  diff: z.unknown().describe('For an edit: what the person changed, field by field'),
  assigned_role: z.string().nullable(), assigned_to: z.string().nullable(),
  priority: z.number().int().describe('0 low, 1 normal, 2 high, 3 urgent'),
  requested_by: z.string().nullable().describe('Who asked; they may not approve it'),
  due_at: z.string().nullable().describe('The SLA: it escalates then'), deadline_at: z.string().nullable().describe('The hard deadline: on_deadline applies then'),
  on_deadline: z.enum(['reject', 'cancel', 'approve']), escalation_level: z.number().int(), escalation_chain: z.array(z.string()),
  escalated_at: z.string().nullable(), quorum: z.number().int(), external_ref: z.string().nullable(),
  decided_by: z.string().nullable(), decided_at: z.string().nullable(), created_at: z.string(),
  claimed_by: z.string().nullable().describe('Who is working on the task; others cannot decide it while the claim holds'),
  claimed_until: z.string().nullable().describe('When the claim frees itself'),
}).openapi('Review');

const commentSchema = z.object({ id: z.number().int(), actor: z.string(), body: z.string(), created_at: z.string() }).openapi('ReviewComment');
export const reviewDetailSchema = reviewSchema.extend({
  comments: z.array(commentSchema), approvals: z.array(z.object({ actor: z.string(), created_at: z.string() })),
}).openapi('ReviewDetail');
export const reviewDecidedSchema = reviewSchema.extend({
  outcome: z.enum(['decided', 'escalated', 'recorded']).describe('recorded: an approval counted towards a quorum not yet reached'),
  approvals: z.number().int().optional(),
}).openapi('ReviewDecided');

const decisionBody = z.object({
  decision: z.enum(reviewDecisions),
  output: z.unknown().optional().describe('The corrected output; required for edit and checked against the step\'s output schema'),
  comment: z.string().max(4000).optional().describe('Required for reject (the reason) and escalate (a note for the next person)'),
});

/** A row as the API shows it: with the derived state, without internals (the output schema, the callback URL). */
export function publicReview(row: ReviewRow): Record<string, unknown> {
  const { output_schema: _schema, callback_url: _callback, retired_at: _retired, sla_seconds: _sla, ...rest } = row;
  return { ...rest, state: taskState(row) };
}

function rolesOn(c: Context<ApiEnv>) {
  return (workflowId: string) => c.get('access').reviewRolesOn(workflowId);
}

/** The review queue: list, show, claim, decide (also before the run reaches its review step), comment, bulk approve. */
export function registerReviewRoutes(app: ApiApp, db: Db, wake: WakeRun): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/reviews', tags: ['reviews'], summary: 'Review tasks: oldest first, or most urgent first',
    request: {
      query: z.object({
        state: z.enum([...taskStates, 'open']).optional().describe('open = pending or escalated (claimed ones included)'),
        status: z.enum([...taskStates, 'open']).optional().describe('Same as state (older name)'),
        workflow: z.string().optional(), run: z.string().optional(),
        mine: z.enum(['true', 'false']).optional().describe('Only tasks for my roles or assigned to me'),
        order: z.enum(['oldest', 'urgent']).default('oldest'),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
    },
    responses: { 200: jsonBody(z.object({ reviews: z.array(reviewSchema) }), 'Reviews'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const roles = q.mine === 'true' ? c.get('access').reviewRoles() : 'all';
    const reviews = await listReviews(db, {
      workflowIds: visibleWorkflowIds(c), state: q.state ?? q.status, workflowId: q.workflow, runId: q.run, limit: q.limit, order: q.order,
      roles: roles === 'all' ? undefined : roles, person: c.get('actor'),
    });
    return sendJson(c, { reviews: reviews.map(publicReview) });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/reviews/{id}', tags: ['reviews'], summary: 'One review task with its comments and approvals',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: jsonBody(reviewDetailSchema, 'The review'), ...problems(404) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const review = await getReview(db, id);
    return sendJson(c, { ...publicReview(review), comments: await listReviewComments(db, id), approvals: await listReviewApprovals(db, id) });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/decision', tags: ['reviews'], summary: 'Approve, edit, reject or escalate (decided once; 409 if someone else decided first)',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
    responses: { 200: jsonBody(reviewDecidedSchema, 'Decided, escalated, or approval recorded'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const id = c.req.valid('param').id;
    const result = await decideReview(db, { target: { reviewId: id }, ...body, actor: c.get('actor'), actorRoles: rolesOn(c)((await getReview(db, id)).workflow_id) }, wake);
    return sendJson(c, { ...publicReview(result.review), outcome: result.outcome, approvals: result.approvals });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/comments', tags: ['reviews'], summary: 'Comment on a task',
    request: { params: z.object({ id: z.string() }), body: { content: { 'application/json': { schema: z.object({ body: z.string().min(1).max(4000) }) } }, required: true } },
    responses: { 201: jsonBody(commentSchema, 'Added'), ...problems(404, 422) },
  }), async (c) => sendJson(c, await addReviewComment(db, { reviewId: c.req.valid('param').id, actor: c.get('actor'), body: c.req.valid('json').body }), 201));

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/bulk-approve', tags: ['reviews'], summary: 'Approve many low-risk tasks; each is decided and audited on its own',
    request: { body: { content: { 'application/json': { schema: z.object({ ids: z.array(z.string()).min(1).max(bulkLimit), comment: z.string().max(4000).optional() }) } }, required: true } },
    responses: { 200: jsonBody(z.object({ results: z.array(z.object({ id: z.string(), ok: z.boolean(), status: z.string().optional(), error: z.object({ code: z.string(), message: z.string() }).optional() })) }), 'Per task'), ...problems(422) },
  }), async (c) => {
    const body = c.req.valid('json');
    const access = c.get('access');
    // A task of a workflow the person may not decide is refused like any other, never silently skipped.
    const results = await bulkApprove(db, {
      ids: body.ids, actor: c.get('actor'), comment: body.comment,
      mayDecide: (workflowId) => access.can('reviews:decide', workflowId),
      rolesOn: (workflowId) => access.reviewRolesOn(workflowId),
    }, wake);
    return sendJson(c, { results });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/next', tags: ['reviews'], summary: 'Claim the most urgent free task for my roles',
    request: {
      body: { content: { 'application/json': { schema: z.object({ workflow: z.string().optional(), minutes: z.number().positive().max(1440).optional() }) } }, required: false },
    },
    responses: { 200: jsonBody(z.object({ review: z.union([reviewSchema, z.null()]) }), 'The claimed task, or null when the queue is empty'), ...problems(422) },
  }), async (c) => {
    const body = (c.req.valid('json') ?? {}) as { workflow?: string; minutes?: number };
    const access = c.get('access');
    const roles = access.reviewRoles();
    // Only tasks the person could decide: claiming one elsewhere would only keep it from others.
    const deciding = access.workflowsWhere('reviews:decide');
    const allowed = deciding === 'all' ? undefined : deciding;
    const workflowIds = body.workflow ? [body.workflow].filter((w) => !allowed || allowed.includes(w)) : allowed;
    const review = await claimNextReview(db, { actor: c.get('actor'), roles: roles === 'all' ? null : roles, workflowIds: workflowIds ?? null, minutes: body.minutes });
    return sendJson(c, { review: review ? publicReview(review) : null });
  });

  app.openapi(createRoute({
    method: 'post', path: '/api/reviews/{id}/claim', tags: ['reviews'], summary: 'Claim an open review (or renew your claim) so nobody else decides it meanwhile',
    request: {
      params: z.object({ id: z.string() }),
      body: { content: { 'application/json': { schema: z.object({ minutes: z.number().positive().max(1440).optional().describe('How long the claim holds; 15 by default') }) } }, required: false },
    },
    responses: { 200: jsonBody(reviewSchema, 'Claimed'), ...problems(404, 409, 422) },
  }), async (c) => {
    const body = c.req.valid('json') as { minutes?: number } | undefined;
    return sendJson(c, publicReview(await claimReview(db, { reviewId: c.req.valid('param').id, actor: c.get('actor'), minutes: body?.minutes })));
  });

  app.openapi(createRoute({
    method: 'delete', path: '/api/reviews/{id}/claim', tags: ['reviews'], summary: 'Give back your claim on a review',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(reviewSchema, 'Released'), ...problems(404, 409) },
  }), async (c) => sendJson(c, publicReview(await releaseReview(db, { reviewId: c.req.valid('param').id, actor: c.get('actor') }))));

  app.openapi(createRoute({
    method: 'post', path: '/api/workflows/{workflow}/runs/{run}/steps/{step}/decision', tags: ['reviews'],
    summary: 'Decide the review of a run\'s step, even before the run reaches it',
    request: { params: z.object({ workflow: z.string(), run: z.string(), step: z.string() }), body: { content: { 'application/json': { schema: decisionBody } }, required: true } },
    responses: { 200: jsonBody(reviewDecidedSchema, 'Decided'), ...problems(403, 404, 409, 422) },
  }), async (c) => {
    const p = c.req.valid('param');
    const body = c.req.valid('json');
    const result = await decideReview(db, { target: { runId: p.run, stepId: p.step, workflowId: p.workflow }, ...body, actor: c.get('actor'), actorRoles: rolesOn(c)(p.workflow) }, wake);
    return sendJson(c, { ...publicReview(result.review), outcome: result.outcome, approvals: result.approvals });
  });
}
