// Who an OpenID Connect identity is in Keel, and the session it gets. The provider proves the
// email; Keel decides whether that email may come in. There is no open sign-up: an email without
// an account is refused unless its domain is listed in auth.oidc.autoCreateDomains, and then the
// account starts with no role (it sees nothing until someone gives it one).
import { recordAudit } from '../audit/index.js';
import type { Db } from '../db/index.js';
import { isKeelError } from '../errors.js';
import { OidcRefusal, type OidcFailureReason, type OidcIdentity } from './oidc.js';
import type { SignedIn, SignInPolicy } from './sign-in.js';
import { createSession, type SessionMeta } from './sessions.js';
import { createUser, normalizeEmail, type PasswordPolicy } from './users.js';

export interface OidcProvisioning {
  autoCreateDomains: readonly string[];
}

interface Attempt extends SessionMeta {
  issuer: string;
}

/** Writes the `sign_in:failed` event of a refused OIDC sign-in. */
export async function recordOidcFailure(db: Db, reason: OidcFailureReason, attempt: Attempt & { email?: string; userId?: string; detail?: string }): Promise<void> {
  await recordAudit(db, {
    actor: attempt.email ?? 'anonymous', action: 'sign_in:failed', subjectType: 'user', subjectId: attempt.userId ?? attempt.email ?? 'unknown',
    data: { method: 'oidc', reason, issuer: attempt.issuer, ip: attempt.ip ?? null, ...(attempt.detail ? { detail: attempt.detail } : {}) },
  });
}

/**
 * Signs in the person an ID token names: a verified email is required, the account must exist
 * (or its domain be listed for creation) and be active. Refusals are audited here with their
 * reason; success starts the session and audits it in one transaction.
 */
export async function signInWithOidc(db: Db, policy: SignInPolicy & PasswordPolicy, provisioning: OidcProvisioning, identity: OidcIdentity, meta: SessionMeta): Promise<SignedIn & { created: boolean }> {
  const attempt: Attempt = { ...meta, issuer: identity.issuer };
  const refuse = async (reason: OidcFailureReason, message: string, hint: string, who: { email?: string; userId?: string } = {}): Promise<never> => {
    await recordOidcFailure(db, reason, { ...attempt, ...who, detail: who.email ? undefined : `subject ${identity.subject.slice(0, 200)}` });
    throw new OidcRefusal(reason, 'permission_denied', message, { hint });
  };

  let email: string | undefined;
  try {
    email = identity.email === undefined ? undefined : normalizeEmail(identity.email);
  } catch (error) {
    if (!isKeelError(error)) throw error;
  }
  if (email === undefined) {
    return refuse('email_missing', 'The identity provider did not share a usable email address.', 'An admin should make sure the provider releases the email claim (scope email) to Keel.');
  }
  if (identity.emailVerified !== true) {
    return refuse('email_unverified', `The identity provider does not vouch for the email ${email} (email_verified is not true).`, 'Verify the email address at your identity provider, then sign in again.', { email });
  }

  let user = await findUser(db, email);
  let created = false;
  if (!user) {
    const domain = email.slice(email.lastIndexOf('@') + 1);
    if (!provisioning.autoCreateDomains.includes(domain)) {
      return refuse('unknown_user', `There is no Keel account for ${email}.`, `Ask a Keel admin to add you (keel users create ${email}).`, { email });
    }
    try {
      await createUser(db, { email, displayName: identity.name?.trim().slice(0, 200) || undefined }, email, policy);
      created = true;
    } catch (error) {
      // Two first sign-ins at once: the other one made the account; use it.
      if (!isKeelError(error, 'conflict')) throw error;
    }
    user = await findUser(db, email);
    if (!user) throw new Error(`the account of ${email} vanished while it was being created`);
  }
  if (user.status !== 'active') {
    return refuse('disabled', `The account ${email} is disabled.`, 'Ask an admin to enable it.', { email, userId: user.id });
  }

  const found = user;
  return db.transaction(async (tx) => {
    const session = await createSession(tx, found.id, 'oidc', meta, policy);
    await recordAudit(tx, {
      actor: email, action: 'sign_in:succeeded', subjectType: 'user', subjectId: found.id,
      data: { method: 'oidc', issuer: identity.issuer, session: session.session.id, created, ip: meta.ip ?? null },
    });
    return { ...session, user: { id: found.id, email: found.email, display_name: found.display_name }, created };
  });
}

async function findUser(db: Db, email: string): Promise<{ id: string; email: string; display_name: string; status: string } | undefined> {
  const r = await db.query<{ id: string; email: string; display_name: string; status: string }>(
    'SELECT id, email, display_name, status FROM users WHERE lower(email) = $1', [email]);
  return r.rows[0];
}
