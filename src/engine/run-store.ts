import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import type { Stage } from '../registry/index.js';
import type { AttemptRow, RunRow, RunStatus, TriggerKind } from './types.js';

/** The channel workers LISTEN on; a payload-less ping means "work may be ready". */
export const runsChannel = 'keel_runs';

/** Sortable, unguessable run ids: time first so ids order like creation. */
export function newRunId(now = Date.now()): string {
  return `run_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export interface NewRun {
  workflowId: string;
  versionId: string;
  stage: Stage;
  trigger: TriggerKind;
  input: unknown;
  firstStep: string | null;
  /** Same key for the same workflow makes no second run (webhook-id, Idempotency-Key, schedule tick). */
  dedupeKey?: string;
  requestedBy?: string;
}

export interface CreatedRun {
  run: RunRow;
  /** True when an earlier run with the same dedupe key was returned instead of a new one. */
  deduplicated: boolean;
}

/**
 * Inserts a queued run and wakes the workers in one statement (the NOTIFY is delivered at commit).
 * A dedupe key seen before returns the first run instead.
 */
export async function insertRun(db: Queryable, run: NewRun): Promise<CreatedRun> {
  const inserted = await db.query<RunRow>(
    `WITH created AS (
       INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, dedupe_key, input, current_step, requested_by)
       VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7::jsonb, $8, $9)
       ON CONFLICT (workflow_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
       RETURNING *
     )
     SELECT created.*, pg_notify('${runsChannel}', '') IS NULL AS notified FROM created`,
    [newRunId(), run.workflowId, run.versionId, run.stage, run.trigger, run.dedupeKey ?? null, JSON.stringify(run.input ?? null), run.firstStep, run.requestedBy ?? null],
  );
  if (inserted.rows[0]) {
    const { notified: _n, ...created } = inserted.rows[0] as RunRow & { notified: boolean };
    return { run: created, deduplicated: false };
  }
  const existing = await db.query<RunRow>(`SELECT * FROM runs WHERE workflow_id = $1 AND dedupe_key = $2`, [run.workflowId, run.dedupeKey]);
  if (!existing.rows[0]) throw new KeelError('conflict', 'A run with this dedupe key is being created concurrently; try again.', { retriable: true });
  return { run: existing.rows[0], deduplicated: true };
}

export async function getRun(db: Queryable, id: string): Promise<RunRow> {
  const r = await db.query<RunRow>(`SELECT * FROM runs WHERE id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No run ${id}.`, { hint: 'List runs with `keel runs`.' });
  return r.rows[0];
}

export async function listAttempts(db: Queryable, runId: string): Promise<AttemptRow[]> {
  const r = await db.query<AttemptRow>(`SELECT * FROM step_attempts WHERE run_id = $1 ORDER BY id`, [runId]);
  return r.rows;
}

export interface RunFilter {
  workflowId?: string;
  /** Only runs of these workflows (what the asking person may see). */
  workflowIds?: readonly string[];
  status?: RunStatus;
  stage?: Stage;
  /** Only runs of this version number (of `workflowId`, which it needs). */
  version?: number;
  /** Runs waiting for this reason (`review`, `retry`, `outcome_unknown`) or stopped with this error code. */
  reason?: string;
  /** Runs created at or after this time. */
  since?: Date;
  /** Runs created before this time. */
  until?: Date;
  /** Runs created before this run id (pagination, newest first). */
  before?: string;
  limit?: number;
}

export async function listRuns(db: Queryable, filter: RunFilter = {}): Promise<RunRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const add = (clause: string, value: unknown) => {
    where.push(clause.replaceAll('?', param(value)));
  };
  if (filter.workflowId) add('workflow_id = ?', filter.workflowId);
  if (filter.workflowIds) add('workflow_id = ANY(?::text[])', filter.workflowIds);
  if (filter.status) add('status = ?', filter.status);
  if (filter.stage) add('stage = ?', filter.stage);
  if (filter.version !== undefined) {
    if (!filter.workflowId) {
      throw new KeelError('invalid_input', 'A version number names a version of one workflow; say which workflow.', {
        problems: [{ path: 'version', message: 'needs workflow: version numbers are counted per workflow' }],
      });
    }
    where.push(`version_id IN (SELECT id FROM workflow_versions WHERE workflow_id = ${param(filter.workflowId)} AND number = ${param(filter.version)})`);
  }
  // A reason is either why a run waits now, or the code of the error it stopped with.
  if (filter.reason) add(`(wait_reason = ? OR error->>'code' = ?)`, filter.reason);
  if (filter.since) add('created_at >= ?', filter.since);
  if (filter.until) add('created_at < ?', filter.until);
  if (filter.before) add('id < ?', filter.before);
  const limit = param(Math.min(Math.max(filter.limit ?? 50, 1), 500));
  const r = await db.query<RunRow>(
    `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    params,
  );
  return r.rows;
}

/**
 * Puts a run waiting for a person back in the queue (a review was decided, or an unknown outcome
 * was reconciled) and wakes the workers.
 */
export async function wakeRun(tx: Queryable, runId: string): Promise<boolean> {
  const r = await tx.query(
    `UPDATE runs SET status = 'queued', wait_reason = NULL, available_at = now(), updated_at = now()
     WHERE id = $1 AND status IN ('waiting', 'outcome_unknown')`,
    [runId],
  );
  if (r.rowCount > 0) await tx.query(`SELECT pg_notify('${runsChannel}', '')`);
  return r.rowCount > 0;
}

/** The workflow a run belongs to, or undefined for an unknown run (the permission guard asks this). */
export async function runWorkflowId(db: Queryable, runId: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>('SELECT workflow_id FROM runs WHERE id = $1', [runId]);
  return r.rows[0]?.workflow_id;
}
