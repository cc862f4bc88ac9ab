// A workflow's deployment history as people read it (the handoff pack's deploy path): each move of
// a stage, newest first, with the version numbers rather than ids.
import type { Queryable } from '../db/index.js';

export interface DeploymentHistoryEntry {
  stage: string;
  action: 'deploy' | 'pause' | 'resume' | 'rollback';
  version_id: string;
  version_number: number;
  previous_version_id: string | null;
  previous_version_number: number | null;
  actor: string;
  created_at: Date;
}

/** The latest `limit` moves of the workflow's stages, newest first. */
export async function listDeploymentHistory(db: Queryable, workflowId: string, limit = 50): Promise<DeploymentHistoryEntry[]> {
  const r = await db.query<DeploymentHistoryEntry>(
    `SELECT h.stage, h.action, h.version_id, v.number AS version_number, h.previous_version_id, p.number AS previous_version_number, h.actor, h.created_at
       FROM deployment_history h
       JOIN workflow_versions v ON v.id = h.version_id
       LEFT JOIN workflow_versions p ON p.id = h.previous_version_id
      WHERE h.workflow_id = $1
      ORDER BY h.id DESC LIMIT $2`, [workflowId, limit],
  );
  return r.rows;
}
