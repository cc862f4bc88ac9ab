import type { EgressFetch } from '../connectors/index.js';
import type { Db } from '../db/index.js';
import type { ErrorCode } from '../errors.js';
import type { OidcSettings } from './oidc.js';
import type { AttemptLimiter, SignInPolicy } from './sign-in.js';
import type { PasswordPolicy } from './users.js';

/** What the auth routes need, built once by the edge from the configuration. */
export interface AuthDeps {
  db: Db;
  policy: SignInPolicy & PasswordPolicy;
  limiter: AttemptLimiter;
  /** Cookies get the Secure flag when Keel is served over https. */
  secureCookies: boolean;
  /** Where people open Keel: setup and password links, and the OIDC redirect URI, are built from it. */
  publicUrl: () => string;
  /**
   * OpenID Connect sign-in (auth.oidc), with the fetch it must use: the guarded egress client's.
   * Absent: password sign-in only.
   */
  oidc?: { settings: OidcSettings; fetch: EgressFetch };
  /** The edge's HTTP status of an error code, for the pages the sign-in round trip answers itself. */
  statusFor?: (code: ErrorCode) => number;
  logError?: (message: string, error: unknown) => void;
}
