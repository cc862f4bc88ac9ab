// Recording an event: one INSERT inside the caller's transaction (so the event commits or rolls back
// with the change it records). The event is linked into the chain by the next head holder; when no
// one has linked for a while, the writer itself links what is pending, its own event included.
import type { Queryable } from '../db/index.js';
import { eventBodyText, type EventBody } from './chain.js';
import { currentRequestId } from './context.js';
import { linkPending } from './link.js';
import { redactSecrets } from './redact.js';
import type { AuditEvent, AuditRow } from './types.js';

/** How long pending events may wait before a writer links them in its own transaction. */
const linkAfterMs = 250;

/**
 * Appends an audit event in the caller's transaction. `before`, `after` and `data` are stored
 * without secrets; the request id comes from the surrounding runWithAuditContext.
 */
export async function recordAudit(tx: Queryable, event: AuditEvent): Promise<void> {
  const at = new Date();
  const body: EventBody = {
    actor: event.actor,
    action: event.action,
    subject_type: event.subjectType,
    subject_id: event.subjectId,
    before: event.before === undefined ? null : redactSecrets(event.before),
    after: event.after === undefined ? null : redactSecrets(event.after),
    data: redactSecrets(event.data ?? {}),
    request_id: currentRequestId(),
    at: at.toISOString(),
  };
  const r = await tx.query<{ due: boolean }>(
    `WITH added AS (
       INSERT INTO audit_events (actor, action, subject_type, subject_id, data, before, after, request_id, body, created_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10)
       RETURNING id
     )
     SELECT clock_timestamp() - c.linked_at > make_interval(secs => $11::float8 / 1000) AS due
     FROM added, audit_chain c WHERE c.id = 1`,
    [body.actor, body.action, body.subject_type, body.subject_id, JSON.stringify(body.data),
      body.before === null ? null : JSON.stringify(body.before), body.after === null ? null : JSON.stringify(body.after),
      body.request_id, eventBodyText(body), at, linkAfterMs],
  );
  if (r.rows[0]?.due) await linkInPassing(tx);
}

/**
 * Links pending events if the head is free, inside a savepoint: linking is a service to readers,
 * and must never fail the change being recorded (a reader links, and reports, anything left).
 * The head holder keeps the head until its transaction ends; other writers skip it meanwhile.
 */
async function linkInPassing(tx: Queryable): Promise<void> {
  try {
    await tx.query('SAVEPOINT keel_audit_link');
  } catch {
    return; // not inside a transaction (the event is already committed): leave it to a reader
  }
  try {
    await linkPending(tx, { wait: false });
    await tx.query('RELEASE SAVEPOINT keel_audit_link');
  } catch {
    await tx.query('ROLLBACK TO SAVEPOINT keel_audit_link');
  }
}

/** Every event about one object, oldest first (linked or still pending). */
export async function listAudit(db: Queryable, subjectType: string, subjectId: string): Promise<AuditRow[]> {
  const r = await db.query<AuditRow>(
    `SELECT * FROM audit_events WHERE subject_type = $1 AND subject_id = $2 ORDER BY id`,
    [subjectType, subjectId],
  );
  return r.rows;
}
