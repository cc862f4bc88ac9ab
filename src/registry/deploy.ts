import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import type { Db, Queryable } from '../db/index.js';
import { recordAudit } from '../audit/index.js';
import { checkWorkflowAccess, connectorKinds, requestListedGrants } from '../connectors/index.js';
import { KeelError, type FieldProblem } from '../errors.js';
import { resolveLibraryRef } from '../prompts/index.js';
import { canonicalJson, parseDuration, parseWorkflow, type WorkflowSpec } from '../spec/index.js';
import type { Stage, VersionRow, WorkflowRow } from './types.js';

export interface DeployInput {
  source: string;
  /** File name shown in error positions (file:line:col). */
  sourceName: string;
  stage: Stage;
  actor: string;
  /**
   * Throws when the actor may not deploy this workflow; called once the file says which workflow
   * it is and whether it exists (a new workflow needs the permission everywhere).
   */
  authorize?: (workflowId: string, exists: boolean) => void;
  /** Refuses pointing the stage at the version (the promotion gate); called in the deploy's transaction, so a refusal stores nothing. */
  checkStage?: StageCheck;
}

/**
 * What may move a stage to a version: the promotion slice's gate check, handed down by the edges
 * (the registry sits below the slices that hold the gate's evidence). Throws to refuse.
 */
export type StageCheck = (tx: Queryable, workflowId: string, stage: Stage, versionId: string) => Promise<void>;

export interface DeployResult {
  workflow: WorkflowRow;
  version: VersionRow;
  /** False when this exact content was already stored: no new version. */
  versionCreated: boolean;
  /** False when the stage already pointed at this version. */
  deploymentChanged: boolean;
}

/**
 * The content hash of a parsed workflow: formatting and comments do not make a new version. The
 * library versions it pinned are part of it, so a prompt that changed makes a new workflow version
 * rather than silently changing a deployed one.
 */
