// Rollback: a stage goes back to the version it ran before the current one, in one transaction.
// Runs in flight stay on the version they started with (a run never changes version); new runs
// start on the earlier one. A version rolled back from is never a rollback's target again, so a
// second rollback goes one further back instead of forward.
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { pointStage, syncSchedules } from './deploy.js';
import { getVersionById, getWorkflow } from './queries.js';
import type { DeploymentRow, Stage } from './types.js';

export interface RollbackResult {
  deployment: DeploymentRow;
  /** The version the stage ran before the rollback. */
  from: { id: string; number: number };
}

interface HistoryRow { action: 'deploy' | 'rollback'; version_id: string; previous_version_id: string | null }

/** The version a rollback of the stage goes to: the latest earlier one not itself rolled back from. */
export function rollbackTarget(current: string, history: readonly HistoryRow[]): string | null {
  const rolledBackFrom = new Set<string>();
  for (const h of history) {
    if (h.action === 'rollback' && h.previous_version_id) rolledBackFrom.add(h.previous_version_id);
    const candidate = h.previous_version_id;
    if (candidate && candidate !== current && !rolledBackFrom.has(candidate)) return candidate;
  }
  return null;
}

export async function rollbackStage(db: Db, workflowId: string, stage: Stage, actor: string): Promise<RollbackResult> {
  const from = await db.transaction(async (tx) => {
    const d = await tx.query<{ version_id: string }>(`SELECT version_id FROM deployments WHERE workflow_id = $1 AND stage = $2 FOR UPDATE`, [workflowId, stage]);
    const current = d.rows[0]?.version_id;
    if (!current) {
      await getWorkflow(tx, workflowId);
      throw new KeelError('not_deployed', `Workflow ${workflowId} has nothing deployed at stage ${stage}, so there is nothing to roll back.`);
    }
    const history = await tx.query<HistoryRow>(
      `SELECT action, version_id, previous_version_id FROM deployment_history
        WHERE workflow_id = $1 AND stage = $2 AND action IN ('deploy', 'rollback') ORDER BY id DESC`, [workflowId, stage],
    );
    const target = rollbackTarget(current, history.rows);
    if (!target) {
      throw new KeelError('conflict', `Stage ${stage} of ${workflowId} has no earlier version to roll back to.`, {
        hint: `A first version is rolled back by pausing it: keel pause ${workflowId} --stage ${stage}. Or point the stage at another version: keel point ${workflowId} --stage ${stage} --version N.`,
      });
    }
    const version = await getVersionById(tx, target);
    await pointStage(tx, workflowId, stage, target, actor, 'rollback');
    await syncSchedules(tx, version.definition, stage);
    return current;
  });
  const workflow = await getWorkflow(db, workflowId);
  const fromVersion = await getVersionById(db, from);
  return { deployment: workflow.deployments.find((x) => x.stage === stage)!, from: { id: fromVersion.id, number: fromVersion.number } };
}
