// The secret sweep. A distinct canary (seeded, the seed printed) is planted in every connector
// secret through the real paths: connectors/*.yaml with KEEL_CONNECTOR_* references loaded by a real
// `keel` at start, then a rotation with putSecret. Workflows deployed and granted through the API use
// every action of every connector through the engine, including calls that fail with the credential
// in flight and a sandbox run. Then everything Keel shows is searched for every canary in every
// spelling: each log line, each API answer (headers and body, every GET route the OpenAPI document
// lists), the CLI's output and every table. The search is checked on a scratch string first, and the
// targets must have received the real credentials, so a clean result means something.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { startKeel, type RunningKeel } from '../../src/app.js';
import { main as keelCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import { connectorKinds, putSecret, verifyWebhook } from '../../src/connectors/index.js';
import { createLogger } from '../../src/logging.js';
import {
  actionWorkflow, canaryForms, describeHits, expandRoute, findCanaries, q, seededBytes, startFolderTarget, startHttpTarget, startImapTarget,
  startPostgresTarget, startSlackTarget, startSmtpTarget, type ActionStep as Step, type Canary, type Haystack,
} from '../support/connector-fixtures.js';
import { createPostgresDatabase, openPgliteFolder, postgresTestUrl } from '../support/databases.js';
import { createTestIdentity } from '../support/identity.js';
import type { Json } from '../support/json.js';

const seed = process.env.KEEL_CANARY_SEED ?? randomBytes(8).toString('hex');
console.info(`canary sweep seed: ${seed} (KEEL_CANARY_SEED=${seed} plants the same canaries again)`);
const hex = (label: string, n = 16) => seededBytes(seed, label, n).toString('hex');
const b64 = (label: string) => seededBytes(seed, label).toString('base64'); // with + / =, so URL-encoding differs

/**
 * The planted values. Some carry + and /, so that their raw, base64url and URL-encoded spellings all
 * differ, and so that JSON written with escaped slashes (PHP's default) spells them differently too.
 */
const planted = {
  bearer: `cnry/bearer+${b64('bearer')}`,
  rotated: `cnry/rotated+${b64('rotated')}`,
  basic: `cnry/basic+${b64('basic')}`,
  apiKey: `cnry-apikey-${hex('apikey')}`,
  signing: `whsec_${seededBytes(seed, 'signing', 24).toString('base64')}`,
  slackToken: `xoxb-${hex('slack-token')}`,
  slackHook: `cnryhook${hex('slack-hook')}`,
  smtp: `cnry/smtp+${b64('smtp')}`,
  db: `cnrydb${hex('db-password')}`, // URL-safe: it sits in a connection URL as is
  instanceKey: seededBytes(seed, 'instance-key', 32).toString('hex'),
};
const owner = 'connector-owner@example.com';
const marker = 'Canary sweep marker message';

interface Answer { where: string; status: number; text: string }

const variants = [{ name: 'pglite' }, ...(postgresTestUrl ? [{ name: 'postgres' }] : [])];
if (!postgresTestUrl) console.warn('NOTICE: KEEL_TEST_DATABASE_URL is not set; the sweep runs on PGlite only, without the postgres connector.');

describe.each(variants)('connector secrets stay out of everything Keel shows, on $name', (variant) => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-canary-'));
  const logLines: string[] = [];
  const printed: string[] = [];
  const answers: Answer[] = [];
  const connectors = new Map<string, { kind: string; config: Record<string, unknown> }>();
  const runs = new Map<string, Json>();
  let targets: Awaited<ReturnType<typeof startTargets>>;
  let canaries: Canary[];
  let keel: RunningKeel;
  let dropKeelDb: (() => Promise<void>) | undefined;
  let tokens: { admin: string; builder: string; reviewer: string };
  let events: { stop(): Promise<string> };

  async function startTargets() {
    return {
      http: await startHttpTarget(),
      slack: await startSlackTarget(planted.slackToken, `/services/T0SWEEP/B0SWEEP/${planted.slackHook}`),
      smtp: await startSmtpTarget('mailer', planted.smtp),
      imap: await startImapTarget(marker),
      db: await startPostgresTarget(planted.db),
      folder: startFolderTarget(),
    };
  }

  /** Writes connectors/<id>.yaml with its secrets as KEEL_CONNECTOR_* references, and answers the variables. */
  function connectorFile(id: string, kind: string, config: Record<string, unknown>, secrets: Record<string, string>): Record<string, string> {
    connectors.set(id, { kind, config });
    const env: Record<string, string> = {};
    const refs: Record<string, { env: string }> = {};
    for (const [name, value] of Object.entries(secrets)) {
      const variable = `KEEL_CONNECTOR_${id}_${name}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      env[variable] = value;
      refs[name] = { env: variable };
    }
    const file = { id, kind, title: `Sweep ${id}`, owner, credential_owner: 'it@example.com', rotation_days: 90, allow_hosts: ['127.0.0.1'], config, secrets: refs };
    writeFileSync(join(dir, 'connectors', `${id}.yaml`), stringify(file));
    return env;
  }

  function plantConnectors(): Record<string, string> {
    const { http, slack, smtp, imap, db, folder } = targets;
    const smtpConfig = { host: '127.0.0.1', port: smtp.port, starttls: 'never', username: 'mailer', password_secret: 'smtp', from: 'Keel <help@keel.example>' };
    const imapConfig = { host: '127.0.0.1', port: imap.port, starttls: 'never', username: imap.username, password_secret: 'imap' };
    return {
      ...connectorFile('api-bearer', 'http', { base_url: `${http.url}/bearer/`, auth: { type: 'bearer', token_secret: 'token' } }, { token: planted.bearer }),
      ...connectorFile('api-basic', 'http', { base_url: `${http.url}/basic/`, auth: { type: 'basic', username: 'sweeper', password_secret: 'password' } }, { password: planted.basic }),
      ...connectorFile('api-key', 'http', { base_url: `${http.url}/key/`, auth: { type: 'api_key', key_secret: 'key' } }, { key: planted.apiKey }),
      ...connectorFile('hooks', 'webhook', { url: `${http.url}/hooks/in`, signing_secret: 'signing' }, { signing: planted.signing }),
      ...connectorFile('chat', 'slack', { bot_token_secret: 'bot', api_url: slack.api, incoming_webhook_secret: 'hook' }, { bot: planted.slackToken, hook: slack.hook }),
      ...connectorFile('mail', 'email', { smtp: smtpConfig, imap: imapConfig }, { smtp: planted.smtp, imap: imap.password }),
      ...(db ? connectorFile('warehouse', 'postgres', {
        url_secret: 'url',
        statements: { list_notes: { sql: 'SELECT id, body FROM notes ORDER BY id', mode: 'read' }, add_note: { sql: 'INSERT INTO notes (body) VALUES ($1)', mode: 'write' } },
      }, { url: db.url }) : {}),
      ...connectorFile('kits', 'files', { root: folder.root }, {}),
    };
  }

  /** One request to the running Keel, its answer (status, every header, body) kept for the search. */
  async function api(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json; text: string }> {
    const res = await fetch(`${keel.url}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    answers.push({ where: `${method} ${path} (${res.status})`, status: res.status, text: `${headers}\n\n${text}` });
    let json: Json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** Deploys through the API as a builder; every scope it lists is asked for (if deploying did not) and approved by an admin. */
  async function deployGranted(id: string, steps: Step[], stages: string[] = ['production']): Promise<void> {
    const source = actionWorkflow(id, steps, connectors);
    for (const stage of stages) {
      const deployed = await api(tokens.builder, 'POST', '/api/workflows/deploy', { source, source_name: `${id}.yaml`, stage });
      expect(deployed.status, deployed.text).toBe(200);
    }
    const wanted = new Set(steps.map((s) => `${s.connector} ${connectorKinds.get(connectors.get(s.connector)!.kind)!.actions[s.action]!.scope}`));
    for (const [connector, scope] of [...wanted].map((pair) => pair.split(' '))) {
      const asked = await api(tokens.builder, 'POST', `/api/workflows/${id}/grants`, { connector, scope, reason: 'canary sweep' });
      expect([200, 201], asked.text).toContain(asked.status);
      if (asked.json.grant.status === 'approved') continue;
      const decided = await api(tokens.admin, 'POST', `/api/grants/${asked.json.grant.id}/decision`, { decision: 'approve' });
      expect(decided.status, decided.text).toBe(200);
    }
  }

  async function startRun(id: string, stage = 'production'): Promise<string> {
    const started = await api(tokens.builder, 'POST', `/api/workflows/${id}/runs`, { input: {}, stage });
    expect(started.status, started.text).toBe(202);
    return started.json.run_id as string;
  }

  async function waitForRun(runId: string, statuses: string[]): Promise<Json> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { json } = await api(tokens.admin, 'GET', `/api/runs/${runId}`);
      if (statuses.includes(json.run.status)) {
        runs.set(runId, json);
        return json;
      }
      if (Date.now() > deadline) throw new Error(`run ${runId} is ${json.run.status}, expected ${statuses.join('|')}: ${JSON.stringify(json.run.error)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Reads the server-sent change feed from now until stop(), so the events are searched too. */
  function listenToEvents(token: string): { stop(): Promise<string> } {
    const abort = new AbortController();
    let text = '';
    const done = fetch(`${keel.url}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal })
      .then(async (res) => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk);
      })
      .catch(() => undefined);
    return {
      async stop() {
        abort.abort();
        await done;
        return text;
      },
    };
  }

  beforeAll(async () => {
    for (const sub of ['connectors', 'workflows', 'prompts']) mkdirSync(join(dir, sub));
    targets = await startTargets();
    const env = { ...plantConnectors(), KEEL_SECRET_KEY: planted.instanceKey };
    canaries = canaryList(targets.imap.password, targets.db?.url);
    let database: Record<string, unknown> = { dataDir: join(dir, 'data'), fsync: false };
    if (variant.name === 'pglite') await (await openPgliteFolder(join(dir, 'data'))).close(); // migrated already: a faster start
    if (variant.name === 'postgres') {
      const created = await createPostgresDatabase(postgresTestUrl!);
      database = { url: created.url };
      dropKeelDb = created.drop;
    }
    const config = loadConfig({
      env, file: join(dir, 'keel.yaml'),
      flags: {
        server: { port: 0, host: '127.0.0.1' }, database, workflowsDir: join(dir, 'workflows'), promptsDir: join(dir, 'prompts'),
        connectorsDir: join(dir, 'connectors'), logLevel: 'trace', workers: { pollMs: 100, sweepMs: 200 },
        // The sweep deploys straight into production over the API, as a development instance does.
        gates: { enforce: false },
      },
    });
    // Whatever else prints (a library's console logging) is searched as well.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const original = console[method].bind(console);
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
        original(...args);
      });
    }
    // The app's own logger (src/logging.ts: pino, its redaction included), at trace, into memory.
    keel = await startKeel(config, { http: true, workers: true, scheduler: false, loadWorkflows: true }, createLogger('trace', { write: (line: string) => void logLines.push(line) }));
    tokens = {
      admin: (await createTestIdentity(keel.db, ['admin'])).token,
      builder: (await createTestIdentity(keel.db, ['builder'])).token,
      reviewer: (await createTestIdentity(keel.db, ['reviewer'])).token,
    };
    events = listenToEvents(tokens.admin);
  }, 120_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await events?.stop();
    await keel?.stop();
    await dropKeelDb?.();
    if (targets) {
      await targets.http.close();
      await targets.slack.close();
      await targets.smtp.close();
      await targets.imap.stop();
      await targets.db?.stop();
      await targets.folder.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the search finds a canary planted in a scratch string, in every spelling, and nothing in a clean one', () => {
    for (const canary of canaries) {
      for (const { form, text } of canaryForms(canary)) {
        const hits = findCanaries([canary], [{ where: 'scratch', text: `{"note":"before ${text} after"}` }]);
        expect(hits.map((h) => h.form), `${canary.label}: ${form} not found`).toContain(form);
      }
    }
    // Encoded as JSON twice, slashes escaped as PHP does: still found.
    const bearer = canaries[0]!;
    const nested = JSON.stringify({ stored: JSON.stringify({ received: `Bearer ${bearer.value}` }).replaceAll('/', '\\/') });
    expect(findCanaries([bearer], [{ where: 'scratch', text: nested }]).map((h) => h.form)).toEqual(['raw, once backslash escapes are removed']);
    expect(findCanaries(canaries, [{ where: 'scratch', text: 'Bearer [redacted] and nothing else' }])).toEqual([]);
  });

  it('loads every connector from its file at start', () => {
    const loaded = logLines.map((l) => JSON.parse(l) as Json).filter((l) => l.msg === 'connector loaded').map((l) => l.connector as string);
    expect(loaded.sort()).toEqual([...connectors.keys()].sort());
  });

  it('runs every action of every connector through the engine: succeeding, failing with the credential in flight, and in sandbox', async () => {
    const mainSteps: Step[] = [
      { id: 'bearer_get', connector: 'api-bearer', action: 'get', with: { path: q('orders/1') } },
      { id: 'bearer_send', connector: 'api-bearer', action: 'send', with: { method: q('POST'), path: q('orders'), body: { item: 'widget' } } },
      { id: 'basic_get', connector: 'api-basic', action: 'get', with: { path: q('orders/2') } },
      { id: 'basic_send', connector: 'api-basic', action: 'send', with: { method: q('PUT'), path: q('orders/2'), body: { item: 'gadget' } } },
      { id: 'key_get', connector: 'api-key', action: 'get', with: { path: q('orders/3') } },
      { id: 'key_send', connector: 'api-key', action: 'send', with: { method: q('PATCH'), path: q('orders/3'), body: { item: 'gizmo' } } },
      { id: 'hook_send', connector: 'hooks', action: 'send', with: { event_type: q('order.created'), payload: { order: 1 } } },
      { id: 'slack_post', connector: 'chat', action: 'post', with: { channel: q('C0SWEEPER'), text: q('Order 1 shipped') } },
      // In sandbox the post is only recorded, so there is no ts to update: a fixed one stands in.
      { id: 'slack_update', connector: 'chat', action: 'update', with: { channel: q('C0SWEEPER'), ts: 'steps.slack_post.ts ? steps.slack_post.ts : "1700000000.000100"', text: q('Order 1 delivered') } },
      { id: 'slack_hook', connector: 'chat', action: 'webhook_post', with: { text: q('Order 1 shipped') } },
      { id: 'mail_send', connector: 'mail', action: 'send', with: { to: ['ada@customer.example'], subject: q('Your order'), text: q('It ships today.') } },
      { id: 'mail_read', connector: 'mail', action: 'fetch_new', with: {} },
      ...(targets.db ? [
        { id: 'db_read', connector: 'warehouse', action: 'query', with: { statement: q('list_notes') } },
        { id: 'db_write', connector: 'warehouse', action: 'execute', with: { statement: q('add_note'), params: ['from the sweep'] } },
      ] : []),
      { id: 'file_write', connector: 'kits', action: 'write', with: { path: q('sweep/receipt.md'), content: q('Receipt for order 1') } },
      { id: 'file_list', connector: 'kits', action: 'list', with: {} },
      { id: 'file_read', connector: 'kits', action: 'read', with: { path: q('template.md') } },
    ];
    const used = new Set(mainSteps.map((s) => `${connectors.get(s.connector)!.kind}.${s.action}`));
    for (const [kind, definition] of connectorKinds) {
      for (const action of Object.keys(definition.actions)) if (kind !== 'postgres' || targets.db) expect(used, `no flow uses ${kind}.${action}`).toContain(`${kind}.${action}`);
    }
    const fast = { max_attempts: 2, backoff: '100ms' };
    const failing: Record<string, Step> = {
      'fail-basic-401': { id: 'fail', connector: 'api-basic', action: 'send', with: { method: q('POST'), path: q('fail-401'), body: {} } },
      'fail-key-500': { id: 'fail', connector: 'api-key', action: 'get', with: { path: q('fail-500') }, retry: fast },
      'fail-hook-500': { id: 'fail', connector: 'hooks', action: 'send', with: { payload: { fail: true } }, retry: fast },
      'fail-slack-500': { id: 'fail', connector: 'chat', action: 'post', with: { channel: q('C0FAILING'), text: q('never posted') }, retry: fast },
      'fail-mail-550': { id: 'fail', connector: 'mail', action: 'send', with: { to: ['nobody@customer.example'], subject: q('Lost'), text: q('Never delivered') } },
      ...(targets.db ? { 'fail-db-null': { id: 'fail', connector: 'warehouse', action: 'execute', with: { statement: q('add_note'), params: [null] } } } : {}),
    };

    await deployGranted('sweep-all', mainSteps, ['production', 'sandbox']);
    for (const [id, step] of Object.entries(failing)) await deployGranted(id, [step]);

    const done = await waitForRun(await startRun('sweep-all'), ['succeeded', 'failed', 'outcome_unknown']);
    expect(done.run.status, JSON.stringify(done.run.error)).toBe('succeeded');
    expect(JSON.stringify(done.run.state)).toContain(marker); // the IMAP login with the planted password worked

    const failed = await Promise.all(Object.keys(failing).map(async (id) => [id, await waitForRun(await startRun(id), ['succeeded', 'failed', 'outcome_unknown'])] as const));
    for (const [id, run] of failed) expect(run.run.status, `${id}: ${JSON.stringify(run.run.error)}`).toBe('failed');

    // Sandbox: the boundary sends the run to a person first; approved, every write is only recorded.
    const writesBefore = sideEffectCounts();
    const sandboxRun = await startRun('sweep-all', 'sandbox');
    await waitForRun(sandboxRun, ['waiting']);
    const { json: tasks } = await api(tokens.admin, 'GET', `/api/reviews?run=${sandboxRun}`);
    const approved = await api(tokens.reviewer, 'POST', `/api/reviews/${tasks.reviews[0].id}/decision`, { decision: 'approve' });
    expect(approved.status, approved.text).toBe(200);
    const sandboxed = await waitForRun(sandboxRun, ['succeeded', 'failed', 'outcome_unknown']);
    expect(sandboxed.run.status, JSON.stringify(sandboxed.run.error)).toBe('succeeded');
    expect(sandboxed.run.state.bearer_send).toMatchObject({ intercepted: true });
    expect(sandboxed.run.state.mail_read.messages.length).toBeGreaterThan(0);
    expect(sideEffectCounts()).toEqual(writesBefore);
  }, 120_000);

  it('rotates the bearer token with putSecret: the next run carries the new one, also into a call the API refuses', async () => {
    const rotated = await putSecret(keel.db, keel.secretKey, { connectorId: 'api-bearer', name: 'token', value: planted.rotated, actor: 'it@example.com' });
    expect(rotated).toMatchObject({ version: 2, created: true });
    await deployGranted('sweep-rotated', [
      { id: 'read', connector: 'api-bearer', action: 'get', with: { path: q('orders/4') } },
      { id: 'fail', connector: 'api-bearer', action: 'get', with: { path: q('fail-401') } },
    ]);
    const run = await waitForRun(await startRun('sweep-rotated'), ['succeeded', 'failed', 'outcome_unknown']);
    expect(run.run).toMatchObject({ status: 'failed', error: { code: 'action_failed' } });
    expect(targets.http.requests.filter((r) => r.path.startsWith('/bearer/')).at(-1)?.headers.authorization).toBe(`Bearer ${planted.rotated}`);
  });

  it('the targets received the real credentials, so the flows did use the planted secrets', async () => {
    const { http, slack, smtp, db } = targets;
    const authorizations = (prefix: string) => http.requests.filter((r) => r.path.startsWith(prefix)).map((r) => r.headers.authorization);
    expect(authorizations('/bearer/')).toContain(`Bearer ${planted.bearer}`);
    expect(authorizations('/bearer/')).toContain(`Bearer ${planted.rotated}`);
    expect(authorizations('/basic/')).toContain(`Basic ${Buffer.from(`sweeper:${planted.basic}`).toString('base64')}`);
    expect(http.requests.filter((r) => r.path.startsWith('/key/')).map((r) => r.headers['x-api-key'])).toContain(planted.apiKey);
    const hooks = http.requests.filter((r) => r.path === '/hooks/in');
    expect(hooks.length).toBeGreaterThan(0);
    for (const hook of hooks) expect(verifyWebhook({ headers: hook.headers, body: hook.body, secret: planted.signing, toleranceSeconds: 3600 })).toBeDefined();
    expect(slack.requests.map((r) => r.headers.authorization)).toContain(`Bearer ${planted.slackToken}`);
    expect(slack.requests.map((r) => r.path)).toContain(`/services/T0SWEEP/B0SWEEP/${planted.slackHook}`);
    expect(smtp.auths).toContainEqual({ username: 'mailer', password: planted.smtp });
    expect(smtp.messages.map((m) => m.to)).toContainEqual(['ada@customer.example']);
    expect(targets.imap.connections()).toBeGreaterThan(0);
    // Trust authentication never asks for the password; the database exists only in the planted URL.
    if (db) expect(await db.notes()).toContain('from the sweep');
  });

  it('no canary appears in any log line Keel wrote, or anything printed', () => {
    // Keel logs its start (and background failures), not each run: these lines prove the capture works.
    const messages = logLines.map((l) => (JSON.parse(l) as Json).msg as string);
    expect(messages).toContain('keel is ready');
    expect(messages.filter((m) => m === 'connector loaded')).toHaveLength(connectors.size);
    const hits = findCanaries(canaries, [
      ...logLines.map((text, i) => ({ where: `log line ${i + 1}`, text })),
      ...printed.map((text, i) => ({ where: `console output ${i + 1}`, text })),
    ]);
    expect(hits, describeHits(hits)).toEqual([]);
  });

  it('no canary appears in any API answer: every GET route, its headers and body, and the event stream', async () => {
    const swept = await sweepGetRoutes();
    for (const route of ['/api/connectors', '/api/connectors/{id}', '/api/grants', '/api/access/inventory', '/api/runs', '/api/runs/{id}', '/api/audit', '/api/audit/export']) {
      expect(swept.get(route), `GET ${route} was not called`).toContain(200);
    }
    const markdown = await api(tokens.admin, 'GET', '/api/access/inventory?format=markdown');
    expect(markdown.text).toContain('api-bearer');
    answers.push({ where: 'GET /api/events (stream)', status: 200, text: await events.stop() });
    expect(answers.at(-1)!.text).toContain('sweep-all');
    const hits = findCanaries(canaries, answers);
    expect(hits, describeHits(hits)).toEqual([]);
  }, 60_000);

  it('no canary appears in what the keel command prints', async () => {
    const runIds = [...runs.keys()];
    const commands: string[][] = [
      ['connectors'], ['connectors', '--json'], ...[...connectors.keys()].map((id) => ['connectors', 'show', id]),
      ['access', 'inventory'], ['access', 'inventory', '--markdown'], ['access', 'inventory', '--json'], ['access', 'grants'],
      ['runs'], ['runs', '--json'], ...runIds.map((id) => ['runs', 'show', id, '--json']), ['audit', 'export'],
    ];
    const printedByCli: Haystack[] = [];
    for (const argv of commands) printedByCli.push(await cli(argv));
    const hits = findCanaries(canaries, printedByCli);
    expect(hits, describeHits(hits)).toEqual([]);
  }, 60_000);

  it('no canary appears in any row of any table', async () => {
    const dump = await dumpTables();
    expect(dump.map((d) => d.where)).toEqual(expect.arrayContaining(['connectors', 'connector_secrets', 'grants', 'runs', 'step_attempts', 'audit_events'].map((t) => `table ${t}`)));
    // The sealed values are there (so the table was read), but only as ciphertext.
    expect(dump.find((d) => d.where === 'table connector_secrets')!.text).toContain('api-bearer');
    const hits = findCanaries(canaries, dump);
    expect(hits, describeHits(hits)).toEqual([]);
  });

  // Last, so the sweeps above stay about the other paths: this one names its own leak.
  it('an API echoing the credential in a 401 the way PHP writes JSON (every / as \\/) does not get it into the run', async () => {
    await deployGranted('sweep-escaped', [{ id: 'fail', connector: 'api-bearer', action: 'get', with: { path: q('fail-401-escaped') } }]);
    const runId = await startRun('sweep-escaped');
    const run = await waitForRun(runId, ['succeeded', 'failed', 'outcome_unknown']);
    expect(run.run.status).toBe('failed');
    expect(targets.http.requests.at(-1)?.headers.authorization).toBe(`Bearer ${planted.rotated}`);
    const shown: Haystack[] = [
      { where: `GET /api/runs/${runId}`, text: (await api(tokens.admin, 'GET', `/api/runs/${runId}`)).text },
      { where: 'GET /api/runs', text: (await api(tokens.admin, 'GET', '/api/runs?workflow=sweep-escaped')).text },
      await cli(['runs', 'show', runId]), await cli(['runs', 'show', runId, '--json']), ...await dumpTables(),
    ];
    const hits = findCanaries(canaries, shown);
    const leak = 'src/connectors/kinds/http-exchange.ts statusError redacts the error body by the raw, base64, URL-encoded and hex '
      + 'spellings of the credential only, so one echoed with JSON-escaped slashes stays in the step error\'s details.body';
    expect(hits, `${leak}:\n${describeHits(hits)}`).toEqual([]);
  });

  /** Every row of every table of Keel's schema, as JSON, a haystack per table. */
  async function dumpTables(): Promise<Haystack[]> {
    const tables = await keel.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`);
    const dump: Haystack[] = [];
    for (const { table_name: name } of tables.rows) {
      const rows = await keel.db.query<{ row: unknown }>(`SELECT row_to_json(t) AS row FROM "${name}" t`);
      dump.push({ where: `table ${name}`, text: rows.rows.map((r) => JSON.stringify(r.row)).join('\n') });
    }
    return dump;
  }

  /** Runs the `keel` command in-process against this server as the admin; what it printed, both streams. */
  async function cli(argv: string[]): Promise<Haystack> {
    const out: string[] = [];
    const code = await keelCli(argv, { KEEL_URL: keel.url, KEEL_TOKEN: tokens.admin }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code, `keel ${argv.join(' ')}: ${out.join('\n')}`).toBe(0);
    return { where: `keel ${argv.join(' ')}`, text: out.join('\n') };
  }

  /** Counts of what the side effects leave at the targets (reads excluded). */
  function sideEffectCounts() {
    return {
      httpWrites: targets.http.requests.filter((r) => r.method !== 'GET').length,
      slack: targets.slack.requests.length,
      mail: targets.smtp.messages.length,
      folder: targets.folder.digest(),
    };
  }

  /** Calls every GET route of the OpenAPI document, each path parameter filled with every id there is; answers route -> statuses. */
  async function sweepGetRoutes(): Promise<Map<string, number[]>> {
    const { json: doc } = await api(tokens.admin, 'GET', '/openapi.json');
    const { json: runList } = await api(tokens.admin, 'GET', '/api/runs?limit=500');
    const { json: reviewList } = await api(tokens.admin, 'GET', '/api/reviews?limit=500');
    const { json: workflowList } = await api(tokens.admin, 'GET', '/api/workflows');
    const { json: userList } = await api(tokens.admin, 'GET', '/api/users');
    const ids: Record<string, string[]> = {
      connectors: [...connectors.keys()], runs: runList.runs.map((r: Json) => r.id), reviews: reviewList.reviews.map((r: Json) => r.id),
      workflows: workflowList.workflows.map((w: Json) => w.id), users: userList.users.map((u: Json) => u.id), versions: ['1'], datasets: ['default'],
    };
    const statuses = new Map<string, number[]>();
    for (const [route, operations] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      if (!('get' in operations) || route === '/api/events') continue; // the stream is read during the flows
      for (const path of expandRoute(route, ids)) {
        const { status } = await api(tokens.admin, 'GET', path);
        statuses.set(route, [...(statuses.get(route) ?? []), status]);
      }
    }
    for (const path of ['/healthz', '/docs']) await api(tokens.admin, 'GET', path);
    return statuses;
  }
});

/** What is searched for: each planted value, with the strings built from it. */
function canaryList(imapPassword: string, dbUrl: string | undefined): Canary[] {
  const inner = planted.signing.slice('whsec_'.length);
  return [
    { label: 'http bearer token', value: planted.bearer },
    { label: 'http bearer token (rotated)', value: planted.rotated },
    { label: 'http basic password', value: planted.basic, derived: { 'user:password': `sweeper:${planted.basic}` } },
    { label: 'http api key', value: planted.apiKey },
    { label: 'webhook signing secret', value: planted.signing, derived: { 'its key': inner } },
    { label: 'slack bot token', value: planted.slackToken },
    { label: 'slack incoming webhook URL (its secret path)', value: planted.slackHook },
    { label: 'smtp password', value: planted.smtp, derived: { 'AUTH PLAIN': `\0mailer\0${planted.smtp}` } },
    // Dovecot's test account has a password of its own (test/support/dovecot.ts), distinct per start.
    { label: 'imap password', value: imapPassword, derived: { 'AUTH PLAIN': `\0keel\0${imapPassword}` } },
    ...(dbUrl ? [{ label: 'postgres password', value: planted.db, derived: { 'connection URL': dbUrl } }] : []),
    { label: 'instance key (KEEL_SECRET_KEY)', value: planted.instanceKey, derived: { 'its bytes as base64': Buffer.from(planted.instanceKey, 'hex').toString('base64') } },
  ];
}