export function contentHash(spec: WorkflowSpec, library: PinnedLibrary = new Map()): string {
  const content = library.size === 0 ? spec : { workflow: spec, library: Object.fromEntries([...library].map(([ref, v]) => [ref, v.hash]).sort()) };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

type PinnedLibrary = Map<string, { id: string; hash: string }>;

/** Resolves every library reference of the workflow now; one that does not resolve fails the deploy, naming the step. */
async function pinLibrary(tx: Queryable, spec: WorkflowSpec, sourceName: string): Promise<PinnedLibrary> {
  const pinned: PinnedLibrary = new Map();
  const problems: FieldProblem[] = [];
  for (const [index, step] of spec.steps.entries()) {
    if (step.kind !== 'model' || step.prompt === undefined || pinned.has(step.prompt)) continue;
    try {
      const version = await resolveLibraryRef(tx, step.prompt);
      pinned.set(step.prompt, { id: version.id, hash: version.hash });
    } catch (error) {
      if (!(error instanceof KeelError)) throw error;
      problems.push({ path: `${sourceName} steps[${index}].prompt`, message: error.message, hint: error.hint });
    }
  }
  if (problems.length > 0) {
    throw new KeelError('invalid_workflow', `${sourceName}: ${problems.length} library reference(s) do not resolve.`, {
      problems, hint: 'Deploy the prompt first (keel serve loads prompts/ at start; keel prompts list shows what exists), or fix the reference.',
    });
  }
  return pinned;
}

/**
 * Validates a workflow file and, only if it has no problem at all, stores its version (once per
 * content) and points the stage at it, in one transaction with its audit events.
 */
export async function deployWorkflow(db: Db, input: DeployInput): Promise<DeployResult> {
  const spec = parseWorkflow(input.source, input.sourceName);
  return db.transaction(async (tx) => {
    if (input.authorize) {
      const exists = await tx.query('SELECT 1 FROM workflows WHERE id = $1', [spec.id]);
      input.authorize(spec.id, exists.rows.length > 0);
    }
    const library = await pinLibrary(tx, spec, input.sourceName);
    await checkWorkflowAccess(tx, connectorKinds, spec, input.sourceName);
    const hash = contentHash(spec, library);
    const workflow = await upsertWorkflow(tx, spec);
    const { version, created } = await storeVersion(tx, spec, hash, input, library);
    if (created) {
      await tx.query(`UPDATE workflows SET latest_version_id = $2, updated_at = now() WHERE id = $1`, [spec.id, version.id]);
      await recordAudit(tx, {
        actor: input.actor, action: 'version:created', subjectType: 'workflow', subjectId: spec.id,
        data: { version: version.id, number: version.number, hash, library: version.library_versions },
      });
    }
    await input.checkStage?.(tx, spec.id, input.stage, version.id);
    const deploymentChanged = await pointStage(tx, spec.id, input.stage, version.id, input.actor);
    // Only when something changed: a restart loading the same file does not ask again for a grant the owner refused.
    if (created || deploymentChanged) await requestListedGrants(tx, connectorKinds, spec, input.actor);
    if (deploymentChanged) await syncSchedules(tx, spec, input.stage);
    return { workflow: { ...workflow, latest_version_id: created ? version.id : workflow.latest_version_id }, version, versionCreated: created, deploymentChanged };
  });
}

async function upsertWorkflow(tx: Queryable, spec: WorkflowSpec): Promise<WorkflowRow> {
  const existing = await tx.query<WorkflowRow>(`SELECT * FROM workflows WHERE id = $1 FOR UPDATE`, [spec.id]);
  if (existing.rows[0] && existing.rows[0].kind !== spec.kind) {
    throw new KeelError('conflict', `Workflow ${spec.id} is ${existing.rows[0].kind}; this file declares it ${spec.kind}.`, {
      hint: 'A workflow keeps its kind; register the other kind under a new id.',
    });
  }
  const r = await tx.query<WorkflowRow>(
    `INSERT INTO workflows (id, kind, title, owner, team, risk) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, owner = EXCLUDED.owner, team = EXCLUDED.team,
       risk = EXCLUDED.risk, updated_at = now()
     RETURNING *`,
    [spec.id, spec.kind, spec.title, spec.owner, spec.team ?? null, spec.risk],
  );
  return r.rows[0]!;
}

async function storeVersion(tx: Queryable, spec: WorkflowSpec, hash: string, input: DeployInput, library: PinnedLibrary) {
  const found = await tx.query<VersionRow>(
    `SELECT * FROM workflow_versions WHERE workflow_id = $1 AND content_hash = $2`, [spec.id, hash],
  );
  if (found.rows[0]) return { version: found.rows[0], created: false };
  const r = await tx.query<VersionRow>(
    `INSERT INTO workflow_versions (id, workflow_id, number, content_hash, definition, source, source_name, created_by, library_versions)
     SELECT $1, $2, coalesce(max(number), 0) + 1, $3, $4::jsonb, $5, $6, $7, $8::jsonb FROM workflow_versions WHERE workflow_id = $2
     RETURNING *`,
    [`${spec.id}@${hash.slice(0, 12)}`, spec.id, hash, JSON.stringify(spec), input.source, input.sourceName, input.actor,
      JSON.stringify(Object.fromEntries([...library].map(([ref, v]) => [ref, v.id])))],
  );
  return { version: r.rows[0]!, created: true };
}

/** Moves a stage's deployment to a version; returns false when it already pointed there. */
export async function pointStage(
  tx: Queryable, workflowId: string, stage: Stage, versionId: string, actor: string, move: 'deploy' | 'rollback' = 'deploy',
): Promise<boolean> {
  const current = await tx.query<{ version_id: string }>(
    `SELECT version_id FROM deployments WHERE workflow_id = $1 AND stage = $2 FOR UPDATE`, [workflowId, stage],
  );
  const previous = current.rows[0]?.version_id ?? null;
  if (previous === versionId) return false;
  await tx.query(
    `INSERT INTO deployments (workflow_id, stage, version_id, deployed_by) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workflow_id, stage) DO UPDATE SET version_id = EXCLUDED.version_id, deployed_by = EXCLUDED.deployed_by, deployed_at = now()`,
    [workflowId, stage, versionId, actor],
  );
  await tx.query(
    `INSERT INTO deployment_history (workflow_id, stage, action, version_id, previous_version_id, actor) VALUES ($1, $2, $6, $3, $4, $5)`,
    [workflowId, stage, versionId, previous, actor, move],
  );
  await recordAudit(tx, {
    actor, action: move === 'rollback' ? 'deployment:rolled_back' : 'deployment:moved', subjectType: 'workflow', subjectId: workflowId,
    data: { stage, version: versionId, previous },
  });
  return true;
}

/**
 * The triggers Keel fires itself (schedules, and mailboxes through syncMailTriggers) of the version
 * now deployed at a stage replace the stage's old ones; deploys, promotions and rollbacks call it.
 */
export async function syncSchedules(tx: Queryable, spec: WorkflowSpec, stage: Stage, now = new Date()): Promise<void> {
  await syncMailTriggers(tx, spec, stage, now);
  await tx.query(`DELETE FROM schedules WHERE workflow_id = $1 AND stage = $2`, [spec.id, stage]);
  for (const [index, trigger] of spec.triggers.entries()) {
    if (!('schedule' in trigger)) continue;
    const { cron, timezone, input } = trigger.schedule;
    const next = new Cron(cron, { paused: true, timezone }).nextRun(now);
    if (!next) continue;
    await tx.query(
      `INSERT INTO schedules (workflow_id, stage, trigger_index, cron, timezone, input, next_fire_at) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)`,
      [spec.id, stage, index, cron, timezone ?? null, JSON.stringify(input ?? {}), next],
    );
  }
}

interface MailCursor {
  trigger_index: number;
  connector_id: string;
  uid_validity: string | null;
  last_uid: number | null;
  last_date: Date | null;
  skipped_count: number;
  last_skipped: unknown;
  last_polled_at: Date | null;
  last_error: unknown;
}

/**
 * The email triggers of the version now deployed at a stage replace the stage's old ones, each due
 * at once. A trigger that keeps its connector keeps its mailbox cursor (from the same position, else
 * from the first old trigger of that connector), so a redeploy neither reads the mailbox again nor
 * jumps ahead, whatever its `start`; a trigger on a new connector has no cursor, so its first read
 * starts where `start` says (`new`: at the newest message; `all`: at the oldest). Rows of triggers
 * that went away are dropped.
 */
export async function syncMailTriggers(tx: Queryable, spec: WorkflowSpec, stage: Stage, now = new Date()): Promise<void> {
  const old = await tx.query<MailCursor>(
    `DELETE FROM mail_triggers WHERE workflow_id = $1 AND stage = $2
     RETURNING trigger_index, connector_id, uid_validity, last_uid::float8 AS last_uid, last_date, skipped_count, last_skipped,
       last_polled_at, last_error`,
    [spec.id, stage],
  );
  // Keel starts no runs of an external workflow (the semantic check refuses the trigger there too).
  if (spec.kind !== 'managed') return;
  const unclaimed = old.rows.sort((a, b) => a.trigger_index - b.trigger_index);
  const jsonOrNull = (value: unknown) => (value == null ? null : JSON.stringify(value));
  for (const [index, trigger] of spec.triggers.entries()) {
    if (!('email' in trigger)) continue;
    const { connector, input, every } = trigger.email;
    // A version stored before `start` existed was written for a trigger that reads from the oldest message.
    const start: 'new' | 'all' = (trigger.email as { start?: 'new' | 'all' }).start ?? 'all';
    let at = unclaimed.findIndex((r) => r.trigger_index === index && r.connector_id === connector);
    if (at < 0) at = unclaimed.findIndex((r) => r.connector_id === connector);
    const kept = at < 0 ? undefined : unclaimed.splice(at, 1)[0];
    await tx.query(
      `INSERT INTO mail_triggers (workflow_id, stage, trigger_index, connector_id, input_expression, every_ms,
         uid_validity, last_uid, last_date, next_poll_at, skipped_count, last_skipped, start_from, last_polled_at, last_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15::jsonb)`,
      [spec.id, stage, index, connector, input ?? null, parseDuration(every), kept?.uid_validity ?? null, kept?.last_uid ?? null,
        kept?.last_date ?? null, now, kept?.skipped_count ?? 0, jsonOrNull(kept?.last_skipped), start,
        // The state shown for the trigger (last read, why it failed) stays with the mailbox it describes.
        kept?.last_polled_at ?? null, jsonOrNull(kept?.last_error)],
    );
  }
}
