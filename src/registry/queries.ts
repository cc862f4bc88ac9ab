import { createImmutableCache, type Db, type Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { pausePolicy, type OnPauseSpec } from '../spec/index.js';
import { pointStage, syncSchedules, type StageCheck } from './deploy.js';
import type { DeploymentRow, Stage, VersionRow, VersionSummary, WorkflowRow } from './types.js';

export interface WorkflowWithDeployments extends WorkflowRow {
  deployments: DeploymentRow[];
}

const deploymentColumns = `d.workflow_id, d.stage, d.version_id, v.number AS version_number, d.paused, d.paused_at, d.paused_by, d.pause_reason,
  d.deployed_by, d.deployed_at`;

/** Every workflow, or only those of `onlyIds` (what the asking person may see). */
export async function listWorkflows(db: Queryable, onlyIds?: readonly string[]): Promise<WorkflowWithDeployments[]> {
  const workflows = await db.query<WorkflowRow>(`SELECT * FROM workflows WHERE $1::text[] IS NULL OR id = ANY($1::text[]) ORDER BY id`, [onlyIds ?? null]);
  const deployments = await db.query<DeploymentRow>(
    `SELECT ${deploymentColumns} FROM deployments d JOIN workflow_versions v ON v.id = d.version_id ORDER BY d.workflow_id, d.stage`,
  );
  return workflows.rows.map((w) => ({ ...w, deployments: deployments.rows.filter((d) => d.workflow_id === w.id) }));
}

export async function getWorkflow(db: Queryable, id: string): Promise<WorkflowWithDeployments> {
  const w = await db.query<WorkflowRow>(`SELECT * FROM workflows WHERE id = $1`, [id]);
  if (!w.rows[0]) throw new KeelError('not_found', `No workflow named ${id}.`, { hint: 'List workflows with `keel workflows` or GET /api/workflows.' });
  const d = await db.query<DeploymentRow>(
    `SELECT ${deploymentColumns} FROM deployments d JOIN workflow_versions v ON v.id = d.version_id WHERE d.workflow_id = $1 ORDER BY d.stage`, [id],
  );
  return { ...w.rows[0], deployments: d.rows };
}

export async function listVersions(db: Queryable, workflowId: string): Promise<VersionSummary[]> {
  await getWorkflow(db, workflowId);
  const r = await db.query<VersionSummary>(
    `SELECT id, workflow_id, number, content_hash, source_name, created_by, created_at FROM workflow_versions
     WHERE workflow_id = $1 ORDER BY number DESC`, [workflowId],
  );
  return r.rows;
}

/** A version by its number (`3`, `v3`) or its id (`support-triage@ab12...`). */
export async function getVersion(db: Queryable, workflowId: string, ref: string | number): Promise<VersionRow> {
  const text = String(ref);
  const number = /^v?\d+$/.test(text) ? Number(text.replace(/^v/, '')) : null;
  const r = number !== null
    ? await db.query<VersionRow>(`SELECT * FROM workflow_versions WHERE workflow_id = $1 AND number = $2`, [workflowId, number])
    : await db.query<VersionRow>(`SELECT * FROM workflow_versions WHERE workflow_id = $1 AND id = $2`, [workflowId, text]);
  if (!r.rows[0]) {
    throw new KeelError('not_found', `Workflow ${workflowId} has no version ${text}.`, { hint: 'List versions with `keel versions <workflow>`.' });
  }
  return r.rows[0];
}

// Versions never change once stored, so a version read through a database handle is kept for it:
// every webhook and every claimed run needs its version's definition.
const cachedVersion = createImmutableCache<VersionRow>(1_000);

/** Looks up a version by its id alone (runs refer to versions this way). */
export function getVersionById(db: Queryable, versionId: string): Promise<VersionRow> {
  return cachedVersion(db, versionId, async () => {
    const r = await db.query<VersionRow>(`SELECT * FROM workflow_versions WHERE id = $1`, [versionId]);
    if (!r.rows[0]) throw new KeelError('not_found', `No version ${versionId}.`);
    return r.rows[0];
  });
}

export interface ResolvedDeployment {
  workflow: WorkflowRow;
  version: VersionRow;
  stage: Stage;
  /** Set while the stage is paused: who paused it, when, why, and what the deployed version says pausing does. */
  pause: StagePause | null;
}

export interface StagePause {
  at: Date;
  by: string;
  reason: string | null;
  policy: OnPauseSpec;
}

/**
 * Seconds a refused sender is asked to wait (Retry-After). A pause ends when a person resumes it,
 * so there is no real estimate: a minute keeps retrying senders (Standard Webhooks senders back
 * off and retry) from hammering, and lets their deliveries through soon after the resume.
 */
export const pausedRetryAfterMs = 60_000;

/**
 * What a trigger needs: the version deployed at a stage, refusing unknown and undeployed stages, and
 * paused ones whose workflow refuses triggers while paused (`on_pause.triggers: refuse`, the
 * default). With `allowPaused` a paused stage is answered with its `pause` instead (the webhook
 * route checks the sender's signature before it says anything about the pause).
 */
export async function resolveDeployment(db: Queryable, workflowId: string, stage: Stage, options: { allowPaused?: boolean } = {}): Promise<ResolvedDeployment> {
  const r = await db.query<WorkflowRow & { d_version_id: string | null; d_paused: boolean | null; d_paused_at: Date | null; d_paused_by: string | null; d_pause_reason: string | null }>(
    `SELECT w.*, d.version_id AS d_version_id, d.paused AS d_paused, d.paused_at AS d_paused_at, d.paused_by AS d_paused_by, d.pause_reason AS d_pause_reason
     FROM workflows w LEFT JOIN deployments d ON d.workflow_id = w.id AND d.stage = $2 WHERE w.id = $1`,
    [workflowId, stage],
  );
  const row = r.rows[0];
  if (!row) throw new KeelError('not_found', `No workflow named ${workflowId}.`);
  if (!row.d_version_id) {
    throw new KeelError('not_deployed', `Workflow ${workflowId} has no version deployed at stage ${stage}.`, {
      hint: `Deploy one with \`keel deploy <file> --stage ${stage}\`.`,
    });
  }
  const { d_version_id, d_paused, d_paused_at, d_paused_by, d_pause_reason, ...workflow } = row;
  const version = await getVersionById(db, d_version_id);
  const pause = d_paused
    ? { at: d_paused_at ?? new Date(), by: d_paused_by ?? 'unknown', reason: d_pause_reason, policy: pausePolicy(version.definition) }
    : null;
  const resolved = { workflow, version, stage, pause };
  if (!options.allowPaused) refuseWhenPaused(resolved);
  return resolved;
}

/** Throws `stage_paused` (503 with Retry-After, naming the reason) when the stage is paused and refuses triggers. */
export function refuseWhenPaused(d: ResolvedDeployment): void {
  if (!d.pause || d.pause.policy.triggers !== 'refuse') return;
  const { workflow, stage, pause } = d;
  throw new KeelError('stage_paused', `Workflow ${workflow.id} is paused at stage ${stage}${pause.reason ? ` (${pause.reason})` : ''}; no new runs start.`, {
    hint: `Resume it with \`keel resume ${workflow.id} --stage ${stage}\` once the cause is fixed; a sender may try again after Retry-After.`,
    retryAfterMs: pausedRetryAfterMs,
    details: { paused_by: pause.by, paused_at: pause.at.toISOString(), reason: pause.reason },
  });
}

/** Points a stage at a version inside the caller's transaction, with its triggers; false when it already pointed there. */
export async function moveDeploymentIn(tx: Queryable, workflowId: string, stage: Stage, versionId: string, actor: string): Promise<boolean> {
  if (!(await pointStage(tx, workflowId, stage, versionId, actor))) return false;
  await syncSchedules(tx, (await getVersionById(tx, versionId)).definition, stage);
  return true;
}

/** Points a stage at an existing version in its own transaction (what `keel point` does; gates are the promotion slice's). */
export async function moveDeployment(db: Db, workflowId: string, stage: Stage, versionRef: string, actor: string, checkStage?: StageCheck): Promise<DeploymentRow> {
  await db.transaction(async (tx) => {
    const version = await getVersion(tx, workflowId, versionRef);
    await checkStage?.(tx, workflowId, stage, version.id);
    await moveDeploymentIn(tx, workflowId, stage, version.id, actor);
  });
  return (await getWorkflow(db, workflowId)).deployments.find((d) => d.stage === stage)!;
}
