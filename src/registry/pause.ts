// Pausing a stage: a person (`keel pause`), or a monitor whose stop condition fired (actor
// `monitor:<id>`), stops the stage; an owner resumes it. What the pause does comes from the deployed
// version's `on_pause` (src/spec/pause-policy.ts): new webhook and manual triggers are refused (503
// with Retry-After) or queued held; runs in flight finish, or wait held where they are.
//
// A held run is the run queue's own state (src/engine/ARCHITECTURE.md, "Pausing"): status `queued`,
// wait_reason `paused`, held_by `stage`, available_at `infinity`, so no claim takes it. The hold is
// written here, in the transaction that pauses, so the pause and its hold commit together.
import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { pausePolicy } from '../spec/index.js';
import { getVersionById, getWorkflow } from './queries.js';
import type { DeploymentRow, Stage } from './types.js';

/** The engine's wake-up channel (engine/run-store.ts runsChannel): released runs are ready at once. */
const runsChannel = 'keel_runs';
/** The class of the two-key advisory locks that order pauses against new and woken runs (see lockStagePause). */
const stagePauseLockClass = 7_346_010;

export interface PauseOptions {
  /** Why: shown to refused senders (problem detail), on the deployment and in the audit event. */
  reason?: string;
}

/**
 * Orders a stage's pause and resume against the writes that decide whether a run is held: the
 * pause takes it `exclusive` and, in the same transaction, holds the runs it finds; inserting or
 * waking a run takes it `shared` first and then reads whether the stage holds runs. Without it a
 * run inserted concurrently with the pause (read before the pause committed, written after its hold
 * statement ran) would run during the pause. Held until the caller's transaction ends, so call it
 * inside one; shared holders never wait for each other.
 */
export async function lockStagePause(tx: Queryable, workflowId: string, stage: Stage, mode: 'shared' | 'exclusive'): Promise<void> {
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await tx.query(`SELECT ${fn}($1, hashtext($2))`, [stagePauseLockClass, `${workflowId}\n${stage}`]);
}

/**
 * Pauses or resumes a stage; pausing an already paused stage (or resuming a running one) changes
 * nothing and records nothing. Pausing records who, why and when; with `in_flight: wait` it holds
 * at once every queued run of the stage (retry back-offs too) and every running one, whose lease
 * it clears so its worker is fenced at its next write: a step in progress is abandoned and done
 * again after the resume, and an action in progress follows its delivery class exactly as after a
 * crash. Runs waiting for a person stay waiting; a decision arriving during the pause holds them
 * instead of waking them (engine wakeRun). Resuming releases the runs the pause held (audited with
 * their count). Every pause and resume is audited, `deployment:paused` / `deployment:resumed`.
 */
export async function setPaused(
  db: Db, workflowId: string, stage: Stage, paused: boolean, actor: string, options: PauseOptions = {},
): Promise<DeploymentRow> {
  const reason = options.reason?.trim() || null;
  await db.transaction(async (tx) => {
    await lockStagePause(tx, workflowId, stage, 'exclusive');
    const r = await tx.query<{ version_id: string; paused: boolean }>(
      `SELECT version_id, paused FROM deployments WHERE workflow_id = $1 AND stage = $2 FOR UPDATE`, [workflowId, stage],
    );
    const d = r.rows[0];
    if (!d) {
      await getWorkflow(tx, workflowId);
      throw new KeelError('not_deployed', `Workflow ${workflowId} has nothing deployed at stage ${stage}.`);
    }
    if (d.paused === paused) return;
    const policy = pausePolicy((await getVersionById(tx, d.version_id)).definition);
    let runs: number;
    if (paused) {
      await tx.query(
        `UPDATE deployments SET paused = true, paused_at = now(), paused_by = $3, pause_reason = $4 WHERE workflow_id = $1 AND stage = $2`,
        [workflowId, stage, actor, reason],
      );
      runs = policy.in_flight === 'wait' ? await holdStageRuns(tx, workflowId, stage) : 0;
    } else {
      await tx.query(
        `UPDATE deployments SET paused = false, paused_at = NULL, paused_by = NULL, pause_reason = NULL WHERE workflow_id = $1 AND stage = $2`,
        [workflowId, stage],
      );
      runs = await releaseStageRuns(tx, workflowId, stage);
    }
    const action = paused ? 'pause' : 'resume';
    await tx.query(
      `INSERT INTO deployment_history (workflow_id, stage, action, version_id, previous_version_id, actor) VALUES ($1, $2, $3, $4, $4, $5)`,
      [workflowId, stage, action, d.version_id, actor],
    );
    await recordAudit(tx, {
      actor, action: `deployment:${action}d`, subjectType: 'workflow', subjectId: workflowId,
      data: { stage, reason, on_pause: policy, ...(paused ? { held_runs: runs } : { released_runs: runs }) },
    });
  });
  return (await getWorkflow(db, workflowId)).deployments.find((d) => d.stage === stage)!;
}

/**
 * Holds the stage's queued and running runs. A run held while running gives its claim back: the
 * pause cut it short, no crash did, so holds never count towards the crash-loop limit.
 */
async function holdStageRuns(tx: Queryable, workflowId: string, stage: Stage): Promise<number> {
  const r = await tx.query(
    `UPDATE runs SET status = 'queued', wait_reason = 'paused', held_by = 'stage', available_at = 'infinity',
       claims = CASE WHEN status = 'running' THEN greatest(claims - 1, 0) ELSE claims END,
       lease_token = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
     WHERE workflow_id = $1 AND stage = $2 AND status IN ('queued', 'running')`,
    [workflowId, stage],
  );
  return r.rowCount;
}

/** Puts the runs this stage's pause held back in the queue, ready now, and wakes the workers. */
async function releaseStageRuns(tx: Queryable, workflowId: string, stage: Stage): Promise<number> {
  const r = await tx.query(
    `UPDATE runs SET wait_reason = NULL, held_by = NULL, available_at = now(), updated_at = now()
     WHERE held_by = 'stage' AND workflow_id = $1 AND stage = $2`,
    [workflowId, stage],
  );
  if (r.rowCount > 0) await tx.query(`SELECT pg_notify('${runsChannel}', '')`);
  return r.rowCount;
}
