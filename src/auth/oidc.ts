// The OpenID Connect side of single sign-on: discovery, the authorization request and the code
// exchange, all done by openid-client (a maintained, certified client). Keel adds only what is
// its own: every request goes through the guarded egress client, the login state lives in an
// encrypted cookie (see oidc-state.ts), and failures become KeelErrors that say what went wrong
// without repeating tokens, codes or the client secret.
import * as oidc from 'openid-client';
import type { Config } from '../config/index.js';
import type { EgressFetch } from '../connectors/index.js';
import { isKeelError, KeelError } from '../errors.js';
import { loginStateKey, loginStateTtlMs, openLoginState, safeReturnTo, sealLoginState, type LoginState } from './oidc-state.js';

export type OidcSettings = NonNullable<Config['auth']['oidc']>;

/** Why a sign-in was refused; recorded as the `reason` of `sign_in:failed`. */
export type OidcFailureReason =
  | 'state_mismatch' | 'provider_refused' | 'token_exchange_failed' | 'response_invalid' | 'provider_unreachable'
  | 'email_missing' | 'email_unverified' | 'unknown_user' | 'disabled' | 'internal';

/** A refused OIDC sign-in: a KeelError that also carries the reason the audit log records. */
export class OidcRefusal extends KeelError {
  constructor(readonly reason: OidcFailureReason, code: ConstructorParameters<typeof KeelError>[0], message: string, options: ConstructorParameters<typeof KeelError>[2] = {}) {
    super(code, message, { ...options, details: { ...options.details, reason } });
  }
}

/** What the provider says about the person, once the round trip is proven. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email?: string;
  /** Only `true` counts as verified. */
  emailVerified: unknown;
  name?: string;
}

export interface StartedLogin {
  /** Where to send the browser. */
  url: URL;
  state: string;
  /** The sealed login state, for the login cookie. */
  sealed: string;
}

export interface OidcClient {
  readonly label: string;
  /** Builds the authorization request; discovers the provider on first use. */
  start(redirectUri: string, returnTo: string | undefined): Promise<StartedLogin>;
  /** Opens the login cookie of a callback; refuses when there is none or it was changed or expired. */
  openLogin(sealed: string | undefined, state: string | null): LoginState;
  /** Exchanges the code, lets the library validate the ID token, and reads the person's claims. */
  finish(callbackUrl: URL, login: LoginState): Promise<OidcIdentity>;
}

/**
 * Creates the OIDC client of one configured provider. Discovery happens lazily, once: a provider
 * that is down when Keel starts does not stop Keel, and its metadata is then kept for the life of
 * the process (it changes rarely; the library refetches signing keys by itself when they rotate).
 * A failed discovery is not kept, so the next sign-in tries again.
 */
export function createOidcClient(settings: OidcSettings, fetch: EgressFetch, now: () => number = Date.now): OidcClient {
  const key = loginStateKey(settings.clientSecret, settings.issuer, settings.clientId);
  let discovered: Promise<oidc.Configuration> | undefined;

  function configuration(): Promise<oidc.Configuration> {
    discovered ??= discover(settings, fetch).catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  }

  return {
    label: settings.label,

    async start(redirectUri, returnTo) {
      const config = await configuration();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: settings.scopes.join(' '),
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      const sealed = sealLoginState(key, { state, nonce, codeVerifier, returnTo: safeReturnTo(returnTo), expiresAt: now() + loginStateTtlMs });
      return { url, state, sealed };
    },

    openLogin(sealed, state) {
      const login = sealed === undefined ? undefined : openLoginState(key, sealed);
      if (!login || state === null || login.state !== state) {
        throw new OidcRefusal('state_mismatch', 'unauthenticated', 'This sign-in was not started in this browser, or its state does not match.', {
          hint: 'Start the sign-in again from Keel\'s sign-in page (cookies must be allowed).',
        });
      }
      if (login.expiresAt <= now()) {
        throw new OidcRefusal('state_mismatch', 'unauthenticated', 'This sign-in took too long and has expired.', { hint: 'Start the sign-in again.' });
      }
      return login;
    },

    async finish(callbackUrl, login) {
      const config = await configuration();
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: login.codeVerifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true,
        });
      } catch (error) {
        throw exchangeRefusal(error);
      }
      const claims = tokens.claims();
      if (!claims) throw new OidcRefusal('response_invalid', 'unauthenticated', 'The identity provider returned no ID token.');
      const identity: OidcIdentity = {
        issuer: claims.iss, subject: claims.sub,
        email: typeof claims.email === 'string' ? claims.email : undefined,
        emailVerified: claims.email_verified,
        name: typeof claims.name === 'string' ? claims.name : undefined,
      };
      // Providers that follow the spec strictly put profile claims only behind the userinfo
      // endpoint when an access token is issued; ask there, for the same subject, when missing.
      if ((identity.email === undefined || identity.emailVerified === undefined) && config.serverMetadata().userinfo_endpoint) {
        try {
          const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
          if (typeof info.email === 'string') {
            identity.email = info.email;
            identity.emailVerified = info.email_verified;
          }
          if (identity.name === undefined && typeof info.name === 'string') identity.name = info.name;
        } catch (error) {
          throw exchangeRefusal(error);
        }
      }
      return identity;
    },
  };
}

