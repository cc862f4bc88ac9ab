import { z } from 'zod';

/** Where Keel keeps its data. `url` set means PostgreSQL; otherwise embedded PGlite in `dataDir`. */
export const databaseSection = z
  .object({
    url: z.string().min(1).optional().describe('PostgreSQL connection string (DATABASE_URL). Unset: embedded PGlite.'),
    dataDir: z.string().min(1).default('.keel/data').describe('Folder of the embedded PGlite database.'),
    /**
     * PGlite's own default is fsync off, which loses commits when the process is killed; Keel turns
     * it on. See the README for what survives a power loss.
     */
    fsync: z.boolean().default(true).describe('Embedded database only: flush every commit to the data files.'),
    poolSize: z.number().int().min(1).max(100).default(10).describe('PostgreSQL connections per process.'),
  })
  .strict();

export const serverSection = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4300),
    bodyLimitBytes: z.number().int().min(1024).default(1024 * 1024).describe('Largest accepted request body.'),
  })
  .strict();

export const workerSection = z
  .object({
    enabled: z.boolean().default(true).describe('Run workers in this process (serve --no-workers turns them off).'),
    concurrency: z.number().int().min(1).max(256).default(8).describe('Runs one worker process executes at once.'),
    leaseMs: z.number().int().min(200).default(30_000).describe('How long a claim lasts without a heartbeat.'),
    heartbeatMs: z.number().int().min(50).default(10_000),
    pollMs: z.number().int().min(20).default(2_000).describe('Fallback poll when no notification arrives.'),
    sweepMs: z.number().int().min(50).default(5_000).describe('How often deadlines (review due, leases) are swept.'),
  })
  .strict();

export const schedulerSection = z
  .object({
    enabled: z.boolean().default(true),
    tickMs: z.number().int().min(100).default(1_000),
  })
  .strict();

export const egressSection = z
  .object({
    /** Hosts (host, host:port, IP or CIDR) outbound calls may reach although they are private or loopback. */
    allowHosts: z.array(z.string().min(1)).default([]),
  })
  .strict();

/**
 * Single sign-on with an OpenID Connect provider (Okta, Entra ID, Google Workspace, Keycloak, ...).
 * Keel is a confidential client using the authorization code flow with PKCE; register
 * `<publicUrl>/api/auth/oidc/callback` as its redirect URI at the provider.
 */
export const oidcSection = z
  .object({
    /** The issuer URL; its `/.well-known/openid-configuration` is read on first use (KEEL_OIDC_ISSUER). */
    issuer: z.string().url().describe('The OpenID provider\'s issuer URL (KEEL_OIDC_ISSUER).'),
    clientId: z.string().min(1).describe('The client id Keel is registered under at the provider (KEEL_OIDC_CLIENT_ID).'),
    /**
     * The client secret (KEEL_OIDC_CLIENT_SECRET; keep it out of keel.yaml). It also keys the
     * encryption of the short-lived sign-in cookie, so every API process sharing it can finish a
     * sign-in another one started. Never logged, never in an answer.
     */
    clientSecret: z.string().min(1).describe('The client secret (KEEL_OIDC_CLIENT_SECRET); set it in the environment, not in keel.yaml.'),
    scopes: z.array(z.string().min(1)).default(['openid', 'email', 'profile'])
      .refine((s) => s.includes('openid'), 'must include openid')
      .describe('Scopes asked for; must include openid, and email for the email claim.'),
    /** The text of the sign-in button. */
    label: z.string().min(1).max(80).default('Sign in with single sign-on'),
    /** Plain-http issuers are refused unless this is set: for a provider on loopback in tests and development only. */
    allowInsecureHttp: z.boolean().default(false),
    /**
     * Email domains whose people get an account (with no roles) on their first sign-in, when the
     * provider says their email is verified. Empty: only existing users may sign in (no open sign-up).
     */
    autoCreateDomains: z.array(z.string().min(1).transform((d) => d.trim().toLowerCase().replace(/^@/, ''))).default([]),
  })
  .strict();

/** Sign-in and sessions. */
export const authSection = z
  .object({
    /** The address people open Keel at; setup links and OIDC redirects are built from it. Defaults to the server's own. */
    publicUrl: z.string().url().optional(),
    sessionHours: z.number().min(0.01).max(24 * 30).default(12).describe('A session ends this long after sign-in, whatever its use.'),
    sessionIdleMinutes: z.number().min(1).default(120).describe('A session unused this long ends.'),
    minPasswordLength: z.number().int().min(8).max(128).default(12),
    lockoutFailures: z.number().int().min(1).default(5).describe('Failed sign-ins in a row that lock an account.'),
    lockoutMinutes: z.number().min(1).default(15),
    signInAttemptsPerMinute: z.number().int().min(1).default(10).describe('Sign-in attempts one address may make per minute.'),
    /** OpenID Connect sign-in for teams; unset means password sign-in only. */
    oidc: oidcSection.optional(),
  })
  .strict();

export const configSchema = z
  .object({
    database: databaseSection.default(databaseSection.parse({})),
    server: serverSection.default(serverSection.parse({})),
    workers: workerSection.default(workerSection.parse({})),
    scheduler: schedulerSection.default(schedulerSection.parse({})),
    egress: egressSection.default(egressSection.parse({})),
    auth: authSection.default(authSection.parse({})),
    /** Where the CLI finds a running Keel (KEEL_URL). */
    apiUrl: z.string().url().default('http://127.0.0.1:4300'),
    /** The API token the CLI sends to that server (KEEL_TOKEN); never logged. */
    apiToken: z.string().min(1).optional(),
    workflowsDir: z.string().default('workflows').describe('Workflow files loaded and deployed at start.'),
    loadStage: z.enum(['design', 'testing', 'sandbox', 'production']).default('production')
      .describe('Stage the workflow files of workflowsDir are deployed to at start.'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Secrets the workflow files refer to by name (e.g. webhook secrets); read once from the environment. */
    secrets: z.record(z.string(), z.string()).default({}),
    /**
     * Test-only crash points (KEEL_FAULTS, comma-separated `point` or `point:step`, `stop@point` to
     * SIGSTOP instead of SIGKILL). The durability tests arm them in a child worker process.
     */
    faults: z.array(z.string()).default([]),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
