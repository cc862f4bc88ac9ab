// Grants written in a connector file: the connector's owner approving, in the file they own and
// review like code, which workflows may use which scopes. Applied after the workflows are deployed
// (a grant names an existing workflow), decided in the file's name so the audit trail says where
// the approval came from, and kept in step with the file: a grant the file stops listing is revoked.
import type { Queryable } from '../db/index.js';
import { isKeelError } from '../errors.js';
import type { ConnectorFileGrants } from './connector-file.js';
import { decideGrant, listGrants, requestGrant, revokeGrant } from './grants.js';

export interface FileGrantLog {
  logError(message: string, facts: Record<string, unknown>): void;
  logInfo(message: string, facts: Record<string, unknown>): void;
}

/** Who decides a file's grants: the file itself, so nobody mistakes it for a person's click. */
export function fileGrantActor(file: string): string {
  return `file:${file}`;
}

export async function applyFileGrants(db: Queryable, files: readonly ConnectorFileGrants[], log: FileGrantLog): Promise<{ approved: number; revoked: number }> {
  let approved = 0;
  let revoked = 0;
  for (const file of files) {
    const actor = fileGrantActor(file.file);
    const listed = new Set<string>();
    for (const entry of file.grants) {
      const workflow = await db.query('SELECT 1 FROM workflows WHERE id = $1', [entry.workflow]);
      if (workflow.rows.length === 0) {
        log.logError('connector file grants a workflow that is not deployed; skipped', { file: file.file, workflow: entry.workflow });
        continue;
      }
      for (const scope of entry.scopes) {
        listed.add(`${entry.workflow} ${scope}`);
        try {
          if (await approveFromFile(db, file, entry.workflow, scope, entry.expires, actor)) approved++;
        } catch (error) {
          if (!isKeelError(error)) throw error;
          log.logError('connector file grant not applied', { file: file.file, workflow: entry.workflow, scope, message: error.message });
        }
      }
    }
    // Only what this file approved is taken back; grants people decided stay theirs.
    for (const grant of await listGrants(db, { connectorId: file.connectorId, status: 'approved' })) {
      if (grant.decided_by !== actor || listed.has(`${grant.workflow_id} ${grant.scope}`)) continue;
      await revokeGrant(db, { grantId: grant.id, actor, ownsConnector: true, note: `no longer listed in ${file.file}` });
      revoked++;
    }
  }
  if (approved + revoked > 0) log.logInfo('connector file grants applied', { approved, revoked });
  return { approved, revoked };
}

/** Approves one scope unless a live approval exists; true when something changed. */
async function approveFromFile(db: Queryable, file: ConnectorFileGrants, workflowId: string, scope: string, expires: string | undefined, actor: string): Promise<boolean> {
  const { grant } = await requestGrant(db, { workflowId, connectorId: file.connectorId, scope, actor: 'keel:startup', reason: `granted in ${file.file}` });
  if (grant.status === 'approved') return false;
  await decideGrant(db, {
    grantId: grant.id, decision: 'approve', actor, ownsConnector: true, note: `granted by the connector's owner in ${file.file}`,
    ...(expires ? { expiresAt: new Date(`${expires}T00:00:00Z`) } : {}),
  });
  return true;
}
