import { randomBytes } from 'node:crypto';
import { bodyLimit } from 'hono/body-limit';
import { registerAuditRoutes, runWithAuditContext } from '../audit/index.js';
import { registerChangeRoutes } from '../changes/index.js';
import { AttemptLimiter, createGuard, registerAuthRoutes, type Access } from '../auth/index.js';
import { configSchema, type Config, type RedactionConfig } from '../config/index.js';
import { createEgressClient, egressFetch, registerConnectorRoutes, type EgressClient, type SecretKey } from '../connectors/index.js';
import { createApiApp, type ApiApp } from '../contract/index.js';
import type { Db } from '../db/index.js';
import { registerEngineRoutes, registerTriggerRoutes, runWorkflowId, wakeRun } from '../engine/index.js';
import { registerDatasetRoutes } from '../evals/index.js';
import { registerHandoffRoutes } from '../handoff/index.js';
import { KeelError } from '../errors.js';
import { registerModelRoutes } from '../models/index.js';
import { isOtlpPath, otlpErrorResponse, registerOtlpRoutes } from '../observe/index.js';
import { registerMonitorRoutes, registerObserveRoutes } from '../observe/index.js';
import { registerOverviewRoutes, type OverviewRouteDeps } from '../overview/index.js';
import { registerLibraryRoutes, type LibraryRouteDeps } from '../prompts/index.js';
import { createStageCheck, gateReadiness, registerPromotionRoutes } from '../promotion/index.js';
import { registerRegistryRoutes, type Stage } from '../registry/index.js';
import { registerExternalReviewRoutes, registerReviewMetricsRoutes, registerReviewRoutes, reviewWorkflowId } from '../review/index.js';
import { registerDashboard } from './dashboard.js';
import { renderDocsPage } from './docs-page.js';
import { problemResponse, statusFor } from './errors.js';

export interface HttpDeps {
  db: Db;
  bodyLimitBytes: number;
  secrets: Readonly<Record<string, string>>;
  version: string;
  auth: Config['auth'];
  /** Where people reach this server (setup and password links); auth.publicUrl wins when set. */
  serverUrl: () => string;
  /**
   * The CLI working on the database directly: requests without credentials act as this local
   * person. Never set for a server that listens on a socket.
   */
  local?: Access;
  /**
   * The guarded client outbound calls of the HTTP process use (OIDC discovery and code exchange).
   * Unset: one that allows no private address, so a provider on a private network needs it passed
   * with egress.allowHosts.
   */
  egress?: EgressClient;
  /** The instruction library's search: with an embedding function it ranks by vectors where it can. */
  library?: Omit<LibraryRouteDeps, 'db'>;
  logError(message: string, error: unknown): void;
  /** Whether decision callbacks to external workflows can be signed (a callback secret is configured). */
  callbackSecretConfigured?: boolean;
  /** The instance key connector secrets sent over HTTP are sealed with; unset: they are refused. */
  secretKey?: SecretKey;
  /** The configured models, listed (never their keys) by GET /api/models. */
  models?: Pick<Config, 'models' | 'providerKeys'>;
  /** The built dashboard (web/dist); unset: the one beside this package. */
  dashboardDir?: string;
  /** The overview's clock and the event stream's timings (tests shorten them). */
  overview?: Omit<OverviewRouteDeps, 'db' | 'logError'>;
  /**
   * The OTLP receiver (POST /v1/traces): what is masked before spans are stored (unset: the default
   * redaction) and its body limit (unset: the OTLP spec's 20 MiB, before and after decompression).
   */
  otlp?: { redaction?: RedactionConfig; bodyLimitBytes?: number };
  /** Promotion gates on deploys and pointed stages; unset: enforced (config gates.enforce). */
  gates?: Config['gates'];
}

export type HttpApp = ApiApp & {
  /**
   * Ends every open event stream (GET /api/events) and stops the change feed. A server's stop calls
   * it before closing, since closing waits for open connections and a stream never ends by itself.
   */
  closeStreams(): Promise<void>;
};