async function discover(settings: OidcSettings, fetch: EgressFetch): Promise<oidc.Configuration> {
  const issuer = new URL(settings.issuer);
  if (issuer.protocol === 'http:' && !settings.allowInsecureHttp) {
    throw new KeelError('misconfigured', `Single sign-on is misconfigured: the issuer ${issuer.origin} is not https.`, {
      hint: 'Use the provider\'s https issuer URL (auth.oidc.allowInsecureHttp is for a provider on loopback in development only).',
    });
  }
  // The ID token comes straight from the token endpoint, so over https TLS already proves who
  // issued it (OIDC Core 3.1.3.7) and the library checks its claims (iss, aud, exp, nonce). Over
  // plain http nothing proves the sender, so the token's signature is checked against the
  // provider's published keys as well.
  const execute = settings.allowInsecureHttp && issuer.protocol === 'http:' ? [oidc.allowInsecureRequests, oidc.enableNonRepudiationChecks] : [];
  try {
    return await oidc.discovery(issuer, settings.clientId, undefined, oidc.ClientSecretBasic(settings.clientSecret), {
      [oidc.customFetch]: fetch,
      execute,
    });
  } catch (error) {
    const egress = keelCause(error);
    throw new KeelError('misconfigured', `Single sign-on is unavailable: the identity provider at ${issuer.origin} could not be reached or described itself wrongly (${egress?.message ?? errorCode(error)}).`, {
      hint: egress?.code === 'egress_refused'
        ? `The issuer is on a private or loopback address: add ${issuer.host} to egress.allowHosts (KEEL_EGRESS_ALLOW_HOSTS).`
        : 'Check auth.oidc.issuer (its /.well-known/openid-configuration must load) and that Keel can reach it; sign in with a password meanwhile.',
      cause: error,
    });
  }
}

/** Turns what the library throws during the exchange into a refusal that repeats no token or code. */
function exchangeRefusal(error: unknown): OidcRefusal {
  if (error instanceof oidc.AuthorizationResponseError) {
    return new OidcRefusal('provider_refused', 'unauthenticated', `The identity provider refused the sign-in (${safeWord(error.error)}).`, {
      hint: 'Try again; if it keeps failing, ask your admin whether Keel is assigned to you at the identity provider.', cause: error,
    });
  }
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.WWWAuthenticateChallengeError) {
    const code = error instanceof oidc.ResponseBodyError ? safeWord(error.error) : `status ${error.status}`;
    return new OidcRefusal('token_exchange_failed', 'action_failed', `The identity provider did not accept Keel's code exchange (${code}).`, {
      hint: 'An admin should check auth.oidc.clientId, the client secret and the redirect URI registered at the provider.', cause: error, retriable: false,
    });
  }
  const egress = keelCause(error);
  if (egress) {
    return new OidcRefusal('provider_unreachable', 'action_failed', `The identity provider could not be reached to finish the sign-in (${egress.message}).`, {
      hint: egress.code === 'egress_refused' ? 'An admin should add the provider\'s host to egress.allowHosts.' : 'Try again in a moment.', cause: error,
    });
  }
  return new OidcRefusal('response_invalid', 'unauthenticated', `The identity provider's answer did not pass validation (${errorCode(error)}).`, {
    hint: 'Start the sign-in again; if it keeps failing, an admin should check the provider settings and the server clock.', cause: error,
  });
}

/** The KeelError from the egress client somewhere in the cause chain, if any. */
function keelCause(error: unknown): KeelError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (isKeelError(e)) return e;
  }
  return undefined;
}

/** The library's error code (never its message, which may quote a response). */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? safeWord(code) : 'unexpected error';
}

/** An OAuth error code from the wire, kept only if it looks like one. */
function safeWord(text: string): string {
  return /^[\w.-]{1,64}$/.test(text) ? text : 'error';
}
