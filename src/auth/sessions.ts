import { recordAudit } from '../audit/index.js';
import type { Db, Queryable } from '../db/index.js';
import { KeelError } from '../errors.js';
import { hashSecret, newId, newSecret } from './credentials.js';

export interface SessionPolicy {
  sessionHours: number;
  sessionIdleMinutes: number;
}

export interface SessionRow {
  id: string;
  user_id: string;
  method: 'password' | 'oidc' | 'setup_link';
  ip: string | null;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface NewSession {
  session: SessionRow;
  /** The cookie value: shown to the browser once, stored only as a hash. */
  secret: string;
  csrfToken: string;
}

export interface SessionMeta {
  ip?: string;
  userAgent?: string;
}

const columns = 'id, user_id, method, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at';

/** Starts a session inside the caller's transaction (the sign-in it belongs to is audited there too). */
export async function createSession(tx: Queryable, userId: string, method: SessionRow['method'], meta: SessionMeta, policy: SessionPolicy): Promise<NewSession> {
  const secret = newSecret();
  const csrfToken = newSecret();
  const r = await tx.query<SessionRow>(
    `INSERT INTO sessions (id, secret_hash, user_id, csrf_token, method, ip, user_agent, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8)) RETURNING ${columns}`,
    [newId('ses'), hashSecret(secret), userId, csrfToken, method, meta.ip ?? null, meta.userAgent?.slice(0, 300) ?? null, policy.sessionHours * 3600],
  );
  return { session: r.rows[0]!, secret, csrfToken };
}

export interface LiveSession {
  id: string;
  userId: string;
  csrfToken: string;
}

/**
 * The live session a cookie names, or a clear reason it is not live. The last-seen time is written
 * at most once a minute so that reading pages does not turn into a write per request.
 */
export async function findLiveSession(db: Queryable, secret: string, policy: SessionPolicy): Promise<LiveSession> {
  const r = await db.query<{ id: string; user_id: string; csrf_token: string; expired: boolean; idle: boolean; revoked: boolean; stale: boolean }>(
    `SELECT id, user_id, csrf_token, expires_at <= now() AS expired, revoked_at IS NOT NULL AS revoked,
            last_seen_at <= now() - make_interval(secs => $2) AS idle, last_seen_at <= now() - interval '1 minute' AS stale
       FROM sessions WHERE secret_hash = $1`,
    [hashSecret(secret), policy.sessionIdleMinutes * 60],
  );
  const s = r.rows[0];
  if (!s) throw sessionProblem('Your session is not known to this server.');
  if (s.revoked) throw sessionProblem('Your session was ended (signed out or revoked).');
  if (s.expired || s.idle) throw sessionProblem('Your session has expired.');
  if (s.stale) await db.query('UPDATE sessions SET last_seen_at = now() WHERE id = $1', [s.id]);
  return { id: s.id, userId: s.user_id, csrfToken: s.csrf_token };
}

function sessionProblem(message: string): KeelError {
  return new KeelError('unauthenticated', message, { hint: 'Sign in again.' });
}

export async function listSessions(db: Queryable, userId: string): Promise<SessionRow[]> {
  const r = await db.query<SessionRow>(
    `SELECT ${columns} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC`, [userId]);
  return r.rows;
}

/** Ends one session of `userId` (their own: a session id of someone else is not found). */
export async function revokeSession(db: Db, userId: string, sessionId: string, actor: string): Promise<void> {
  await db.transaction(async (tx) => {
    const r = await tx.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING id', [sessionId, userId]);
    if (r.rows.length === 0) throw new KeelError('not_found', `No live session ${sessionId}.`);
    await recordAudit(tx, { actor, action: 'session:revoked', subjectType: 'session', subjectId: sessionId, data: { user_id: userId } });
  });
}
