import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { lockStagePause, type Stage } from '../registry/index.js';
import type { AttemptRow, RunPurpose, RunRow, RunStatus, TriggerKind } from './types.js';

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
  /** `live` unless Keel starts the run to try a version (see RunPurpose). */
  purpose?: RunPurpose;
}

export interface CreatedRun {
  run: RunRow;
  /** True when an earlier run with the same dedupe key was returned instead of a new one. */
  deduplicated: boolean;
}

/**
 * Whether the run's stage holds its runs right now: paused, and its deployed version queues new
 * triggers (`newRuns`) or keeps runs in flight waiting. Read only when paused (CASE), so a running
 * stage never reads the version's definition here. `$w` and `$s` are the workflow and stage params.
 */
const stageHolds = (w: string, s: string, newRuns: boolean) =>
  `coalesce((SELECT CASE WHEN d.paused THEN (
     SELECT ${newRuns ? `coalesce(v.definition #>> '{on_pause,triggers}', 'refuse') = 'queue' OR ` : ''}coalesce(v.definition #>> '{on_pause,in_flight}', 'finish') = 'wait'
     FROM workflow_versions v WHERE v.id = d.version_id) ELSE false END
   FROM deployments d WHERE d.workflow_id = ${w} AND d.stage = ${s}), false)`;

/**
 * Inserts a queued run and wakes the workers (the NOTIFY is delivered at commit). A dedupe key seen
 * before returns the first run instead. Call it inside a transaction: it first takes the stage's
 * pause lock (shared), so whether the run starts held (its stage is paused and queues triggers, or
 * holds runs in flight) is read after any pause that committed meanwhile (registry lockStagePause).
 */
export async function insertRun(db: Queryable, run: NewRun): Promise<CreatedRun> {
  await lockStagePause(db, run.workflowId, run.stage, 'shared');
  const inserted = await db.query<RunRow>(
    `WITH hold AS (SELECT ${stageHolds('$2', '$4', true)} AS held),
     created AS (
       INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, dedupe_key, input, current_step, requested_by,
         wait_reason, held_by, available_at, purpose)
       SELECT $1, $2, $3, $4, 'queued', $5, $6, $7::jsonb, $8, $9,
         CASE WHEN hold.held THEN 'paused' END, CASE WHEN hold.held THEN 'stage' END,
         CASE WHEN hold.held THEN 'infinity'::timestamptz ELSE now() END, $10
       FROM hold
       ON CONFLICT (workflow_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
       RETURNING *
     )
     SELECT created.*, pg_notify('${runsChannel}', '') IS NULL AS notified FROM created`,
    [newRunId(), run.workflowId, run.versionId, run.stage, run.trigger, run.dedupeKey ?? null, JSON.stringify(run.input ?? null), run.firstStep, run.requestedBy ?? null, run.purpose ?? 'live'],
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
  /** Runs of this purpose; `live` when absent, `any` for every run. */
  purpose?: RunPurpose | 'any';
  /** Only runs of this version number (of `workflowId`, which it needs). */
  version?: number;
  /** Runs waiting for this reason (`review`, `retry`, `outcome_unknown`, `paused`) or stopped with this error code. */
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
  if (filter.purpose !== 'any') add('purpose = ?', filter.purpose ?? 'live');
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
 * was reconciled) and wakes the workers. While its stage is paused with `in_flight: wait` the run
 * is held instead (it goes on after the resume): a decision never starts a run during that pause.
 * Call it inside a transaction (it takes the stage's pause lock, like insertRun).
 */
export async function wakeRun(tx: Queryable, runId: string): Promise<boolean> {
  const found = await tx.query<{ workflow_id: string; stage: Stage; status: RunStatus }>(`SELECT workflow_id, stage, status FROM runs WHERE id = $1`, [runId]);
  const run = found.rows[0];
  // Only a waiting run is woken. The lock is not taken for a running one (a decision made before the
  // run reached its step): its caller holds the run's row, which a pause holding runs may be waiting for.
  if (!run || (run.status !== 'waiting' && run.status !== 'outcome_unknown')) return false;
  await lockStagePause(tx, run.workflow_id, run.stage, 'shared');
  const r = await tx.query<{ held: boolean }>(
    `WITH hold AS (SELECT ${stageHolds('$2', '$3', false)} AS held)
     UPDATE runs SET status = 'queued', updated_at = now(),
       wait_reason = CASE WHEN hold.held THEN 'paused' END, held_by = CASE WHEN hold.held THEN 'stage' END,
       available_at = CASE WHEN hold.held THEN 'infinity'::timestamptz ELSE now() END
     FROM hold WHERE id = $1 AND status IN ('waiting', 'outcome_unknown') RETURNING hold.held`,
    [runId, run.workflow_id, run.stage],
  );
  if (r.rowCount > 0 && !r.rows[0]!.held) await tx.query(`SELECT pg_notify('${runsChannel}', '')`);
  return r.rowCount > 0;
}

/** The workflow a run belongs to, or undefined for an unknown run (the permission guard asks this). */
export async function runWorkflowId(db: Queryable, runId: string): Promise<string | undefined> {
  const r = await db.query<{ workflow_id: string }>('SELECT workflow_id FROM runs WHERE id = $1', [runId]);
  return r.rows[0]?.workflow_id;
}
