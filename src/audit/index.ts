// The audit slice owns the append-only record of every change and decision: who, what, when.
// Callers write an event inside the same transaction as the change it records.
// (The hash chain that makes it tamper-evident comes with the identity issue.)
import type { Queryable } from '../db/index.js';

export interface AuditEvent {
  actor: string;
  /** `noun:verb`, e.g. `version:created`, `deployment:moved`, `review:decided`. */
  action: string;
  subjectType: string;
  subjectId: string;
  data?: Record<string, unknown>;
}

export async function recordAudit(tx: Queryable, event: AuditEvent): Promise<void> {
  await tx.query(
    `INSERT INTO audit_events (actor, action, subject_type, subject_id, data) VALUES ($1, $2, $3, $4, $5::jsonb)`,
    [event.actor, event.action, event.subjectType, event.subjectId, JSON.stringify(event.data ?? {})],
  );
}

export interface AuditRow {
  id: number;
  actor: string;
  action: string;
  subject_type: string;
  subject_id: string;
  data: Record<string, unknown>;
  created_at: Date;
}

export async function listAudit(db: Queryable, subjectType: string, subjectId: string): Promise<AuditRow[]> {
  const r = await db.query<AuditRow>(
    `SELECT * FROM audit_events WHERE subject_type = $1 AND subject_id = $2 ORDER BY id`,
    [subjectType, subjectId],
  );
  return r.rows;
}
