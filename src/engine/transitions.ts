// Every write a worker makes about a run goes through here, and every one is fenced: a single
// statement whose first part updates the run only if the caller's lease token still matches, and
// whose attempt write happens only if that update did. A worker that lost its lease writes nothing.
import type { Db, Queryable } from '../db/index.js';
import { KeelError, type StoredError } from '../errors.js';
import type { AttemptRow, RunStatus } from './types.js';

export interface Lease {
  runId: string;
  token: string;
  leaseMs: number;
  /** The worker holding the lease, recorded on every attempt it writes. */
  owner: string;
}

export interface AttemptFacts {
  stepId: string;
  kind: string;
  attempt: number;
  startedAt: Date;
  /** Set when an attempt row already exists (effects, reviews); otherwise one is inserted. */
  attemptId?: number;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  json(value: unknown): string {
    return `${this.add(JSON.stringify(value ?? null))}::jsonb`;
  }
}

/** Run columns set by a transition, as SQL fragments using the caller's params. */
type RunSet = (p: Params) => string;

async function fencedWrite(
  db: Queryable,
  lease: Lease,
  runSet: RunSet,
  attempt: AttemptFacts,
  status: AttemptRow['status'],
  fields: { output?: unknown; error?: StoredError; nextStep?: string | null; finished: boolean },
): Promise<void> {
  const p = new Params();
  const id = p.add(lease.runId);
  const token = p.add(lease.token);
  const fence = `UPDATE runs SET ${runSet(p)}, updated_at = now() WHERE id = ${id} AND lease_token = ${token} RETURNING id`;
  const output = fields.output === undefined ? 'NULL' : p.json(fields.output);
  const error = fields.error === undefined ? 'NULL' : p.json(fields.error);
  const next = p.add(fields.nextStep ?? null);
  const finished = fields.finished ? 'now()' : 'NULL';
  const st = p.add(status);
  const write = attempt.attemptId !== undefined
    ? `UPDATE step_attempts SET status = ${st}, output = ${output}, error = ${error}, next_step = ${next},
         finished_at = ${finished}, effect = CASE WHEN effect = 'started' AND ${st} = 'succeeded' THEN 'done' ELSE effect END
       WHERE id = ${p.add(attempt.attemptId)} AND EXISTS (SELECT 1 FROM fence)`
    : `INSERT INTO step_attempts (run_id, step_id, kind, attempt, status, lease_token, worker, output, error, next_step, started_at, finished_at)
       SELECT ${id}, ${p.add(attempt.stepId)}, ${p.add(attempt.kind)}, ${p.add(attempt.attempt)}, ${st}, ${token}::uuid, ${p.add(lease.owner)},
         ${output}, ${error}, ${next}, ${p.add(attempt.startedAt)}, ${finished} FROM fence`;
  const r = await db.query(`WITH fence AS (${fence}) ${write} RETURNING 1`, p.values);
  if (r.rowCount === 0) throw fencedError(lease);
}

export function fencedError(lease: Lease): KeelError {
  return new KeelError('fenced', `The lease on run ${lease.runId} was lost; this worker stops touching it.`, { retriable: false });
}

const releaseLease = `lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL`;

/**
 * A step finished: its output joins the run state and the run moves to `next` (or ends). `patch`
 * replaces other steps' outputs too: an edit at the approval boundary replaces the judged output.
 */
export async function completeStep(
  db: Queryable, lease: Lease, a: AttemptFacts, output: unknown, next: string | null, patch?: Record<string, unknown>,
): Promise<void> {
  const runSet: RunSet = (p) => {
    const merge = `state = state || jsonb_build_object(${p.add(a.stepId)}::text, ${p.json(output)})${patch ? ` || ${p.json(patch)}` : ''}`;
    if (next === null) {
      return `${merge}, current_step = NULL, status = 'succeeded', output = ${p.json(output)}, finished_at = now(), ${releaseLease}`;
    }
    return `${merge}, current_step = ${p.add(next)}, lease_expires_at = now() + ${p.add(lease.leaseMs)} * interval '1 millisecond'`;
  };
  await fencedWrite(db, lease, runSet, a, 'succeeded', { output, nextStep: next, finished: true });
}

/** A step failed and will be tried again after `delayMs`; the lease is given back meanwhile. */
export async function scheduleRetry(db: Queryable, lease: Lease, a: AttemptFacts, error: StoredError, delayMs: number): Promise<void> {
  const runSet: RunSet = (p) =>
    `status = 'queued', wait_reason = 'retry', available_at = now() + ${p.add(Math.round(delayMs))} * interval '1 millisecond', ${releaseLease}`;
  await fencedWrite(db, lease, runSet, a, 'failed', { error, finished: true });
}