/** Mounts every slice's routes, the OpenAPI document and the error mapping. */
export function createHttpApp(deps: HttpDeps): HttpApp {
  // Request shape errors (query, params, body fields) become one 422 naming every field.
  const app = createApiApp((result) => {
    if (result.success) return;
    throw new KeelError('invalid_input', `The request ${result.target} is invalid.`, {
      problems: result.error.issues.map((i) => ({ path: [result.target, ...i.path.map(String)].join('.'), message: i.message })),
    });
  });
  app.onError((error, c) => {
    const log = (e: unknown) => deps.logError(`${c.req.method} ${c.req.path} failed`, e);
    // OTLP clients expect errors as google.rpc.Status in their own encoding, not problem+json.
    return isOtlpPath(c.req.path) ? otlpErrorResponse(c, error, statusFor, log) : problemResponse(c, error, log);
  });
  app.notFound((c) => problemResponse(c, new KeelError('not_found', `No route ${c.req.method} ${c.req.path}.`, { hint: 'See /docs for the routes.' }), () => {}));
  app.use('*', async (c, next) => {
    const given = c.req.header('x-request-id');
    const requestId = given && /^[\w.:-]{1,100}$/.test(given) ? given : randomBytes(8).toString('hex');
    c.set('requestId', requestId);
    c.header('x-request-id', requestId);
    // Audit events written while handling this request carry its id.
    await runWithAuditContext({ requestId }, next);
  });
  const policy = deps.auth;
  app.use('*', createGuard({
    db: deps.db, policy, local: deps.local,
    resolve: { run: (id) => runWorkflowId(deps.db, id), review: (id) => reviewWorkflowId(deps.db, id) },
  }));
  app.use('/api/*', bodyLimit({ maxSize: deps.bodyLimitBytes, onError: () => { throw new KeelError('payload_too_large', `The request body is over ${deps.bodyLimitBytes} bytes.`); } }));
  app.use('/hooks/*', bodyLimit({ maxSize: deps.bodyLimitBytes, onError: () => { throw new KeelError('payload_too_large', `The request body is over ${deps.bodyLimitBytes} bytes.`); } }));

  app.get('/healthz', async (c) => {
    await deps.db.query('SELECT 1');
    return c.json({ status: 'ok', database: deps.db.caps.kind, version: deps.version });
  });
  registerRegistryRoutes(app, deps.db, createStageCheck({ enforce: deps.gates?.enforce ?? true }));
  registerPromotionRoutes(app, deps.db);
  registerEngineRoutes(app, { db: deps.db, secrets: deps.secrets });
  registerTriggerRoutes(app, deps.db);
  registerReviewRoutes(app, deps.db, wakeRun);
  registerReviewMetricsRoutes(app, deps.db);
  registerDatasetRoutes(app, deps.db);
  registerChangeRoutes(app, deps.db);
  registerExternalReviewRoutes(app, { db: deps.db, callbackSecretConfigured: deps.callbackSecretConfigured ?? false });
  registerAuditRoutes(app, deps.db);
  registerConnectorRoutes(app, { db: deps.db, secretKey: deps.secretKey });
  registerLibraryRoutes(app, { ...deps.library, db: deps.db });
  registerModelRoutes(app, deps.db, deps.models ?? { models: {}, providerKeys: {} });
  registerOtlpRoutes(app, {
    db: deps.db, redaction: deps.otlp?.redaction ?? configSchema.parse({}).observe.redaction,
    models: deps.models?.models ?? {}, bodyLimitBytes: deps.otlp?.bodyLimitBytes,
  });
  const overview = registerOverviewRoutes(app, { ...deps.overview, db: deps.db, logError: deps.logError });
  // Metrics and traces share the overview's clock, so a test's fake now moves both.
  registerObserveRoutes(app, { db: deps.db, now: deps.overview?.now });
  registerMonitorRoutes(app, { db: deps.db, now: deps.overview?.now });
  // The pack's readiness includes the promotion gate of its version, judged again at the pack's time.
  registerHandoffRoutes(app, {
    db: deps.db, now: deps.overview?.now,
    extraItems: (pack, db) => gateReadiness(db, { workflowId: pack.workflow_id, stage: pack.stage as Stage, versionId: pack.version.id }, new Date(pack.generated_at)),
  });
  registerAuthRoutes(app, {
    db: deps.db, policy, limiter: new AttemptLimiter(policy.signInAttemptsPerMinute),
    secureCookies: policy.publicUrl?.startsWith('https:') ?? false, publicUrl: () => policy.publicUrl ?? deps.serverUrl(),
    oidc: policy.oidc ? { settings: policy.oidc, fetch: egressFetch(deps.egress ?? createEgressClient()) } : undefined,
    statusFor, logError: deps.logError,
  });

  const document = () => app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'Keel', version: deps.version, description: 'The operating layer for AI workflows.' },
  });
  app.get('/openapi.json', (c) => c.json(document()));
  registerDashboard(app, deps.dashboardDir);
  app.get('/docs', (c) => c.html(renderDocsPage(document() as never)));
  return Object.assign(app, { closeStreams: overview.closeStreams });
}
