import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { newId } from './credentials.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { globalRoles, type GlobalRole } from './roles.js';

export interface UserRow {
  id: string;
  email: string;
  display_name: string;
  status: 'active' | 'disabled';
  roles: GlobalRole[];
  has_password: boolean;
  locked_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface PasswordPolicy {
  minPasswordLength: number;
}

const userColumns = `u.id, u.email, u.display_name, u.status, u.password_hash IS NOT NULL AS has_password, u.locked_until, u.created_at, u.updated_at,
  COALESCE((SELECT json_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '[]'::json) AS roles`;

export function normalizeEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) || email.length > 320) {
    throw new KeelError('invalid_input', `"${raw}" is not an email address.`, { problems: [{ path: field, message: 'must be an email address like name@example.com' }] });
  }
  return email;
}

function checkRoles(roles: readonly string[]): GlobalRole[] {
  const bad = roles.filter((r) => !(globalRoles as readonly string[]).includes(r));
  if (bad.length > 0) {
    throw new KeelError('invalid_input', `Unknown role ${bad.join(', ')}.`, { problems: [{ path: 'roles', message: `must be among ${globalRoles.join(', ')}` }] });
  }
  return [...new Set(roles as GlobalRole[])].sort();
}

export async function countUsers(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
  return r.rows[0]?.n ?? 0;
}

export async function listUsers(db: Queryable): Promise<UserRow[]> {
  return (await db.query<UserRow>(`SELECT ${userColumns} FROM users u ORDER BY lower(u.email)`)).rows;
}

export async function getUser(db: Queryable, idOrEmail: string): Promise<UserRow> {
  const r = await db.query<UserRow>(`SELECT ${userColumns} FROM users u WHERE u.id = $1 OR lower(u.email) = lower($1)`, [idOrEmail]);
  const user = r.rows[0];
  if (!user) throw new KeelError('not_found', `No user ${idOrEmail}.`, { hint: 'List users with keel users list.' });
  return user;
}

export interface NewUser {
  email: string;
  displayName?: string;
  roles?: readonly string[];
  password?: string;
}

/** Creates a user (and its roles) in one transaction, audited. Emails are unique, case-insensitively. */
export async function createUser(db: Db, input: NewUser, actor: string, policy: PasswordPolicy): Promise<UserRow> {
  const email = normalizeEmail(input.email);
  const roles = checkRoles(input.roles ?? []);
  const displayName = (input.displayName ?? email.split('@')[0] ?? email).trim();
  if (displayName === '' || displayName.length > 200) {
    throw new KeelError('invalid_input', 'The display name must have 1 to 200 characters.', { problems: [{ path: 'display_name', message: 'must have 1 to 200 characters' }] });
  }
  if (input.password !== undefined) await checkPasswordPolicy(input.password, { minLength: policy.minPasswordLength, email });
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const clash = await tx.query('SELECT 1 FROM users WHERE lower(email) = $1', [email]);
    if (clash.rows.length > 0) throw new KeelError('conflict', `A user with the email ${email} already exists.`, { problems: [{ path: 'email', message: 'is taken' }] });
    const id = newId('usr');
    await tx.query('INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)', [id, email, displayName, passwordHash]);
    for (const role of roles) await tx.query('INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1, $2, $3)', [id, role, actor]);
    const user = await getUser(tx, id);
    await recordAudit(tx, { actor, action: 'user:created', subjectType: 'user', subjectId: id, after: auditView(user) });
    return user;
  });
}

export interface UserChange {
  displayName?: string;
  status?: 'active' | 'disabled';
  roles?: readonly string[];
}

/** Changes a user; disabling one also ends their sessions. Audited with before and after. */
export async function updateUser(db: Db, idOrEmail: string, change: UserChange, actor: string): Promise<UserRow> {
  const roles = change.roles === undefined ? undefined : checkRoles(change.roles);
  return db.transaction(async (tx) => {
    const before = await getUser(tx, idOrEmail);
    await tx.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [before.id]);
    if (change.displayName !== undefined) {
      const name = change.displayName.trim();
      if (name === '' || name.length > 200) throw new KeelError('invalid_input', 'The display name must have 1 to 200 characters.', { problems: [{ path: 'display_name', message: 'must have 1 to 200 characters' }] });
      await tx.query('UPDATE users SET display_name = $2, updated_at = now() WHERE id = $1', [before.id, name]);
    }
    if (change.status !== undefined) {
      await tx.query('UPDATE users SET status = $2, updated_at = now() WHERE id = $1', [before.id, change.status]);
      if (change.status === 'disabled') await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [before.id]);
    }
    if (roles !== undefined) {
      await tx.query('DELETE FROM user_roles WHERE user_id = $1 AND NOT (role = ANY($2::text[]))', [before.id, roles]);
      for (const role of roles) {
        await tx.query('INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [before.id, role, actor]);
      }
    }
    if (roles !== undefined && before.roles.includes('admin') && !roles.includes('admin')) await keepOneAdmin(tx);
    if (change.status === 'disabled' && before.roles.includes('admin')) await keepOneAdmin(tx);
    const after = await getUser(tx, before.id);
    await recordAudit(tx, { actor, action: 'user:updated', subjectType: 'user', subjectId: before.id, before: auditView(before), after: auditView(after) });
    return after;
  });
}

/** Keel never lets the last active admin go: nobody could then manage users from the API. */
async function keepOneAdmin(tx: Queryable): Promise<void> {
  const r = await tx.query(`SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'admin' WHERE u.status = 'active' LIMIT 1`);
  if (r.rows.length === 0) {
    throw new KeelError('conflict', 'This would leave no active admin.', { hint: 'Make another user admin first.' });
  }
}

export async function setPassword(db: Db, idOrEmail: string, password: string, actor: string, policy: PasswordPolicy): Promise<void> {
  const user = await getUser(db, idOrEmail);
  await checkPasswordPolicy(password, { minLength: policy.minPasswordLength, email: user.email });
  const passwordHash = await hashPassword(password);
  await db.transaction(async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL, updated_at = now() WHERE id = $1', [user.id, passwordHash]);
    // A new password is often a response to a leaked one: every session made with the old one ends.
    const ended = await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [user.id]);
    await recordAudit(tx, { actor, action: 'user:password_set', subjectType: 'user', subjectId: user.id, data: { sessions_ended: ended.rows.length } });
  });
}

/** Lifts a sign-in lockout (the CLI on the server's machine can always do this, so a lockout cannot shut out the admin). */
export async function unlockUser(db: Db, idOrEmail: string, actor: string): Promise<UserRow> {
  return db.transaction(async (tx) => {
    const user = await getUser(tx, idOrEmail);
    await tx.query('UPDATE users SET failed_sign_ins = 0, locked_until = NULL, updated_at = now() WHERE id = $1', [user.id]);
    await recordAudit(tx, { actor, action: 'user:unlocked', subjectType: 'user', subjectId: user.id });
    return getUser(tx, user.id);
  });
}

/** What the audit log keeps of a user: never a credential. */
export function auditView(user: UserRow): Record<string, unknown> {
  return { email: user.email, display_name: user.display_name, status: user.status, roles: user.roles };
}
