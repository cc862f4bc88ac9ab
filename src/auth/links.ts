import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { hashSecret, newId, newSecret } from './credentials.js';
import { hashPassword, checkPasswordPolicy } from './passwords.js';
import { createSession, type NewSession, type SessionMeta, type SessionPolicy } from './sessions.js';
import { countUsers, getUser, normalizeEmail, auditView, type PasswordPolicy, type UserRow } from './users.js';

const linkMinutes = 30;

export interface SignInLink {
  id: string;
  secret: string;
  expiresAt: Date;
}

async function createLink(db: Db, purpose: 'first_admin' | 'set_password', userId: string | null, actor: string): Promise<SignInLink> {
  const secret = newSecret();
  return db.transaction(async (tx) => {
    // A new link replaces the earlier unused ones of the same purpose and person.
    await tx.query(`UPDATE sign_in_links SET used_at = now() WHERE purpose = $1 AND user_id IS NOT DISTINCT FROM $2 AND used_at IS NULL`, [purpose, userId]);
    const id = newId('lnk');
    const r = await tx.query<{ expires_at: Date }>(
      `INSERT INTO sign_in_links (id, secret_hash, purpose, user_id, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5)) RETURNING expires_at`,
      [id, hashSecret(secret), purpose, userId, linkMinutes]);
    await recordAudit(tx, { actor, action: 'sign_in_link:created', subjectType: userId ? 'user' : 'setup', subjectId: userId ?? id, data: { purpose, link: id } });
    return { id, secret, expiresAt: r.rows[0]!.expires_at };
  });
}

/** The first-admin link `keel serve` prints when no user exists yet; none once anyone does. */
export async function firstAdminLink(db: Db): Promise<SignInLink | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  return createLink(db, 'first_admin', null, 'system:setup');
}

/** A link for one user to set their password (new users, forgotten passwords). */
export async function passwordLink(db: Db, idOrEmail: string, actor: string): Promise<SignInLink & { user: UserRow }> {
  const user = await getUser(db, idOrEmail);
  return { ...(await createLink(db, 'set_password', user.id, actor)), user };
}

export interface UseLinkInput extends SessionMeta {
  secret: string;
  password: string;
  /** Only for the first-admin link: who the first admin is. */
  email?: string;
  displayName?: string;
}

/**
 * Uses a link once: the first-admin link creates the admin, a password link sets that user's
 * password; both then sign the person in. The row lock makes a second use (even at the same
 * moment) fail.
 */
export async function useSignInLink(db: Db, input: UseLinkInput, policy: PasswordPolicy & SessionPolicy): Promise<NewSession & { user: UserRow }> {
  const invalid = () => new KeelError('not_found', 'This link is not valid: it was used, replaced, or has expired.', { hint: 'Ask for a new one (keel users password-link EMAIL, or restart keel serve for the first admin).' });
  const peek = await db.query<{ purpose: string; user_id: string | null }>(
    'SELECT purpose, user_id FROM sign_in_links WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > now()', [hashSecret(input.secret)]);
  const link = peek.rows[0];
  if (!link) throw invalid();
  const email = link.purpose === 'first_admin'
    ? normalizeEmail(input.email ?? '')
    : (await getUser(db, link.user_id ?? '')).email;
  await checkPasswordPolicy(input.password, { minLength: policy.minPasswordLength, email });
  const passwordHash = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const r = await tx.query<{ id: string; purpose: string; user_id: string | null }>(
      `UPDATE sign_in_links SET used_at = now() WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING id, purpose, user_id`,
      [hashSecret(input.secret)]);
    const used = r.rows[0];
    if (!used) throw invalid();
    let userId: string;
    if (used.purpose === 'first_admin') {
      if ((await countUsers(tx)) > 0) throw new KeelError('conflict', 'An admin already exists; the setup link is spent.', { hint: 'Sign in, or ask that admin for an account.' });
      userId = newId('usr');
      const name = (input.displayName ?? email.split('@')[0] ?? email).trim().slice(0, 200) || email;
      await tx.query('INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, $3, $4)', [userId, email, name, passwordHash]);
      await tx.query(`INSERT INTO user_roles (user_id, role, granted_by) VALUES ($1, 'admin', 'system:setup')`, [userId]);
      await recordAudit(tx, { actor: email, action: 'user:created', subjectType: 'user', subjectId: userId, after: auditView(await getUser(tx, userId)), data: { via: 'first_admin_link', link: used.id } });
    } else {
      userId = used.user_id!;
      await tx.query('UPDATE users SET password_hash = $2, failed_sign_ins = 0, locked_until = NULL, updated_at = now() WHERE id = $1', [userId, passwordHash]);
      const ended = await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id', [userId]);
      await recordAudit(tx, { actor: email, action: 'user:password_set', subjectType: 'user', subjectId: userId, data: { via: 'password_link', link: used.id, sessions_ended: ended.rows.length } });
    }
    const session = await createSession(tx, userId, 'setup_link', input, policy);
    await recordAudit(tx, { actor: email, action: 'sign_in:succeeded', subjectType: 'user', subjectId: userId, data: { method: 'setup_link', session: session.session.id, ip: input.ip ?? null } });
    return { ...session, user: await getUser(tx, userId) };
  });
}
