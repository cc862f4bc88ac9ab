import { join } from 'node:path';
import { z } from 'zod';
import { observeSection } from './observe-section.js';

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


const envName = () => z.string().regex(/^[A-Z][A-Z0-9_]*$/, { error: 'must be the NAME of an environment variable' });

/** Prices in US dollars per million tokens, as providers publish them; 0 when unknown. */
export const modelPriceSchema = z
  .object({
    inputPerMillion: z.number().min(0).default(0).describe('USD per 1,000,000 input tokens.'),
    outputPerMillion: z.number().min(0).default(0).describe('USD per 1,000,000 output tokens.'),
  })
  .strict();

export const modelParametersSchema = z
  .object({
    temperature: z.number().min(0).max(2).optional(),
    maxOutputTokens: z.number().int().min(1).optional(),
    topP: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

export const modelRetriesSchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(10).default(3).describe('Tries per model for no answer, 429, 5xx and network errors.'),
    backoffMs: z.number().int().min(0).default(1_000),
    maxBackoffMs: z.number().int().min(0).default(30_000).describe('Also caps how long a Retry-After is honoured.'),
  })
  .strict();

/** Settings every language model shares, whatever its provider. */
const languageModelFields = {
  model: z.string().min(1).describe("The provider's model id, e.g. gpt-4o-mini."),
  baseUrl: z.string().url().optional().describe('API base URL; required for openai-compatible servers (Ollama, vLLM, llama.cpp, LM Studio).'),
  /** The environment variable holding the API key; read once at start, never logged. */
  apiKeyEnv: envName().optional(),
  parameters: modelParametersSchema.default({}),
  price: modelPriceSchema.default(modelPriceSchema.parse({})),
  timeoutMs: z.number().int().min(100).default(60_000).describe('No answer within this long counts as no response.'),
  retries: modelRetriesSchema.default(modelRetriesSchema.parse({})),
  fallbacks: z.array(z.string().min(1)).default([]).describe('Models tried in order when this one fails.'),
};

export const languageModelSchema = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('openai'), ...languageModelFields }).strict(),
  z.object({ provider: z.literal('anthropic'), ...languageModelFields }).strict(),
  z.object({ provider: z.literal('openai-compatible'), ...languageModelFields, baseUrl: z.string().url() }).strict(),
]);

/** A local text classifier Keel trains from a labelled CSV or JSONL file (no network, no GPU). */
export const classifierModelSchema = z
  .object({
    provider: z.literal('classifier'),
    dataset: z.string().min(1).describe('Labelled CSV or JSONL file, relative to the working folder.'),
    textColumn: z.string().min(1).default('text'),
    labelColumn: z.string().min(1).default('label'),
  })
  .strict();

/** Renders the step's prompt or template without calling any model: the offline default. */
export const templateModelSchema = z.object({ provider: z.literal('template') }).strict();

export const modelSchema = z.discriminatedUnion('provider', [
  ...languageModelSchema.options, classifierModelSchema, templateModelSchema,
]);

