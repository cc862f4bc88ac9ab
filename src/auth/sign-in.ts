import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { KeelError } from '../errors.js';
import { verifyPassword, spendVerifyTime } from './passwords.js';
import { createSession, type NewSession, type SessionMeta, type SessionPolicy } from './sessions.js';
import { normalizeEmail } from './users.js';

export interface SignInPolicy extends SessionPolicy {
  lockoutFailures: number;
  lockoutMinutes: number;
  signInAttemptsPerMinute: number;
}

/**
 * Counts sign-in attempts per client address in a sliding minute. It lives in this process: with
 * several API processes each counts its own, and the per-account lockout (in the database) is the
 * limit that holds across them.
 */
export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();
  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  /** Records one attempt, or throws `rate_limited` with the seconds to wait. */
  take(key: string): void {
    const now = this.now();
    const recent = (this.attempts.get(key) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= this.perMinute) {
      const retryAfterMs = recent[0]! + 60_000 - now;
      this.attempts.set(key, recent);
      throw new KeelError('rate_limited', `Too many sign-in attempts from this address; wait ${Math.ceil(retryAfterMs / 1000)} s.`, { retryAfterMs, retriable: true });
    }
    recent.push(now);
    this.attempts.set(key, recent);
    if (this.attempts.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [key, times] of this.attempts) if (times.every((t) => t <= now - 60_000)) this.attempts.delete(key);
  }
}

export interface SignedIn extends NewSession {
  user: { id: string; email: string; display_name: string };
}

/**
 * Email and password sign-in. Every attempt is audited; an unknown email and a wrong password get
 * the same answer in the same time; `lockoutFailures` wrong passwords in a row lock the account for
 * `lockoutMinutes` (the CLI's `keel users unlock` lifts it, so a lockout never shuts out the admin).
 */
export async function signInWithPassword(db: Db, policy: SignInPolicy, input: { email: string; password: string } & SessionMeta): Promise<SignedIn> {
  const email = normalizeEmail(input.email);
  const found = await db.query<{ id: string; email: string; display_name: string; status: string; password_hash: string | null; locked: boolean; failed_sign_ins: number }>(
    `SELECT id, email, display_name, status, password_hash, failed_sign_ins, locked_until IS NOT NULL AND locked_until > now() AS locked
       FROM users WHERE lower(email) = $1`, [email]);
  const user = found.rows[0];
  const fail = async (reason: string, subjectId: string) => {
    await recordAudit(db, { actor: email, action: 'sign_in:failed', subjectType: 'user', subjectId, data: { reason, ip: input.ip ?? null } });
  };
  const wrong = () => new KeelError('invalid_credentials', 'The email or password is wrong.', { hint: 'Check both; after repeated failures the account locks for a while.' });

  if (!user || user.password_hash === null) {
    await spendVerifyTime(input.password);
    await fail(user ? 'no_password' : 'unknown_user', user?.id ?? email);
    throw wrong();
  }
  if (user.locked) {
    await fail('locked', user.id);
    throw new KeelError('account_locked', `The account ${email} is locked after repeated failed sign-ins.`, { hint: `Wait ${policy.lockoutMinutes} minutes, or ask an admin to run keel users unlock ${email}.` });
  }
  if (!(await verifyPassword(user.password_hash, input.password))) {
    const locks = user.failed_sign_ins + 1 >= policy.lockoutFailures;
    await db.transaction(async (tx) => {
      await tx.query(
        `UPDATE users SET failed_sign_ins = CASE WHEN $2 THEN 0 ELSE failed_sign_ins + 1 END,
                          locked_until = CASE WHEN $2 THEN now() + make_interval(secs => $3) ELSE locked_until END WHERE id = $1`,
        [user.id, locks, policy.lockoutMinutes * 60]);
      await recordAudit(tx, { actor: email, action: 'sign_in:failed', subjectType: 'user', subjectId: user.id, data: { reason: 'wrong_password', locked: locks, ip: input.ip ?? null } });
    });
    throw wrong();
  }
  if (user.status !== 'active') {
    await fail('disabled', user.id);
    throw new KeelError('permission_denied', `The account ${email} is disabled.`, { hint: 'Ask an admin to enable it.' });
  }
  return db.transaction(async (tx) => {
    await tx.query('UPDATE users SET failed_sign_ins = 0, locked_until = NULL WHERE id = $1', [user.id]);
    const session = await createSession(tx, user.id, 'password', input, policy);
    await recordAudit(tx, { actor: email, action: 'sign_in:succeeded', subjectType: 'user', subjectId: user.id, data: { method: 'password', session: session.session.id, ip: input.ip ?? null } });
    return { ...session, user: { id: user.id, email: user.email, display_name: user.display_name } };
  });
}
