// Incidents: each time a monitor starts firing one opens, and it stays in the dashboard until a
// person acknowledges it, whether or not the condition has cleared meanwhile. The rule's state is
// kept beside it (monitor_states), so a rule that keeps firing opens nothing new.
import { randomBytes } from 'node:crypto';
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import type { MonitorRule, Verdict } from './monitor-rules.js';

export interface IncidentNotification {
  connector: string;
  action: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  error?: string;
  sent_at?: string;
}

export interface IncidentRow {
  id: string; monitor_key: string; workflow_id: string; monitor_name: string; stage: string; status: 'open' | 'acknowledged';
  summary: string; value: number | null; threshold: number | null; detail: Record<string, unknown>; paused_stage: boolean;
  notifications: IncidentNotification[]; opened_at: Date; cleared_at: Date | null;
  acknowledged_by: string | null; acknowledged_at: Date | null; note: string | null;
}

function newIncidentId(): string {
  return `inc_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

/**
 * Stores a rule's verdict. Firing with no incident in progress opens one (returned); `ok` marks the
 * one in progress cleared; `no_data` changes no incident. Run inside the caller's transaction.
 */
export async function recordVerdict(tx: Queryable, rule: MonitorRule, verdict: Verdict, now: Date): Promise<IncidentRow | null> {
  await tx.query(
    `INSERT INTO monitor_states (monitor_key, workflow_id, state, value, detail, evaluated_at, changed_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6)
     ON CONFLICT (monitor_key) DO UPDATE SET value = excluded.value, detail = excluded.detail, evaluated_at = excluded.evaluated_at,
       changed_at = CASE WHEN monitor_states.state = excluded.state THEN monitor_states.changed_at ELSE excluded.changed_at END,
       state = excluded.state`,
    [rule.key, rule.workflowId, verdict.state, verdict.value, JSON.stringify({ summary: verdict.summary, ...verdict.detail }), now],
  );
  if (verdict.state === 'ok') {
    const cleared = await tx.query<{ id: string }>(
      `UPDATE incidents SET cleared_at = $2 WHERE monitor_key = $1 AND cleared_at IS NULL RETURNING id`, [rule.key, now],
    );
    for (const c of cleared.rows) {
      await recordAudit(tx, { actor: `monitor:${rule.key}`, action: 'incident:cleared', subjectType: 'incident', subjectId: c.id, data: { workflow_id: rule.workflowId, summary: verdict.summary } });
    }
    return null;
  }
  if (verdict.state !== 'firing') return null;
  const notifications: IncidentNotification[] = rule.rule.notify.map((n) => ({ connector: n.connector, action: n.action, status: 'pending', attempts: 0 }));
  const opened = await tx.query<IncidentRow>(
    `INSERT INTO incidents (id, monitor_key, workflow_id, monitor_name, stage, status, summary, value, threshold, detail, notifications, opened_at)
     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9::jsonb, $10::jsonb, $11)
     ON CONFLICT (monitor_key) WHERE cleared_at IS NULL DO NOTHING RETURNING *`,
    [newIncidentId(), rule.key, rule.workflowId, rule.rule.name, rule.rule.stage, verdict.summary, verdict.value, verdict.threshold,
      JSON.stringify(verdict.detail), JSON.stringify(notifications), now],
  );
  const incident = opened.rows[0];
  if (!incident) return null;
  await recordAudit(tx, {
    actor: `monitor:${rule.key}`, action: 'incident:opened', subjectType: 'incident', subjectId: incident.id,
    data: { workflow_id: rule.workflowId, monitor: rule.rule.name, stage: rule.rule.stage, summary: verdict.summary, stop: rule.rule.stop },
  });
  return incident;
}

/**
 * Opens an incident that no monitor rule raised (a review date that passed, say), keyed so that the
 * same `key` opens at most one while it is not cleared: answers null when one is already there. It
 * shows and is acknowledged like a monitor's, and sends no notification. Run inside the caller's
 * transaction, beside the caller's own audit event.
 */
export async function openIncident(
  tx: Queryable,
  input: { key: string; workflowId: string; name: string; stage: string; summary: string; detail?: Record<string, unknown>; actor: string; now: Date },
): Promise<IncidentRow | null> {
  const opened = await tx.query<IncidentRow>(
    `INSERT INTO incidents (id, monitor_key, workflow_id, monitor_name, stage, status, summary, detail, opened_at)
     VALUES ($1, $2, $3, $4, $5, 'open', $6, $7::jsonb, $8)
     ON CONFLICT (monitor_key) WHERE cleared_at IS NULL DO NOTHING RETURNING *`,
    [newIncidentId(), input.key, input.workflowId, input.name, input.stage, input.summary, JSON.stringify(input.detail ?? {}), input.now],
  );
  const incident = opened.rows[0];
  if (!incident) return null;
  await recordAudit(tx, {
    actor: input.actor, action: 'incident:opened', subjectType: 'incident', subjectId: incident.id,
    data: { workflow_id: input.workflowId, monitor: input.name, stage: input.stage, summary: input.summary, stop: false },
  });
  return incident;
}

export async function markIncidentPaused(db: Queryable, incidentId: string): Promise<void> {
  await db.query(`UPDATE incidents SET paused_stage = true WHERE id = $1`, [incidentId]);
}

export async function getIncident(db: Queryable, id: string): Promise<IncidentRow> {
  const r = await db.query<IncidentRow>(`SELECT * FROM incidents WHERE id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No incident ${id}.`);
  return r.rows[0];
}

export interface IncidentFilter {
  /** Only these workflows (what the person may see); every one when undefined. */
  workflowIds?: readonly string[];
  workflowId?: string;
  status?: 'open' | 'acknowledged';
  limit: number;
}

/** Incidents, newest first. */
export async function listIncidents(db: Queryable, filter: IncidentFilter): Promise<IncidentRow[]> {
  const r = await db.query<IncidentRow>(
    `SELECT * FROM incidents
      WHERE ($1::text[] IS NULL OR workflow_id = ANY($1::text[])) AND ($2::text IS NULL OR workflow_id = $2) AND ($3::text IS NULL OR status = $3)
      ORDER BY opened_at DESC, id LIMIT $4`,
    [filter.workflowIds ?? null, filter.workflowId ?? null, filter.status ?? null, filter.limit],
  );
  return r.rows;
}

/** A person has seen the incident; once only (a second acknowledgement is a conflict naming who was first). */
export async function acknowledgeIncident(db: Db, input: { id: string; actor: string; note?: string }): Promise<IncidentRow> {
  return db.transaction(async (tx) => {
    const r = await tx.query<IncidentRow>(`SELECT * FROM incidents WHERE id = $1 FOR UPDATE`, [input.id]);
    const incident = r.rows[0];
    if (!incident) throw new KeelError('not_found', `No incident ${input.id}.`);
    if (incident.status === 'acknowledged') {
      throw new KeelError('conflict', `Incident ${input.id} was already acknowledged by ${incident.acknowledged_by} at ${incident.acknowledged_at?.toISOString()}.`);
    }
    const updated = await tx.query<IncidentRow>(
      `UPDATE incidents SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = now(), note = $3 WHERE id = $1 RETURNING *`,
      [input.id, input.actor, input.note?.trim() || null],
    );
    await recordAudit(tx, { actor: input.actor, action: 'incident:acknowledged', subjectType: 'incident', subjectId: input.id, data: { workflow_id: incident.workflow_id, note: input.note ?? null } });
    return updated.rows[0]!;
  });
}

/** Incidents with a notification still to send, oldest first. */
export async function incidentsToNotify(db: Queryable, limit: number): Promise<IncidentRow[]> {
  const r = await db.query<IncidentRow>(
    `SELECT * FROM incidents WHERE notifications @> '[{"status": "pending"}]' ORDER BY opened_at LIMIT $1`, [limit],
  );
  return r.rows;
}

export async function saveNotifications(db: Queryable, incidentId: string, notifications: IncidentNotification[]): Promise<void> {
  await db.query(`UPDATE incidents SET notifications = $2::jsonb WHERE id = $1`, [incidentId, JSON.stringify(notifications)]);
}
