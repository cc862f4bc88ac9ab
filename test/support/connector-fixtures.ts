// Real targets on loopback for every connector kind, a fixture per kind (config, secrets, a valid
// input per action, and a way to tell whether anything reached the target), and for the secret
// sweep: workflows of action steps, route expansion and the canary search. The targets record what
// they received, so a test can prove both that a refused call sent nothing and that an allowed one
// carried the real credential.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { stringify } from 'yaml';
import { connectorKinds } from '../../src/connectors/index.js';
import { createPostgresDatabase, postgresTestUrl } from './databases.js';
import { connectMailboxOwner, startDovecot } from './dovecot.js';

// ---- targets ---------------------------------------------------------------------------------

export interface SeenRequest { method: string; path: string; headers: Record<string, string>; body: string }

async function listen(server: Server | net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server | net.Server): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function seen(req: IncomingMessage, body: string): SeenRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  return { method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname, headers, body };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
}

export interface HttpTarget { url: string; requests: SeenRequest[]; close(): Promise<void> }

/**
 * An echo API, like httpbin: 200 with the request it got, headers included, since real APIs do
 * send a credential back. `.../fail-401` and `.../fail-500` (or a body with `"fail": true`) answer
 * errors that quote the credential, so Keel's error paths hold it in flight too, and
 * `.../fail-401-escaped` answers as PHP's json_encode writes by default: every `/` as `\/`.
 */
