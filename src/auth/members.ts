import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { newId } from './credentials.js';
import { workflowRoles, type WorkflowRole } from './roles.js';
import { getUser } from './users.js';

export interface TeamRow {
  id: string;
  name: string;
  members: string[];
  created_at: Date;
}

const teamColumns = `t.id, t.name, t.created_at,
  COALESCE((SELECT json_agg(u.email ORDER BY u.email) FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.team_id = t.id), '[]'::json) AS members`;

export async function listTeams(db: Queryable): Promise<TeamRow[]> {
  return (await db.query<TeamRow>(`SELECT ${teamColumns} FROM teams t ORDER BY lower(t.name)`)).rows;
}

export async function getTeam(db: Queryable, idOrName: string): Promise<TeamRow> {
  const r = await db.query<TeamRow>(`SELECT ${teamColumns} FROM teams t WHERE t.id = $1 OR lower(t.name) = lower($1)`, [idOrName]);
  if (!r.rows[0]) throw new KeelError('not_found', `No team ${idOrName}.`);
  return r.rows[0];
}

export async function createTeam(db: Db, name: string, actor: string): Promise<TeamRow> {
  const clean = name.trim();
  if (!/^[\w .-]{1,100}$/.test(clean)) throw new KeelError('invalid_input', `"${name}" is not a team name.`, { problems: [{ path: 'name', message: 'must be 1 to 100 letters, digits, spaces, dots, dashes or underscores' }] });
  return db.transaction(async (tx) => {
    const clash = await tx.query('SELECT 1 FROM teams WHERE lower(name) = lower($1)', [clean]);
    if (clash.rows.length > 0) throw new KeelError('conflict', `A team named ${clean} already exists.`);
    const id = newId('team');
    await tx.query('INSERT INTO teams (id, name) VALUES ($1, $2)', [id, clean]);
    await recordAudit(tx, { actor, action: 'team:created', subjectType: 'team', subjectId: id, after: { name: clean } });
    return getTeam(tx, id);
  });
}

export async function setTeamMember(db: Db, team: string, user: string, present: boolean, actor: string): Promise<TeamRow> {
  return db.transaction(async (tx) => {
    const t = await getTeam(tx, team);
    const u = await getUser(tx, user);
    if (present) await tx.query('INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [t.id, u.id]);
    else await tx.query('DELETE FROM team_members WHERE team_id = $1 AND user_id = $2', [t.id, u.id]);
    await recordAudit(tx, { actor, action: present ? 'team:member_added' : 'team:member_removed', subjectType: 'team', subjectId: t.id, data: { user: u.email } });
    return getTeam(tx, t.id);
  });
}

export interface WorkflowMemberRow {
  workflow_id: string;
  member_kind: 'user' | 'team';
  member: string;
  role: WorkflowRole;
  added_by: string;
  added_at: Date;
}

export async function listWorkflowMembers(db: Queryable, workflowId: string): Promise<WorkflowMemberRow[]> {
  const r = await db.query<WorkflowMemberRow>(
    `SELECT m.workflow_id, m.member_kind, COALESCE(u.email, t.name, m.member_id) AS member, m.role, m.added_by, m.added_at
       FROM workflow_members m
       LEFT JOIN users u ON m.member_kind = 'user' AND u.id = m.member_id
       LEFT JOIN teams t ON m.member_kind = 'team' AND t.id = m.member_id
      WHERE m.workflow_id = $1 ORDER BY m.role, member`, [workflowId]);
  // No members and no workflow: say so, rather than an empty list for a typo.
  if (r.rows.length === 0 && (await db.query('SELECT 1 FROM workflows WHERE id = $1', [workflowId])).rows.length === 0) {
    throw new KeelError('not_found', `No workflow ${workflowId}.`, { hint: 'List the workflows you may see with keel workflows.' });
  }
  return r.rows;
}

export interface MemberChange {
  kind: 'user' | 'team';
  /** A user's id or email, a team's id or name. */
  member: string;
  role: string;
}

/** Adds or removes an owner or reviewer of one workflow, audited. */
export async function setWorkflowMember(db: Db, workflowId: string, change: MemberChange, present: boolean, actor: string): Promise<WorkflowMemberRow[]> {
  if (!(workflowRoles as readonly string[]).includes(change.role)) {
    throw new KeelError('invalid_input', `Unknown workflow role ${change.role}.`, { problems: [{ path: 'role', message: `must be one of ${workflowRoles.join(', ')}` }] });
  }
  return db.transaction(async (tx) => {
    const wf = await tx.query('SELECT 1 FROM workflows WHERE id = $1', [workflowId]);
    if (wf.rows.length === 0) throw new KeelError('not_found', `No workflow ${workflowId}.`);
    const memberId = change.kind === 'user' ? (await getUser(tx, change.member)).id : (await getTeam(tx, change.member)).id;
    if (present) {
      await tx.query(`INSERT INTO workflow_members (workflow_id, member_kind, member_id, role, added_by) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [workflowId, change.kind, memberId, change.role, actor]);
    } else {
      const r = await tx.query('DELETE FROM workflow_members WHERE workflow_id = $1 AND member_kind = $2 AND member_id = $3 AND role = $4 RETURNING 1',
        [workflowId, change.kind, memberId, change.role]);
      if (r.rows.length === 0) throw new KeelError('not_found', `${change.member} is not ${change.role} of ${workflowId}.`);
    }
    await recordAudit(tx, { actor, action: present ? 'member:added' : 'member:removed', subjectType: 'workflow', subjectId: workflowId,
      data: { kind: change.kind, member: change.member, role: change.role } });
    return listWorkflowMembers(tx, workflowId);
  });
}
