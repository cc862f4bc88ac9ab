import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import type { Access } from './access.js';
import { hashSecret, newId, newSecret } from './credentials.js';
import { isPermission, type Permission } from './roles.js';

export interface TokenRow {
  id: string;
  user_id: string;
  user_email: string;
  name: string;
  scopes: Permission[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const columns = `t.id, t.user_id, u.email AS user_email, t.name, t.scopes, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`;

export interface NewTokenInput {
  name: string;
  scopes: readonly string[];
  expiresInDays?: number;
}

/**
 * Makes an API token for the acting person. Its scopes must be permissions they hold now; the
 * secret is answered once and only its hash is kept.
 */
export async function createToken(db: Db, holder: Access, input: NewTokenInput, actor = holder.actor): Promise<{ token: TokenRow; secret: string }> {
  if (!holder.userId) throw new KeelError('invalid_input', 'Tokens belong to a user; the local CLI is not one.', { hint: 'Name the user the token is for (keel tokens create NAME --user EMAIL).' });
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new KeelError('invalid_input', 'A token needs a name of 1 to 100 characters.', { problems: [{ path: 'name', message: 'must have 1 to 100 characters' }] });
  const unknown = input.scopes.filter((s) => !isPermission(s));
  if (unknown.length > 0) throw new KeelError('invalid_input', `Unknown scope ${unknown.join(', ')}.`, { problems: [{ path: 'scopes', message: 'must name permissions; see GET /api/auth/me' }] });
  const scopes = [...new Set(input.scopes as Permission[])].sort();
  if (scopes.length === 0) throw new KeelError('invalid_input', 'A token needs at least one scope.', { problems: [{ path: 'scopes', message: 'must not be empty' }] });
  const notHeld = scopes.filter((s) => !holder.canSomewhere(s));
  if (notHeld.length > 0) {
    throw new KeelError('permission_denied', `You cannot give a token scopes you do not hold: ${notHeld.join(', ')}.`, { problems: [{ path: 'scopes', message: `not held: ${notHeld.join(', ')}` }] });
  }
  if (input.expiresInDays !== undefined && !(input.expiresInDays > 0 && input.expiresInDays <= 3650)) {
    throw new KeelError('invalid_input', 'expires_in_days must be between 0 and 3650.', { problems: [{ path: 'expires_in_days', message: 'must be > 0 and <= 3650' }] });
  }
  const secret = newSecret('keel_');
  return db.transaction(async (tx) => {
    const id = newId('tok');
    await tx.query(
      `INSERT INTO api_tokens (id, user_id, name, secret_hash, scopes, expires_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, CASE WHEN $6::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $6::float8 * 86400) END)`,
      [id, holder.userId, name, hashSecret(secret), JSON.stringify(scopes), input.expiresInDays ?? null],
    );
    const token = await getToken(tx, id);
    await recordAudit(tx, { actor, action: 'token:created', subjectType: 'token', subjectId: id, after: { name, scopes, expires_at: token.expires_at, user: holder.email } });
    return { token, secret };
  });
}

async function getToken(db: Queryable, id: string): Promise<TokenRow> {
  const r = await db.query<TokenRow>(`SELECT ${columns} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, [id]);
  if (!r.rows[0]) throw new KeelError('not_found', `No token ${id}.`);
  return r.rows[0];
}

/** Tokens of one user, or of everyone for an admin view. */
export async function listTokens(db: Queryable, userId?: string): Promise<TokenRow[]> {
  const r = await db.query<TokenRow>(
    `SELECT ${columns} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE $1::text IS NULL OR t.user_id = $1 ORDER BY t.created_at DESC`, [userId ?? null]);
  return r.rows;
}

/** Revokes a token: its holder may revoke their own, a user admin anyone's. */
export async function revokeToken(db: Db, actor: Access, id: string): Promise<TokenRow> {
  return db.transaction(async (tx) => {
    const token = await getToken(tx, id).catch(() => undefined);
    if (!token || (token.user_id !== actor.userId && !actor.can('users:write'))) throw new KeelError('not_found', `No token ${id}.`);
    if (token.revoked_at) throw new KeelError('conflict', `Token ${id} was already revoked.`);
    await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [id]);
    await recordAudit(tx, { actor: actor.actor, action: 'token:revoked', subjectType: 'token', subjectId: id, data: { name: token.name, user: token.user_email } });
    return getToken(tx, id);
  });
}

export interface LiveToken {
  id: string;
  userId: string;
  scopes: Permission[];
}

/** The live token a bearer secret names; an expired or revoked one is refused and the attempt audited. */
export async function findLiveToken(db: Db, secret: string): Promise<LiveToken> {
  const r = await db.query<{ id: string; user_id: string; scopes: Permission[]; expired: boolean; revoked: boolean; stale: boolean; name: string }>(
    `SELECT id, user_id, name, scopes, expires_at IS NOT NULL AND expires_at <= now() AS expired, revoked_at IS NOT NULL AS revoked,
            last_used_at IS NULL OR last_used_at <= now() - interval '1 minute' AS stale
       FROM api_tokens WHERE secret_hash = $1`, [hashSecret(secret)]);
  const t = r.rows[0];
  if (!t) {
    await recordAudit(db, { actor: 'anonymous', action: 'token:rejected', subjectType: 'token', subjectId: 'unknown', data: { reason: 'unknown' } });
    throw new KeelError('unauthenticated', 'The API token is not known to this server.', { hint: 'Check KEEL_TOKEN, or make a new token with keel tokens create.' });
  }
  if (t.revoked || t.expired) {
    const reason = t.revoked ? 'revoked' : 'expired';
    await recordAudit(db, { actor: 'anonymous', action: 'token:rejected', subjectType: 'token', subjectId: t.id, data: { reason, name: t.name } });
    throw new KeelError('unauthenticated', `The API token ${t.id} (${t.name}) was ${reason}.`, { hint: 'Make a new token with keel tokens create.' });
  }
  if (t.stale) await db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [t.id]);
  return { id: t.id, userId: t.user_id, scopes: t.scopes };
}
