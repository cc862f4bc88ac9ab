// The `http` connector kind against a real HTTP server on loopback: each auth type as the server
// sees it, idempotency keys on writes, delivery classes, check-then-act, status mapping, paths that
// try to leave the base URL (refused before any socket opens), and the credential kept out of
// answers, errors and render output. The loopback server is allow-listed explicitly, as a
// connector's allow_hosts would be; the private-address test injects a resolver so no socket opens.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createEgressClient, type EgressClientOptions } from '../../src/connectors/index.js';
import type { ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { httpKind } from '../../src/connectors/kinds/http.js';
import { KeelError, serializeError } from '../../src/errors.js';
import { watchLoopback } from '../support/loopback-watch.js';

interface Seen { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }
interface Api { port: number; origin: string; seen: Seen[] }
type Handler = (req: Seen, res: http.ServerResponse) => void;

const secrets: Record<string, string> = { 'api-token': 'tok-CANARY-bearer-7f3a9c', 'api-password': 'pw-CANARY-basic-51d2e8', 'api-key': 'key-CANARY-apikey-90b4' };
const key = 'run-42.step-post.visit-1';
const { servers, sockets } = watchLoopback();

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};
/** By default the server echoes what it received, as debugging APIs do: the worst case for leaks. */
const echo: Handler = (req, res) => json(res, 200, { method: req.method, url: req.url, headers: req.headers, body: req.body });

async function startApi(handle: Handler = echo): Promise<Api> {
  const api: Api = { port: 0, origin: '', seen: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      api.seen.push(seen);
      handle(seen, res);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  api.port = (server.address() as AddressInfo).port;
  api.origin = `http://127.0.0.1:${api.port}`;
  return api;
}

function contextFor(api: Api | undefined, egress: EgressClientOptions = {}): ConnectorContext {
  return {
    secret: (name) => {
      const value = secrets[name];
      return value === undefined ? Promise.reject(new KeelError('misconfigured', `secret ${name} is not set`)) : Promise.resolve(value);
    },
    egress: createEgressClient({ allowHosts: api ? [`127.0.0.1:${api.port}`] : [], ...egress }),
    idempotencyKey: key,
    signal: new AbortController().signal,
  };
}

function action(name: 'get' | 'send') {
  const found = httpKind.actions[name];
  if (!found) throw new Error(`no action ${name}`);
  return found;
}

async function call(name: 'get' | 'send', rawConfig: unknown, rawInput: unknown, context: ConnectorContext): Promise<unknown> {
  const config = httpKind.config.parse(rawConfig);
  return action(name).run({ config, input: action(name).input.parse(rawInput), context });
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

/** Everything an error could expose: the stored shape, the message, and every cause's message. */
function exposed(error: unknown): string {
  const causes: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) causes.push(e.message, e.stack ?? '');
  return JSON.stringify({ stored: serializeError(error), causes });
}

function expectNoSecret(text: string): void {
  for (const value of Object.values(secrets)) {
    for (const form of [value, Buffer.from(value).toString('base64'), encodeURIComponent(value), Buffer.from(value).toString('hex')]) {
      expect(text).not.toContain(form);
    }
  }
  expect(text).not.toContain(Buffer.from(`svc-user:${secrets['api-password']}`).toString('base64'));
}

const auths = [
  { name: 'bearer', auth: { type: 'bearer', token_secret: 'api-token' }, header: 'authorization', expected: `Bearer ${secrets['api-token']}` },
  { name: 'basic', auth: { type: 'basic', username: 'svc-user', password_secret: 'api-password' }, header: 'authorization', expected: `Basic ${Buffer.from(`svc-user:${secrets['api-password']}`).toString('base64')}` },
  { name: 'api_key (default header)', auth: { type: 'api_key', key_secret: 'api-key' }, header: 'x-api-key', expected: secrets['api-key'] },
  { name: 'api_key (own header)', auth: { type: 'api_key', header: 'X-Service-Key', key_secret: 'api-key' }, header: 'x-service-key', expected: secrets['api-key'] },
] as const;

describe('http connector: config', () => {
  it('defaults to unsafe writes with an Idempotency-Key header and no auth', () => {
    const config = httpKind.config.parse({ base_url: 'https://api.example.com/v1' });
    expect(config).toMatchObject({ write_delivery: 'unsafe', idempotency_header: 'Idempotency-Key', auth: { type: 'none' }, timeout_ms: 30_000 });
    expect(action('get').delivery).toBe('idempotent');
    const delivery = action('send').delivery;
    expect(typeof delivery === 'function' ? delivery(config) : delivery).toBe('unsafe');
  });

  it('takes the write delivery class from the owner and checks it can hold', () => {
    const delivery = action('send').delivery as (c: unknown) => string;
    expect(delivery(httpKind.config.parse({ base_url: 'https://a.example', write_delivery: 'idempotent' }))).toBe('idempotent');
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', write_delivery: 'idempotent', idempotency_header: null }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', write_delivery: 'check-then-act' }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', write_delivery: 'check-then-act', check_path: '/orders/1' }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', write_delivery: 'check-then-act', check_path: '//evil.example/{idempotency_key}' }).success).toBe(false);
  });

  it('refuses credentials outside *_secret settings and names the secrets it needs', () => {
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', headers: { Authorization: 'Bearer x' } }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'https://user:pw@a.example' }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'https://a.example', auth: { type: 'api_key', key_secret: 'k' }, headers: { 'X-API-Key': 'v' } }).success).toBe(false);
    expect(httpKind.config.safeParse({ base_url: 'ftp://a.example' }).success).toBe(false);
    for (const { auth } of auths) {
      const config = httpKind.config.parse({ base_url: 'https://a.example', auth });
      expect(httpKind.secretNames(config)).toEqual([Object.entries(auth).find(([k]) => k.endsWith('_secret'))?.[1]]);
    }
  });
});

