// What decided reviews tell about a workflow, over HTTP: its review metrics, and where its
// confidence threshold could sit. Both only read.
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { KeelError } from '../errors.js';
import { getVersion, getWorkflow } from '../registry/index.js';
import { parseDuration } from '../spec/index.js';
import { suggestBoundary } from './boundary-suggest.js';
import { reviewMetrics } from './metrics.js';

const pct = (what: string) => z.number().nullable().describe(`${what}, 0 to 100; null when there is nothing to divide by`);

const figures = {
  decided: z.number().int().describe('Tasks that reached a final state in the window (approved + edited + rejected + expired)'),
  approved: z.number().int(), edited: z.number().int(), rejected: z.number().int(),
  expired: z.number().int().describe('Decided by nobody before the deadline; not part of the override share'),
  override_pct: pct('(edited + rejected) / (approved + edited + rejected)'),
  finished_runs: z.number().int().describe('Runs that ended in the window: succeeded, rejected, failed, canceled, outcome_unknown'),
  automated_runs: z.number().int().describe('Of those, runs that succeeded with no review task at all'),
  coverage_pct: pct('automated_runs / finished_runs: finished work acted on without a person'),
  escalated_decided: z.number().int().describe('Escalated tasks a person decided in the window'),
  escalation_p50_seconds: z.number().nullable().describe('Median seconds from escalation to decision'),
  escalation_p95_seconds: z.number().nullable().describe('95th percentile of seconds from escalation to decision'),
  open: z.number().int().describe('Tasks open now (pending or escalated), whatever the window'),
  oldest_open_seconds: z.number().nullable().describe('Age of the oldest open task'),
  by_reason: z.array(z.object({
    reason: z.string(), asked: z.number().int().describe('Tasks created in the window'),
    decided: z.number().int().describe('Decided by a person in the window'), overridden: z.number().int().describe('Of those, edited or rejected'),
    expired: z.number().int().describe('Expired in the window, decided by nobody'),
  })),
};

export const reviewFiguresSchema = z.object(figures).openapi('ReviewFigures');

export const reviewMetricsSchema = z.object({
  workflow_id: z.string(), since: isoDate, until: isoDate, now: isoDate,
  total: reviewFiguresSchema,
  versions: z.array(z.object({ version_id: z.string().nullable(), version: z.number().int().nullable(), ...figures })),
}).openapi('ReviewMetrics');

export const boundarySuggestionSchema = z.object({
  workflow_id: z.string(), step: z.string().nullable(),
  target_precision: z.number(), confidence_level: z.number(), method: z.enum(['clopper-pearson', 'wilson']),
  threshold: z.number().nullable().describe('Lowest confidence whose precision lower bound reaches the target; null when none does'),
  precision_lower_bound: z.number(), precision: z.number().describe('Observed precision at or above the threshold'),
  coverage: z.number().describe('Share of the decided sample the threshold would send straight through'),
  accepted: z.number().int(), n: z.number().int().describe('Scored decisions the suggestion rests on'),
  approved: z.number().int(), overridden: z.number().int(),
  current: z.object({ step: z.string(), min_confidence: z.number(), version: z.number().int(), version_id: z.string() }).nullable()
    .describe('The min_confidence the production version runs with, when it sets one'),
  curve: z.array(z.object({ threshold: z.number(), accepted: z.number().int(), precision: z.number(), lower_bound: z.number(), coverage: z.number() })),
}).openapi('BoundarySuggestion');

/** `7d`, `24h` (back from now) or an ISO 8601 timestamp. */
export function parseSince(text: string, now: Date): Date {
  if (/^\d+(ms|s|m|h|d)$/.test(text.trim())) return new Date(now.getTime() - parseDuration(text));
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw new KeelError('invalid_input', `since "${text}" is neither a duration nor a timestamp.`, {
      problems: [{ path: 'query.since', message: 'write a duration back from now (7d, 24h) or an ISO 8601 timestamp' }],
    });
  }
  return at;
}

/** GET review metrics and the boundary suggestion of one workflow. */
export function registerReviewMetricsRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/review-metrics', tags: ['reviews'],
    summary: 'Override %, automation coverage %, escalation latency, queue and reasons, in total and per version',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        version: z.string().optional().describe('Only this version (number, v3, or id)'),
        since: z.string().optional().describe('Start of the window: a duration back from now (7d, 24h) or a timestamp; 7d by default'),
        until: z.string().optional().describe('End of the window (a timestamp); now by default'),
      }),
    },
    responses: { 200: jsonBody(reviewMetricsSchema, 'The figures'), ...problems(404, 422) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    await getWorkflow(db, id);
    const now = new Date();
    const versionId = q.version === undefined ? undefined : (await getVersion(db, id, q.version)).id;
    return sendJson(c, await reviewMetrics(db, {
      workflowId: id, versionId, now, since: q.since === undefined ? undefined : parseSince(q.since, now),
      until: q.until === undefined ? undefined : parseSince(q.until, now),
    }));
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/boundary/suggestion', tags: ['reviews'],
    summary: 'Suggest a confidence threshold from decided reviews: the lowest whose precision lower bound reaches the target',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        precision: z.coerce.number().gt(0).lt(1).describe('Target precision of what goes straight through, e.g. 0.98'),
        step: z.string().min(1).optional().describe('Only reviews of this step'),
        confidence_level: z.coerce.number().gt(0).lt(1).optional().describe('Confidence of the lower bound; 0.95 by default'),
        method: z.enum(['clopper-pearson', 'wilson']).optional(),
      }),
    },
    responses: { 200: jsonBody(boundarySuggestionSchema, 'The suggestion'), ...problems(404, 409, 422) },
  }), async (c) => {
    const q = c.req.valid('query');
    return sendJson(c, await suggestBoundary(db, {
      workflowId: c.req.valid('param').id, precision: q.precision, step: q.step, confidenceLevel: q.confidence_level, method: q.method,
    }));
  });
}
