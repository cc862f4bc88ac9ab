import type { Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { Access, type CredentialKind } from './access.js';
import type { GlobalRole, Permission, WorkflowRole } from './roles.js';

interface Credential {
  via: Exclude<CredentialKind, 'local'>;
  scopes?: readonly Permission[];
  sessionId?: string;
  tokenId?: string;
}

/**
 * Builds the Access of one user: their global roles, and their workflow roles held directly,
 * through a team, or as the `owner` a workflow file names. Two queries per request.
 */
export async function loadAccess(db: Queryable, userId: string, credential: Credential): Promise<Access> {
  const u = await db.query<{ email: string; display_name: string; status: string; roles: GlobalRole[] }>(
    `SELECT u.email, u.display_name, u.status,
            COALESCE((SELECT json_agg(r.role) FROM user_roles r WHERE r.user_id = u.id), '[]'::json) AS roles
       FROM users u WHERE u.id = $1`, [userId]);
  const user = u.rows[0];
  if (!user) throw new KeelError('unauthenticated', 'The account behind this credential no longer exists.', { hint: 'Sign in again.' });
  if (user.status !== 'active') throw new KeelError('unauthenticated', `The account ${user.email} is disabled.`, { hint: 'Ask an admin to enable it.' });
  const m = await db.query<{ workflow_id: string; role: WorkflowRole }>(
    `SELECT workflow_id, role FROM workflow_members
      WHERE (member_kind = 'user' AND member_id = $1)
         OR (member_kind = 'team' AND member_id IN (SELECT team_id FROM team_members WHERE user_id = $1))
     UNION
     SELECT id, 'owner' FROM workflows WHERE lower(owner) = $2`, [userId, user.email.toLowerCase()]);
  const workflowRoles = new Map<string, WorkflowRole[]>();
  for (const row of m.rows) workflowRoles.set(row.workflow_id, [...(workflowRoles.get(row.workflow_id) ?? []), row.role]);
  return new Access({
    userId, email: user.email, displayName: user.display_name, roles: user.roles, workflowRoles, ...credential,
  });
}

/** The CLI on the database's own machine: whoever can open the database files already holds everything. */
export function localAccess(osUser: string): Access {
  return new Access({ userId: null, email: `local:${osUser}`, displayName: `${osUser} (local CLI)`, via: 'local', roles: [], workflowRoles: new Map() });
}