describe('http connector: requests', () => {
  it.each(auths)('authenticates with $name as the server checks it, and keeps the credential out of the answer', async ({ auth, header, expected }) => {
    const api = await startApi((req, res) => {
      if (req.headers[header] !== expected) return json(res, 401, { error: 'bad credential', got: req.headers[header] ?? null });
      res.setHeader('set-cookie', 'session=abc');
      res.setHeader(header, String(req.headers[header]));
      json(res, 200, { ok: true, echoed: req.headers });
    });
    const answer = await call('get', { base_url: `${api.origin}/v1/`, auth }, { path: '/items', query: { q: 'shoes', page: 2 } }, contextFor(api));
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    expect(api.seen[0]?.url).toBe('/v1/items?q=shoes&page=2');
    const { headers } = answer as { headers: Record<string, string> };
    expect(headers['set-cookie']).toBeUndefined();
    expect(headers[header]).toBeUndefined();
    expectNoSecret(JSON.stringify(answer));
  });

  it('answers a text body as text and an empty body as null', async () => {
    const api = await startApi((req, res) => (req.url === '/empty' ? res.writeHead(204).end() : res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words')));
    const context = contextFor(api);
    expect(await call('get', { base_url: api.origin }, { path: 'text' }, context)).toMatchObject({ status: 200, body: 'plain words', headers: { 'content-type': 'text/plain' } });
    expect(await call('get', { base_url: api.origin }, { path: 'empty' }, context)).toMatchObject({ status: 204, body: null });
  });

  it('sends a write as JSON with the run idempotency key in the configured header, and none on reads', async () => {
    const api = await startApi();
    const context = contextFor(api);
    await call('send', { base_url: api.origin }, { method: 'POST', path: '/orders', body: { sku: 'A-1', qty: 2 } }, context);
    await call('send', { base_url: api.origin, idempotency_header: 'X-Request-Key' }, { method: 'PATCH', path: '/orders/7', body: { qty: 3 } }, context);
    await call('send', { base_url: api.origin, idempotency_header: null }, { method: 'DELETE', path: '/orders/7' }, context);
    await call('get', { base_url: api.origin }, { path: '/orders' }, context);
    const [post, patch, del, get] = api.seen;
    expect(post).toMatchObject({ method: 'POST', url: '/orders', body: '{"sku":"A-1","qty":2}' });
    expect(post?.headers).toMatchObject({ 'idempotency-key': key, 'content-type': 'application/json' });
    expect(patch?.headers['x-request-key']).toBe(key);
    expect(patch?.headers['idempotency-key']).toBeUndefined();
    expect(del?.headers['idempotency-key']).toBeUndefined();
    expect(del?.headers['content-type']).toBeUndefined();
    expect(get?.headers['idempotency-key']).toBeUndefined();
  });

  it('fills {idempotency_key} in a write path, for APIs where a PUT to our own reference is the idempotent write', async () => {
    const api = await startApi();
    await call('send', { base_url: `${api.origin}/api` }, { method: 'PUT', path: 'orders/{idempotency_key}', body: {} }, contextFor(api));
    expect(api.seen[0]?.url).toBe(`/api/orders/${encodeURIComponent(key)}`);
  });

  it('check-then-act: the check path answers 404 before our write exists and 200 after', async () => {
    const created = new Set<string>();
    const api = await startApi((req, res) => {
      const ref = decodeURIComponent(req.url.split('/').pop() ?? '');
      if (req.method === 'GET') return created.has(ref) ? json(res, 200, { id: ref }) : json(res, 404, { error: 'no such order' });
      created.add(String(req.headers['idempotency-key']));
      json(res, 201, { id: req.headers['idempotency-key'] });
    });
    const config = httpKind.config.parse({ base_url: api.origin, write_delivery: 'check-then-act', check_path: '/orders/by-ref/{idempotency_key}' });
    const send = action('send');
    const context = contextFor(api);
    expect(typeof send.delivery === 'function' ? send.delivery(config) : send.delivery).toBe('check-then-act');
    const input = send.input.parse({ method: 'POST', path: '/orders', body: { sku: 'A-1' } });
    expect(await send.check?.({ config, input, context })).toEqual({ exists: false });
    await send.run({ config, input, context });
    expect(await send.check?.({ config, input, context })).toMatchObject({ exists: true, output: { status: 200, body: { id: key } } });
    expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual([`GET /orders/by-ref/${encodeURIComponent(key)}`, 'POST /orders', `GET /orders/by-ref/${encodeURIComponent(key)}`]);
  });

  it('refuses a check on a connector not configured for check-then-act', async () => {
    const config = httpKind.config.parse({ base_url: 'https://a.example' });
    const input = action('send').input.parse({ method: 'POST', path: '/x' });
    expect((await failure(action('send').check!({ config, input, context: contextFor(undefined) }))).code).toBe('misconfigured');
  });
});

describe('http connector: statuses', () => {
  it.each([
    { status: 503, headers: { 'retry-after': '7' }, code: 'action_failed', retriable: true, retryAfterMs: 7000, sent: true },
    { status: 500, headers: {}, code: 'action_failed', retriable: true, retryAfterMs: undefined, sent: true },
    { status: 429, headers: { 'retry-after': '2' }, code: 'provider_rate_limited', retriable: true, retryAfterMs: 2000, sent: false },
    { status: 408, headers: {}, code: 'action_failed', retriable: true, retryAfterMs: undefined, sent: false },
    { status: 425, headers: {}, code: 'action_failed', retriable: true, retryAfterMs: undefined, sent: false },
    { status: 400, headers: {}, code: 'action_failed', retriable: false, retryAfterMs: undefined, sent: true },
    { status: 403, headers: { 'retry-after': '9' }, code: 'action_failed', retriable: false, retryAfterMs: undefined, sent: true },
    { status: 422, headers: {}, code: 'action_failed', retriable: false, retryAfterMs: undefined, sent: true },
  ])('maps HTTP $status to $code, retriable $retriable', async ({ status, headers, code, retriable, retryAfterMs, sent }) => {
    const api = await startApi((req, res) => json(res, status, { error: 'no', your_headers: req.headers }, headers as Record<string, string>));
    const auth = { type: 'bearer', token_secret: 'api-token' };
    const error = await failure(call('send', { base_url: api.origin, auth }, { method: 'POST', path: '/orders', body: { a: 1 } }, contextFor(api)));
    expect(error).toMatchObject({ code, retriable, retryAfterMs, details: { status, sent } });
    expect(error.message).toContain(String(status));
    expect(String(error.details?.body)).toContain('[redacted]');
    expectNoSecret(exposed(error));
  });

  it('times out within timeout_ms with an error that carries no credential', async () => {
    const api = await startApi((_req, res) => setTimeout(() => json(res, 200, {}), 2000));
    const auth = { type: 'basic', username: 'svc-user', password_secret: 'api-password' };
    const error = await failure(call('get', { base_url: api.origin, auth, timeout_ms: 150 }, { path: '/slow' }, contextFor(api)));
    expect(error.code).toBe('step_timeout');
    expectNoSecret(exposed(error));
  });
});

describe('http connector: the base URL is a boundary', () => {
  it.each([
    'https://evil.example/steal',
    'HTTP://127.0.0.1:1/x',
    '//evil.example/steal',
    '///evil.example/steal',
    '/\\evil.example/steal',
    '\\\\evil.example\\steal',
    '/\t/evil.example/steal',
    '../admin',
    '/v1/../admin',
    'items/../../admin',
    '%2e%2e/admin',
    '.%2E/admin',
    'items%2F..%2F..%2Fadmin',
    '%252e%252e/admin',
  ])('refuses path %j before any request is sent', async (path) => {
    const api = await startApi();
    const config = { base_url: `${api.origin}/v1/`, auth: { type: 'bearer', token_secret: 'api-token' } };
    const error = await failure(call('send', config, { method: 'POST', path, body: {} }, contextFor(api)));
    expect(error).toMatchObject({ code: 'invalid_input', retriable: false, details: { sent: false } });
    expect(api.seen).toEqual([]);
    expect(sockets()).toBe(0);
    expectNoSecret(exposed(error));
  });

  it.each([
    ['/items', '/v1/items'],
    ['items', '/v1/items'],
    ['', '/v1/'],
    ['projects/group%2Fproject', '/v1/projects/group%2Fproject'],
    ['documents:batchGet', '/v1/documents:batchGet'],
    ['items/./7?expand=1', '/v1/items/7?expand=1'],
  ])('keeps path %j under the base URL as %s', async (path, expected) => {
    const api = await startApi();
    await call('get', { base_url: `${api.origin}/v1` }, { path }, contextFor(api));
    expect(api.seen[0]?.url).toBe(expected);
  });

  it('refuses a base URL on a private address that is not allow-listed, before any socket opens', async () => {
    const resolved: string[] = [];
    const context = contextFor(undefined, { resolve: (host) => (resolved.push(host), Promise.resolve(['10.0.0.5'])) });
    const config = { base_url: 'http://billing.internal.example.test/api', auth: { type: 'bearer', token_secret: 'api-token' } };
    const error = await failure(call('get', config, { path: '/invoices' }, context));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('10.0.0.5');
    expect(resolved).toEqual(['billing.internal.example.test']);
    const metadata = await failure(call('get', { base_url: 'http://169.254.169.254/latest' }, { path: 'meta-data' }, context));
    expect(metadata.code).toBe('egress_refused');
    expect(sockets()).toBe(0);
    expectNoSecret(exposed(error));
  });
});

describe('http connector: render', () => {
  it.each(auths)('shows method, full URL, headers and body with $name as a placeholder, never the value', ({ auth, header }) => {
    const config = httpKind.config.parse({ base_url: 'https://api.example.com/v1?api-version=3', auth, headers: { 'X-Team': 'ops' } });
    const input = action('send').input.parse({ method: 'PUT', path: '/orders/{idempotency_key}', query: { notify: true }, body: { sku: 'A-1' } });
    const rendered = action('send').render(config, input) as { headers: Record<string, string> };
    expect(rendered).toMatchObject({
      method: 'PUT',
      url: 'https://api.example.com/v1/orders/{idempotency_key}?api-version=3&notify=true',
      headers: { 'X-Team': 'ops', 'content-type': 'application/json', 'Idempotency-Key': '<the run idempotency key>' },
      body: { sku: 'A-1' },
    });
    expect(rendered.headers[header]).toMatch(/^<.*secret api-(token|password|key)>$/);
    expectNoSecret(JSON.stringify(rendered));
  });
});