/** Library retrieval; similarity search needs an embedding model, full-text search does not. */
export const retrievalSection = z
  .object({
    embeddingModel: z
      .object({
        provider: z.enum(['openai', 'openai-compatible']),
        model: z.string().min(1),
        baseUrl: z.string().url().optional(),
        apiKeyEnv: envName().optional(),
        dimensions: z.number().int().min(1).max(4096),
        timeoutMs: z.number().int().min(100).default(30_000),
        retries: modelRetriesSchema.default(modelRetriesSchema.parse({})),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The review events a notification webhook may listen for (the review slice announces them). */
export const reviewEventNames = ['review:created', 'review:escalated', 'review:expired', 'review:decided'] as const;

/** A signed webhook that hears about review tasks (a chat bridge, a pager, a ticketing system). */
export const notificationWebhookSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, { error: 'names use a-z, 0-9, _, . and -' }),
    url: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http or https URL'),
    /** The environment variable holding the signing secret (Standard Webhooks); read once at start, never logged. */
    secretEnv: envName(),
    events: z.array(z.enum(reviewEventNames)).min(1).default(['review:created', 'review:escalated', 'review:expired'])
      .describe('What the target hears about; review:decided is left out unless named'),
    roles: z.array(z.string().min(1)).default([]).describe('Only tasks assigned to these roles; empty: every task'),
  })
  .strict();

export const notificationsSection = z
  .object({
    webhooks: z.array(notificationWebhookSchema).default([])
      // A delivery row names its URL, and the URL picks the signing secret, so each URL appears once.
      .refine((list) => new Set(list.map((w) => w.name)).size === list.length, 'webhook names must be unique')
      .refine((list) => new Set(list.map((w) => w.url)).size === list.length, 'webhook URLs must be unique'),
  })
  .strict();

export const reviewsSection = z
  .object({
    /** The environment variable holding the secret decision callbacks to external workflows are signed with. */
    callbackSecretEnv: envName().default('KEEL_CALLBACK_SECRET'),
  })
  .strict();

/**
 * The instance key that seals connector secrets at rest (AES-256-GCM): 32 bytes written as 64 hex
 * digits or base64. `value` comes from KEEL_SECRET_KEY; without it Keel reads `file`, creating it
 * (mode 0600) on first start. Every process that shares a database needs the same key.
 */
export const secretKeySection = z
  .object({
    /** The key itself (KEEL_SECRET_KEY); set it in the environment, not in keel.yaml. Never logged. */
    value: z.string().optional().describe('The instance key (KEEL_SECRET_KEY): 32 bytes as 64 hex digits or base64. Set it in the environment, not here.'),
    /**
     * The key file used when `value` is unset (KEEL_SECRET_KEY_FILE). Default: `<dataDir>/secret.key`
     * on the embedded database, so the key stays with the one data folder it unlocks; `.keel/secret.key`
     * on PostgreSQL, where no data folder exists.
     */
    file: z.string().min(1).optional().describe('Key file used when no key is given (KEEL_SECRET_KEY_FILE); created with mode 0600 on first start.'),
  })
  .strict();

/** Where the key file is when none is configured (see secretKeySection). */
export function defaultSecretKeyFile(database: { url?: string; dataDir: string }): string {
  return database.url ? join('.keel', 'secret.key') : join(database.dataDir, 'secret.key');
}

export const configSchema = z
  .object({
    database: databaseSection.default(databaseSection.parse({})),
    server: serverSection.default(serverSection.parse({})),
    workers: workerSection.default(workerSection.parse({})),
    scheduler: schedulerSection.default(schedulerSection.parse({})),
    egress: egressSection.default(egressSection.parse({})),
    auth: authSection.default(authSection.parse({})),
    secretKey: secretKeySection.default({}),
    /** Where the CLI finds a running Keel (KEEL_URL). */
    apiUrl: z.string().url().default('http://127.0.0.1:4300'),
    /** The API token the CLI sends to that server (KEEL_TOKEN); never logged. */
    apiToken: z.string().min(1).optional(),
    /**
     * Named models steps refer to. `default` always exists: from OPENAI_API_KEY, KEEL_OPENAI_BASE_URL
     * or ANTHROPIC_API_KEY when one is set, else the offline template model.
     */
    models: z.record(z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/, { error: 'model names use a-z, 0-9, _, . and -' }), modelSchema).default({})
      // `template` is built in: the model a step names to render its prompt without calling anything.
      .transform((models): Record<string, z.infer<typeof modelSchema>> => ({ template: { provider: 'template' }, ...models })),
    retrieval: retrievalSection.default(retrievalSection.parse({})),
    /** Signed webhooks announcing review tasks (synced to notification_targets at start). */
    notifications: notificationsSection.default(notificationsSection.parse({})),
    reviews: reviewsSection.default(reviewsSection.parse({})),
    /** Spans, redaction, OTLP export, retention and monitors. */
    observe: observeSection.default(observeSection.parse({})),
    gates: z
      .object({
        enforce: z.boolean().default(true)
          .describe('Moves into testing, sandbox and production (deploy, point, files loaded at start) need the stage\'s gate. false: a development instance without gates (a warning at start says so)'),
      })
      .strict()
      .default({ enforce: true })
      .describe('Promotion gates (README: Gates and promotion)'),
    /**
     * Secrets review deliveries are signed with (notification webhooks and decision callbacks), by
     * environment variable name, captured once at load; never logged, never in `secrets`.
     */
    deliverySecrets: z.record(z.string(), z.string()).default({}),
    /** API keys of model providers by environment variable name, captured once at load; never logged. */
    providerKeys: z.record(z.string(), z.string()).default({}),
    promptsDir: z.string().default('prompts').describe('Instruction library files (prompts and documents) loaded at start.'),
    workflowsDir: z.string().default('workflows').describe('Workflow files loaded and deployed at start.'),
    connectorsDir: z.string().default('connectors').describe('Connector files (connectors/*.yaml) loaded at start; their secrets are references.'),
    /** KEEL_CONNECTOR_* variables, the only ones connector files may name as secret references; captured once, never logged. */
    connectorSecrets: z.record(z.string(), z.string()).default({}),
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
  .strict()
  // The key file's default depends on the database section, so it is filled in once both are known.
  .transform((c) => ({ ...c, secretKey: { ...c.secretKey, file: c.secretKey.file ?? defaultSecretKeyFile(c.database) } }));

export type Config = z.infer<typeof configSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type LanguageModelConfig = z.infer<typeof languageModelSchema>;
export type ClassifierModelConfig = z.infer<typeof classifierModelSchema>;
export type NotificationWebhookConfig = z.infer<typeof notificationWebhookSchema>;
export type EmbeddingModelConfig = NonNullable<z.infer<typeof retrievalSection>['embeddingModel']>;