export async function startHttpTarget(): Promise<HttpTarget> {
  const requests: SeenRequest[] = [];
  const server = createHttpServer((req, res) => {
    void readBody(req).then((body) => {
      const got = seen(req, body);
      requests.push(got);
      const credential = got.headers.authorization ?? got.headers['x-api-key'] ?? '';
      if (got.path.endsWith('/fail-401')) return reply(res, 401, { error: 'invalid_credentials', received: credential });
      if (got.path.endsWith('/fail-401-escaped')) {
        const php = JSON.stringify({ error: 'invalid_credentials', received: credential }).replaceAll('/', '\\/');
        return void res.writeHead(401, { 'content-type': 'application/json' }).end(php);
      }
      if (got.path.endsWith('/fail-500') || /"fail":\s*true/.test(body)) return reply(res, 500, `upstream failed while handling ${credential}`);
      reply(res, 200, { ok: true, method: got.method, path: got.path, headers: got.headers, body });
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, close: () => closeServer(server) };
}

export interface SlackTarget { api: string; hook: string; requests: SeenRequest[]; close(): Promise<void> }

/**
 * The Slack Web API's shape (Bearer token, form bodies, `ok` answers) and one incoming webhook at
 * `hookPath`. A post to channel C0FAILING answers 500 quoting the token, like a debugging proxy.
 */
export async function startSlackTarget(token: string, hookPath: string): Promise<SlackTarget> {
  const requests: SeenRequest[] = [];
  let counter = 0;
  const server = createHttpServer((req, res) => {
    void readBody(req).then((raw) => {
      const got = seen(req, raw);
      requests.push(got);
      if (got.path === hookPath) return reply(res, 200, 'ok');
      const body: Record<string, unknown> = got.headers['content-type']?.startsWith('application/json') ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw));
      if (got.headers.authorization !== `Bearer ${token}`) return reply(res, 200, { ok: false, error: 'invalid_auth' });
      const method = got.path.replace(/^\/api\//, '');
      if (method === 'chat.postMessage' && body.channel === 'C0FAILING') return reply(res, 500, `proxy error for ${got.headers.authorization}`);
      if (method === 'chat.postMessage' || method === 'chat.update') {
        const ts = typeof body.ts === 'string' ? body.ts : `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`;
        return reply(res, 200, { ok: true, channel: body.channel, ts });
      }
      if (method.startsWith('conversations.')) return reply(res, 200, { ok: true, messages: [], has_more: false });
      reply(res, 200, { ok: false, error: 'unknown_method' });
    });
  });
  const origin = `http://127.0.0.1:${await listen(server)}`;
  return { api: `${origin}/api/`, hook: `${origin}${hookPath}`, requests, close: () => closeServer(server) };
}

export interface SmtpTarget {
  port: number;
  connections(): number;
  auths: { username: string; password: string }[];
  messages: { from: string; to: string[]; raw: string }[];
  close(): Promise<void>;
}

/**
 * An SMTP server on loopback; a recipient nobody@... is refused with 550. With an account, AUTH is
 * required and checked; without one (null), any sender may send, as the demo's mail sink does.
 */
export async function startSmtpTarget(username: string | null, password = ''): Promise<SmtpTarget> {
  let connections = 0;
  const auths: SmtpTarget['auths'] = [];
  const messages: SmtpTarget['messages'] = [];
  const server = new SMTPServer({
    logger: false, authOptional: username === null, allowInsecureAuth: true, disabledCommands: ['STARTTLS'],
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      auths.push({ username: auth.username ?? '', password: auth.password ?? '' });
      if (auth.username === username && auth.password === password) callback(null, { user: username });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('nobody@')) callback(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        messages.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, connections: () => connections, auths, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface CountingProxy { port: number; connections(): number; close(): Promise<void> }

/** A TCP relay to a loopback port that counts connections: how an IMAP or SQL target shows it was reached. */
export async function countingProxy(upstreamPort: number): Promise<CountingProxy> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    count++;
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', end);
      socket.on('close', () => {
        sockets.delete(socket);
        end();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await listen(server);
  return {
    port, connections: () => count,
    async close() {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

export interface ImapTarget { port: number; username: string; password: string; connections(): number; stop(): Promise<void> }

/** Dovecot (test/support/dovecot.ts) with one message in INBOX whose subject is `subject`, behind a counting relay. */
export async function startImapTarget(subject: string): Promise<ImapTarget> {
  const dovecot = await startDovecot();
  const admin = await connectMailboxOwner(dovecot);
  await admin.append('INBOX', `From: Ada <ada@customer.example>\r\nTo: help@keel.example\r\nSubject: ${subject}\r\nMessage-ID: <marker@customer.example>\r\n\r\nWhere is my order?\r\n`);
  await admin.logout();
  const proxy = await countingProxy(dovecot.port);
  return {
    port: proxy.port, username: dovecot.username, password: dovecot.password, connections: proxy.connections,
    async stop() {
      await proxy.close();
      await dovecot.stop();
    },
  };
}

export interface PostgresTarget {
  /** The connection URL with `password`, through a counting relay, to a database made for this target. */
  url: string;
  database: string;
  connections(): number;
  /** The bodies in its `notes` table, in order. */
  notes(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * A fresh database on the test PostgreSQL (KEEL_TEST_DATABASE_URL) with a `notes` table holding
 * 'seed note'; undefined when no PostgreSQL is configured. Loopback PostgreSQL trusts any password,
 * so a planted one still connects (and is never sent: the database name in the URL proves the URL
 * was used).
 */
export async function startPostgresTarget(password: string): Promise<PostgresTarget | undefined> {
  if (!postgresTestUrl) return undefined;
  const created = await createPostgresDatabase(postgresTestUrl);
  const admin = new pg.Client({ connectionString: created.url });
  await admin.connect();
  await admin.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  await admin.query("INSERT INTO notes (body) VALUES ('seed note')");
  const url = new URL(created.url);
  const proxy = await countingProxy(Number(url.port || 5432));
  url.port = String(proxy.port);
  url.password = password;
  return {
    url: url.toString(), database: url.pathname.slice(1), connections: proxy.connections,
    notes: async () => (await admin.query<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body),
    async stop() {
      await admin.end();
      await proxy.close();
      await created.drop();
    },
  };
}

export interface FolderTarget { root: string; digest(): string; stop(): Promise<void> }

/** A temporary folder holding template.md; its digest covers every path and content below it. */
export function startFolderTarget(): FolderTarget {
  const root = mkdtempSync(join(tmpdir(), 'keel-files-target-'));
  writeFileSync(join(root, 'template.md'), 'Dear {name}');
  const walk = (dir: string): string[] => readdirSync(dir).sort().flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? [`${relative(root, full)}/`, ...walk(full)] : [`${relative(root, full)}:${createHash('sha256').update(readFileSync(full)).digest('hex')}`];
  });
  return { root, digest: () => walk(root).join('\n'), stop: async () => rmSync(root, { recursive: true, force: true }) };
}

// ---- one fixture per kind --------------------------------------------------------------------

export interface KindFixture {
  /** The connector's settings (secret names only), pointing at its loopback target. */
  config: Record<string, unknown>;
  /** The secret values the config names. */
  secrets: Record<string, string>;
  /** A valid input for each action; `tag` makes each call's effect distinct. */
  inputs: Record<string, (tag: string) => unknown>;
  /** For reads: text their output holds when they really read the target. */
  shows: Record<string, string>;
  /** Everything that reached the target so far (requests, connections, rows, or the folder's digest). */
  reached(): Promise<string>;
  stop(): Promise<void>;
}

const marker = 'Order 1234 marker';

/** Per kind, how to stand up its target; undefined when the target is not available here (PostgreSQL). */
export const kindFixtures: Readonly<Record<string, () => Promise<KindFixture | undefined>>> = {
  async http() {
    const target = await startHttpTarget();
    return {
      config: { base_url: `${target.url}/api/`, auth: { type: 'bearer', token_secret: 'token' } },
      secrets: { token: 'every-action-http-token' },
      inputs: { get: () => ({ path: 'orders/1234' }), send: (tag) => ({ method: 'POST', path: 'orders', body: { tag } }) },
      shows: { get: '/api/orders/1234' },
      reached: async () => String(target.requests.length),
      stop: target.close,
    };
  },
  async webhook() {
    const target = await startHttpTarget();
    return {
      config: { url: `${target.url}/hooks/in`, signing_secret: 'signing' },
      secrets: { signing: `whsec_${Buffer.from('every-action-signing-key-32-bytes').toString('base64')}` },
      inputs: { send: (tag) => ({ event_type: 'order.created', payload: { tag } }) },
      shows: {},
      reached: async () => String(target.requests.length),
      stop: target.close,
    };
  },
  async slack() {
    const target = await startSlackTarget('xoxb-every-action-token', '/services/T0/B0/every-action-hook');
    return {
      config: { bot_token_secret: 'bot', api_url: target.api, incoming_webhook_secret: 'hook' },
      secrets: { bot: 'xoxb-every-action-token', hook: target.hook },
      inputs: {
        post: (tag) => ({ channel: 'C0EVERYACT', text: `posted ${tag}` }),
        update: (tag) => ({ channel: 'C0EVERYACT', ts: '1700000000.000100', text: `updated ${tag}` }),
        webhook_post: (tag) => ({ text: `hooked ${tag}` }),
      },
      shows: {},
      reached: async () => String(target.requests.length),
      stop: target.close,
    };
  },
  async email() {
    const smtp = await startSmtpTarget('mailer', 'every-action-smtp-password');
    const imap = await startImapTarget(marker);
    return {
      config: {
        smtp: { host: '127.0.0.1', port: smtp.port, starttls: 'never', username: 'mailer', password_secret: 'smtp', from: 'Keel <help@keel.example>' },
        imap: { host: '127.0.0.1', port: imap.port, starttls: 'never', username: imap.username, password_secret: 'imap' },
      },
      secrets: { smtp: 'every-action-smtp-password', imap: imap.password },
      inputs: { send: (tag) => ({ to: ['ada@customer.example'], subject: `Re: ${tag}`, text: 'It ships today.' }), fetch_new: () => ({}) },
      shows: { fetch_new: marker },
      reached: async () => `smtp ${smtp.connections()}/${smtp.messages.length}, imap ${imap.connections()}`,
      async stop() {
        await smtp.close();
        await imap.stop();
      },
    };
  },
  async postgres() {
    const target = await startPostgresTarget('every-action-db-password');
    if (!target) return undefined;
    return {
      config: {
        url_secret: 'url',
        statements: {
          list_notes: { sql: 'SELECT id, body FROM notes ORDER BY id', mode: 'read' },
          add_note: { sql: 'INSERT INTO notes (body) VALUES ($1)', mode: 'write' },
        },
      },
      secrets: { url: target.url },
      inputs: { query: () => ({ statement: 'list_notes' }), execute: (tag) => ({ statement: 'add_note', params: [tag] }) },
      shows: { query: 'seed note' },
      reached: async () => `connections ${target.connections()}, notes ${(await target.notes()).join('|')}`,
      stop: target.stop,
    };
  },
  async files() {
    const target = startFolderTarget();
    mkdirSync(join(target.root, 'kits'));
    return {
      config: { root: target.root },
      secrets: {},
      inputs: { read: () => ({ path: 'template.md' }), list: () => ({}), write: (tag) => ({ path: `kits/${tag}.md`, content: `Welcome, ${tag}` }) },
      shows: { read: 'Dear {name}', list: 'template.md' },
      reached: async () => target.digest(),
      stop: target.stop,
    };
  },
};

// ---- workflows and routes ---------------------------------------------------------------------

/** A step of a generated workflow: `with` strings are JSONata, so literals are quoted with q(). */
export interface ActionStep { id: string; connector: string; action: string; with: Record<string, unknown>; retry?: Record<string, unknown> }
export const q = (text: string): string => JSON.stringify(text);

/** A workflow file of action steps, each with its action's own delivery class, listing the access they need. */
export function actionWorkflow(id: string, steps: ActionStep[], connectors: ReadonlyMap<string, { kind: string; config: Record<string, unknown> }>): string {
  const access = new Map<string, Set<string>>();
  const actionSteps = steps.map((s) => {
    const { kind, config } = connectors.get(s.connector)!;
    const definition = connectorKinds.get(kind)!;
    const action = definition.actions[s.action]!;
    access.set(s.connector, (access.get(s.connector) ?? new Set()).add(action.scope));
    const delivery = typeof action.delivery === 'function' ? action.delivery(definition.config.parse(config)) : action.delivery;
    return { id: s.id, kind: 'action', connector: s.connector, action: s.action, delivery, with: s.with, ...(s.retry ? { retry: s.retry } : {}) };
  });
  return stringify({
    id, title: id, owner: 'ops@example.com', risk: 'low', triggers: [{ manual: {} }], input: { type: 'object' }, steps: actionSteps,
    access: [...access].map(([connector, scopes]) => ({ connector, scopes: [...scopes] })),
  });
}

/** Every path a route with {params} stands for: each parameter takes every id of the collection named before it. */
export function expandRoute(route: string, ids: Record<string, string[]>): string[] {
  let paths = [''];
  const segments = route.split('/').slice(1);
  segments.forEach((segment, i) => {
    const values = segment.startsWith('{') ? (ids[segments[i - 1] ?? ''] ?? ['unknown']) : [segment];
    paths = paths.flatMap((p) => values.map((v) => `${p}/${encodeURIComponent(v)}`));
  });
  return paths;
}

// ---- canaries ---------------------------------------------------------------------------------

export interface Canary {
  /** What it stands for, e.g. "http bearer token". */
  label: string;
  value: string;
  /** Other strings that carry the secret, each searched in every form too (e.g. `user:password`). */
  derived?: Record<string, string>;
}

/** Every spelling in which a value could leak: raw, base64 (standard, url-safe), URL-encoded, hex. */
function spellings(text: string): Record<string, string> {
  const bytes = Buffer.from(text, 'utf8');
  return {
    raw: text,
    base64: bytes.toString('base64'),
    'base64 (unpadded)': bytes.toString('base64').replace(/=+$/, ''),
    base64url: bytes.toString('base64url'),
    'url-encoded': encodeURIComponent(text),
    hex: bytes.toString('hex'),
    HEX: bytes.toString('hex').toUpperCase(),
  };
}

/** The canary's forms, named ("raw", "base64 of user:password", ...), without duplicates. */
export function canaryForms(canary: Canary): { form: string; text: string }[] {
  const forms = new Map<string, string>();
  const add = (prefix: string, text: string) => {
    for (const [name, form] of Object.entries(spellings(text))) if (![...forms.values()].includes(form)) forms.set(`${name}${prefix}`, form);
  };
  add('', canary.value);
  for (const [name, text] of Object.entries(canary.derived ?? {})) add(` of ${name}`, text);
  return [...forms].map(([form, text]) => ({ form, text }));
}

export interface Haystack { where: string; text: string }
export interface CanaryHit { canary: string; form: string; where: string; excerpt: string }

/**
 * Every place any form of any canary appears, with a little context to find it. Each haystack is
 * also read with its backslashes removed: JSON (once or twice encoded, or PHP's `\/`) must not hide
 * a canary that contains a `/` or a `+`, and no canary contains a backslash.
 */
export function findCanaries(canaries: readonly Canary[], haystacks: readonly Haystack[]): CanaryHit[] {
  const hits: CanaryHit[] = [];
  for (const canary of canaries) {
    const forms = canaryForms(canary);
    for (const { where, text } of haystacks) {
      const unescaped = text.replaceAll('\\', '');
      for (const { form, text: needle } of forms) {
        const [found, spelled] = text.includes(needle) ? [text, form] : unescaped.includes(needle) ? [unescaped, `${form}, once backslash escapes are removed`] : [undefined, form];
        if (found === undefined) continue;
        const at = found.indexOf(needle);
        hits.push({ canary: canary.label, form: spelled, where, excerpt: found.slice(Math.max(0, at - 60), at + needle.length + 60) });
      }
    }
  }
  return hits;
}

/** One line per hit, for a failure message that says where each leak is. */
export function describeHits(hits: readonly CanaryHit[]): string {
  return hits.map((h) => `${h.canary} (${h.form}) in ${h.where}: …${h.excerpt.replace(/\s+/g, ' ')}…`).join('\n');
}

/** A value derived from the seed and a label: the same seed gives the same canaries, so a failure can be replayed. */
export function seededBytes(seed: string, label: string, length = 18): Buffer {
  return createHash('sha256').update(`${seed}:${label}`).digest().subarray(0, length);
}
