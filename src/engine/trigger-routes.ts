// The state of a workflow's email triggers, per stage: when each last read its mailbox and why the
// read failed, how many messages it skipped (their input broke the contract) and where its cursor
// stands. The poller writes all of it on the trigger's row (mail-poller.ts); this route shows it, so
// a trigger that cannot read (no grant, server down) or that skips mail is seen, not silent.
//
// What is stored, and so shown, holds no secret and no message content: a failed read is a KeelError
// whose message names the server, user, mailbox or grant (connector errors redact the password), and
// a skipped message is its UID and the contract's field paths; neither quotes the mail.
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, problems, sendJson, stageSchema, z, type ApiApp } from '../contract/index.js';
import type { StoredError } from '../errors.js';
import { getWorkflow, type Stage } from '../registry/index.js';

const problemList = z.array(z.object({ path: z.string(), message: z.string() })).optional();

const triggerErrorSchema = z.object({
  code: z.string(), message: z.string(), hint: z.string().optional(), retriable: z.boolean(), problems: problemList,
}).openapi('TriggerError');

export const emailTriggerStateSchema = z.object({
  stage: stageSchema,
  trigger_index: z.number().int().describe('The trigger\'s position under `triggers` in the deployed version'),
  kind: z.enum(['email']),
  connector: z.string(),
  every: z.string().describe('How often the mailbox is read, as a duration (30s, 1m)'),
  start: z.enum(['new', 'all']).describe('Where the trigger started reading: new mail only, or the whole mailbox'),
  paused: z.boolean().describe('The stage is paused: the mailbox is not read and its mail waits'),
  connector_paused: z.boolean().describe('The connector is paused (the kill switch): the mailbox is not read and its mail waits'),
  last_polled_at: isoDate.nullable().describe('When the mailbox was last read (or the read was tried); null before the first'),
  next_poll_at: isoDate,
  last_error: triggerErrorSchema.nullable().describe('Why the last read failed; null after a good read'),
  skipped_count: z.number().int().describe('Messages not run because their input broke the contract'),
  last_skipped: z.object({
    uid: z.number().int(), uid_validity: z.string().nullable(), at: isoDate.nullable(), error: triggerErrorSchema,
  }).nullable().describe('The last message skipped: its UID and why (field paths, never its content)'),
  cursor: z.object({
    uid_validity: z.string().nullable(), last_uid: z.number().int().nullable(),
  }).describe('Where the next read starts: after last_uid of the mailbox with this UIDVALIDITY; null before the first good read'),
}).openapi('EmailTriggerState');

export const triggerStatesSchema = z.object({
  workflow_id: z.string(),
  triggers: z.array(emailTriggerStateSchema).describe('Each email trigger of each deployed stage, in stage order'),
}).openapi('TriggerStates');

interface Row {
  stage: Stage;
  trigger_index: number;
  connector_id: string;
  every_ms: number;
  start_from: 'new' | 'all';
  paused: boolean;
  connector_paused: boolean;
  last_polled_at: Date | null;
  next_poll_at: Date;
  last_error: StoredError | null;
  skipped_count: number;
  last_skipped: { uid: number; uid_validity?: string; at?: string; error: StoredError } | null;
  uid_validity: string | null;
  last_uid: number | null;
}

/** Registers GET /api/workflows/{id}/triggers. */
export function registerTriggerRoutes(app: ApiApp, db: Db): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/workflows/{id}/triggers', tags: ['triggers'],
    summary: 'The state of the workflow\'s email triggers per stage: last read, last error, skipped messages, cursor',
    request: { params: z.object({ id: z.string() }) },
    responses: { 200: jsonBody(triggerStatesSchema, 'The triggers\' state'), ...problems(404) },
  }), async (c) => {
    const id = c.req.valid('param').id;
    await getWorkflow(db, id);
    const r = await db.query<Row>(
      `SELECT m.stage, m.trigger_index, m.connector_id, m.every_ms, m.start_from, coalesce(d.paused, false) AS paused,
              coalesce(c.paused, false) AS connector_paused,
              m.last_polled_at, m.next_poll_at, m.last_error, m.skipped_count, m.last_skipped, m.uid_validity, m.last_uid::float8 AS last_uid
         FROM mail_triggers m LEFT JOIN deployments d ON d.workflow_id = m.workflow_id AND d.stage = m.stage
         LEFT JOIN connectors c ON c.id = m.connector_id
        WHERE m.workflow_id = $1
        ORDER BY array_position(ARRAY['design', 'testing', 'sandbox', 'production'], m.stage), m.trigger_index`,
      [id],
    );
    return sendJson(c, { workflow_id: id, triggers: r.rows.map(publicState) });
  });
}

function publicState(row: Row) {
  return {
    stage: row.stage, trigger_index: row.trigger_index, kind: 'email' as const, connector: row.connector_id,
    every: durationText(row.every_ms), start: row.start_from, paused: row.paused, connector_paused: row.connector_paused,
    last_polled_at: row.last_polled_at, next_poll_at: row.next_poll_at,
    last_error: row.last_error ? publicError(row.last_error) : null,
    skipped_count: row.skipped_count,
    last_skipped: row.last_skipped
      ? { uid: row.last_skipped.uid, uid_validity: row.last_skipped.uid_validity ?? null, at: row.last_skipped.at ?? null, error: publicError(row.last_skipped.error) }
      : null,
    cursor: { uid_validity: row.uid_validity, last_uid: row.last_uid },
  };
}

/** The parts of a stored error a person acts on; `details` (internal codes) stays in the database. */
function publicError(e: StoredError) {
  return {
    code: e.code, message: e.message, retriable: e.retriable,
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.problems && e.problems.length > 0 ? { problems: e.problems.map((p) => ({ path: p.path, message: p.message })) } : {}),
  };
}

/** Milliseconds as the largest whole unit the workflow format uses: 30000 -> 30s, 60000 -> 1m. */
function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