/** The run ends on this step: failed, rejected, canceled, or waiting on a person to reconcile an unknown outcome. */
export async function endRun(
  db: Queryable, lease: Lease, a: AttemptFacts, status: Extract<RunStatus, 'failed' | 'rejected' | 'canceled' | 'outcome_unknown'>,
  detail: { error?: StoredError; output?: unknown },
): Promise<void> {
  const runSet: RunSet = (p) => {
    const common = `status = ${p.add(status)}, error = ${detail.error ? p.json(detail.error) : 'NULL'}, ${releaseLease}`;
    if (status === 'outcome_unknown') return `${common}, wait_reason = 'outcome_unknown'`;
    return `${common}, output = ${p.json(detail.output ?? null)}, finished_at = now()`;
  };
  const attemptStatus = status === 'rejected' || status === 'canceled' ? 'succeeded' : status === 'outcome_unknown' ? 'interrupted' : 'failed';
  await fencedWrite(db, lease, runSet, a, attemptStatus, { ...detail, finished: true });
}

/**
 * The step's connector is paused (the kill switch): the run waits at this step, held, until the
 * connector's resume releases it; the attempt is recorded as failed with the refusal, so the trace
 * shows why the run stopped there. The hold gives the claim back (a pause is no crash). The
 * connector row is read under a share lock: a resume committing meanwhile either waits for this
 * hold and releases it, or is seen here, and then the run is simply queued again.
 */
export async function holdForConnector(db: Db, lease: Lease, a: AttemptFacts, error: StoredError, connectorId: string): Promise<void> {
  await db.transaction(async (tx) => {
    const c = await tx.query<{ paused: boolean }>(`SELECT paused FROM connectors WHERE id = $1 FOR SHARE`, [connectorId]);
    const held = c.rows[0]?.paused === true;
    const runSet: RunSet = (p) => {
      const back = `status = 'queued', claims = greatest(claims - 1, 0), ${releaseLease}`;
      return held
        ? `${back}, wait_reason = 'paused', held_by = ${p.add(`connector:${connectorId}`)}, available_at = 'infinity'`
        : `${back}, wait_reason = 'retry', available_at = now()`;
    };
    await fencedWrite(tx, lease, runSet, a, 'failed', { error, finished: true });
  });
}

/** The run waits for a person (a review); the lease is released and the attempt stays open. */
export async function suspendRun(db: Queryable, lease: Lease, a: AttemptFacts, reason: 'review'): Promise<void> {
  const runSet: RunSet = (p) => `status = 'waiting', wait_reason = ${p.add(reason)}, ${releaseLease}`;
  await fencedWrite(db, lease, runSet, a, 'waiting', { finished: false });
}

/**
 * Records that a side effect is about to start, before it starts. If the worker dies after this,
 * the next holder of the run finds `effect = started` and follows the action's delivery class.
 */
export async function startEffect(
  db: Queryable, lease: Lease, a: Omit<AttemptFacts, 'attemptId'>, delivery: NonNullable<AttemptRow['delivery']>, idempotencyKey: string,
): Promise<number> {
  const r = await db.query<{ id: number }>(
    `WITH fence AS (UPDATE runs SET updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id)
     INSERT INTO step_attempts (run_id, step_id, kind, attempt, status, lease_token, worker, delivery, idempotency_key, effect, started_at)
     SELECT $1, $3, $4, $5, 'running', $2::uuid, $9, $6, $7, 'started', $8 FROM fence RETURNING id`,
    [lease.runId, lease.token, a.stepId, a.kind, a.attempt, delivery, idempotencyKey, a.startedAt, lease.owner],
  );
  if (!r.rows[0]) throw fencedError(lease);
  return r.rows[0].id;
}

/** Opens an attempt row for a step that will wait (a review), so the wait is visible in history. */
export async function openAttempt(db: Queryable, lease: Lease, a: Omit<AttemptFacts, 'attemptId'>): Promise<number> {
  const r = await db.query<{ id: number }>(
    `WITH fence AS (UPDATE runs SET updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id)
     INSERT INTO step_attempts (run_id, step_id, kind, attempt, status, lease_token, worker, started_at)
     SELECT $1, $3, $4, $5, 'running', $2::uuid, $7, $6 FROM fence RETURNING id`,
    [lease.runId, lease.token, a.stepId, a.kind, a.attempt, a.startedAt, lease.owner],
  );
  if (!r.rows[0]) throw fencedError(lease);
  return r.rows[0].id;
}

/** Marks attempts left open by a previous holder of the lease as interrupted. */
export async function interruptAttempt(db: Queryable, lease: Lease, attemptId: number, error: StoredError): Promise<void> {
  const r = await db.query(
    `WITH fence AS (UPDATE runs SET updated_at = now() WHERE id = $1 AND lease_token = $2 RETURNING id)
     UPDATE step_attempts SET status = 'interrupted', error = $4::jsonb, finished_at = now()
     WHERE id = $3 AND EXISTS (SELECT 1 FROM fence) RETURNING 1`,
    [lease.runId, lease.token, attemptId, JSON.stringify(error)],
  );
  if (r.rowCount === 0) throw fencedError(lease);
}
