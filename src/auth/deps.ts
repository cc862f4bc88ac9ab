import type { Db } from '../db/index.js';
import type { AttemptLimiter, SignInPolicy } from './sign-in.js';
import type { PasswordPolicy } from './users.js';

/** What the auth routes need, built once by the edge from the configuration. */
export interface AuthDeps {
  db: Db;
  policy: SignInPolicy & PasswordPolicy;
  limiter: AttemptLimiter;
  /** Cookies get the Secure flag when Keel is served over https. */
  secureCookies: boolean;
  /** Where people open Keel: setup and password links are built from it. */
  publicUrl: () => string;
}
