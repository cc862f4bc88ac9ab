// The per-login state of an OpenID Connect sign-in (state, nonce, PKCE verifier, where to go after)
// lives in a short-lived, encrypted, HttpOnly, SameSite=Lax cookie rather than in a table or in
// this process's memory:
// - the round trip is bound to the browser that started it, which is what `state` is for: a
//   callback carrying someone else's code and state (login CSRF) finds no cookie and is refused;
// - any API process sharing the configuration can finish a sign-in another one started, and a
//   restart in between loses nothing, with no table, no migration and no sweeper for abandoned
//   attempts (the cookie just expires);
// - AES-256-GCM both hides the PKCE verifier and nonce and makes any change to the cookie fail.
// The key is derived (HKDF) from the OIDC client secret, which every Keel process of the
// installation already shares and nobody outside it knows. Each login gets its own cookie, named
// after a hash of its state, so two tabs signing in at once do not overwrite each other.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** How long a sign-in may take between leaving for the provider and coming back. */
export const loginStateTtlMs = 10 * 60_000;

/** Where the login cookie is sent: only to the callback. */
export const loginCookiePath = '/api/auth/oidc/callback';

export interface LoginState {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A same-origin path, checked when the login started. */
  returnTo: string;
  /** Epoch milliseconds after which the cookie is refused even if the browser still sends it. */
  expiresAt: number;
}

/** The encryption key of login cookies, bound to this issuer and client. */
export function loginStateKey(clientSecret: string, issuer: string, clientId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', clientSecret, 'keel oidc login state', `${issuer}\n${clientId}`, 32));
}

/** The cookie that holds the login started with `state`. */
export function loginCookieName(state: string): string {
  return `keel_oidc_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
}

export function sealLoginState(key: Buffer, state: LoginState): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(state), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The login a cookie holds, or undefined when it was changed, made with another key, or is malformed. */
export function openLoginState(key: Buffer, sealed: string): LoginState | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 29) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    const value = JSON.parse(text) as Partial<LoginState>;
    if (typeof value.state !== 'string' || typeof value.nonce !== 'string' || typeof value.codeVerifier !== 'string'
      || typeof value.returnTo !== 'string' || typeof value.expiresAt !== 'number') return undefined;
    return value as LoginState;
  } catch {
    return undefined;
  }
}

const base = new URL('http://keel.invalid/');

/**
 * The place to land after signing in: a path on this server, or `/`. Absolute URLs,
 * scheme-relative ones (`//evil.example`), backslash tricks (`/\evil.example`, which browsers read
 * as `//`) and control characters are never followed: Keel must not be an open redirector.
 */
export function safeReturnTo(raw: string | undefined | null): string {
  if (!raw || raw.length > 2000 || !raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return '/';
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}
