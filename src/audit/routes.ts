// The audit API: filter, export (JSON Lines) and verify. There is deliberately no route that edits
// or deletes an event: nobody, not even an admin, can change the log through Keel.
import type { Db } from '../db/index.js';
import { createRoute, jsonBody, problems, sendJson, z, type ApiApp } from '../contract/index.js';
import { exportAuditEvents, listAuditEvents, maxAuditPage, type AuditFilter } from './query.js';
import { chainProblems, verifyAuditChain } from './verify.js';

const jsonObject = z.record(z.string(), z.unknown());

/** One event as the API answers it; the CLI's type is inferred from it. */
export const auditEventSchema = z.object({
  seq: z.number().int(),
  id: z.number().int(),
  at: z.string().describe('When the event was recorded (ISO 8601)'),
  actor: z.string(),
  action: z.string().describe('noun:verb'),
  subject_type: z.string(),
  subject_id: z.string(),
  before: jsonObject.nullable().describe('The object before the change, secrets redacted'),
  after: jsonObject.nullable().describe('The object after the change, secrets redacted'),
  data: jsonObject,
  request_id: z.string().nullable(),
  prev_hash: z.string().describe('The hash of the event before (64 zeros for the first)'),
  hash: z.string().describe('sha256 of prev_hash, seq and body, each followed by a newline but the last'),
  body: z.string().describe('The exact text that was hashed'),
}).openapi('AuditEvent');

const time = z.string().datetime({ offset: true }).describe('ISO 8601 timestamp');

const filterQuery = z.object({
  actor: z.string().optional(),
  action: z.string().optional(),
  subject_type: z.string().optional(),
  subject_id: z.string().optional(),
  since: time.optional().describe('Events at or after this time'),
  until: time.optional().describe('Events before this time'),
  after_seq: z.coerce.number().int().min(0).optional().describe('Events after this seq (the cursor of the previous page)'),
});

export const verdictSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().describe('Events checked and found good'),
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable().describe('The stored head of the chain'),
  first_bad: z.object({
    seq: z.number().int(),
    id: z.number().int().nullable(),
    problem: z.enum(chainProblems),
    detail: z.string(),
  }).optional().describe('The first event where the chain breaks'),
}).openapi('AuditVerdict');

function toFilter(q: z.infer<typeof filterQuery>): AuditFilter {
  return {
    actor: q.actor, action: q.action, subjectType: q.subject_type, subjectId: q.subject_id,
    since: q.since === undefined ? undefined : new Date(q.since), until: q.until === undefined ? undefined : new Date(q.until),
    afterSeq: q.after_seq,
  };
}

/** GET /api/audit, /api/audit/export and /api/audit/verify. */
export function registerAuditRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/audit', tags: ['audit'], summary: 'Audit events in chain order, filtered, a page at a time',
    request: { query: filterQuery.extend({ limit: z.coerce.number().int().min(1).max(maxAuditPage).default(100) }) },
    responses: {
      200: jsonBody(z.object({
        events: z.array(auditEventSchema),
        next_after_seq: z.number().int().nullable().describe('Pass as after_seq for the next page; null on the last page'),
      }), 'A page of events'),
      ...problems(422),
    },
  }), async (c) => {
    const q = c.req.valid('query');
    const page = await listAuditEvents(db, { ...toFilter(q), limit: q.limit });
    return sendJson(c, { events: page.events, next_after_seq: page.nextAfterSeq });
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/audit/export', tags: ['audit'], summary: 'Every matching audit event as JSON Lines, streamed',
    request: { query: filterQuery },
    responses: {
      200: { description: 'One AuditEvent per line', content: { 'application/x-ndjson': { schema: z.string() } } },
      ...problems(422),
    },
  }), (c) => {
    const pages = exportAuditEvents(db, toFilter(c.req.valid('query')));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await pages.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value.map((e) => `${JSON.stringify(e)}\n`).join('')));
      },
      async cancel() {
        await pages.return(undefined);
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } }) as never;
  });

  app.openapi(createRoute({
    method: 'get', path: '/api/audit/verify', tags: ['audit'], summary: 'Check the hash chain and name the first bad event',
    request: {
      query: z.object({
        anchor_seq: z.coerce.number().int().min(1).optional().describe('With anchor_hash: a head seen earlier that the chain must still hold'),
        anchor_hash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
      }).refine((q) => (q.anchor_seq === undefined) === (q.anchor_hash === undefined), { message: 'anchor_seq and anchor_hash go together' }),
    },
    responses: { 200: jsonBody(verdictSchema, 'The verdict (ok false names the first bad event)'), ...problems(422) },
  }), async (c) => {
    const q = c.req.valid('query');
    const anchor = q.anchor_seq !== undefined && q.anchor_hash !== undefined ? { seq: q.anchor_seq, hash: q.anchor_hash } : undefined;
    const v = await verifyAuditChain(db, { anchor });
    return sendJson(c, { ok: v.ok, checked: v.checked, head: v.head, ...(v.firstBad ? { first_bad: v.firstBad } : {}) });
  });
}
