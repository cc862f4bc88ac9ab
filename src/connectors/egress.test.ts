import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { watchLoopback } from '../../test/support/loopback-watch.js';
import { KeelError } from '../errors.js';
import { createEgressClient, type EgressClientOptions } from './egress.js';
import { createEgressPolicy } from './egress-policy.js';

// Every test talks to loopback servers only. Refusal tests also count client sockets created
// (Node publishes each new one on 'net.client.socket') to prove refusal happens before any socket.

interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface LoopbackServer {
  port: number;
  origin: string;
  connections: number;
  requests: SeenRequest[];
}

const { servers, sockets } = watchLoopback();

async function startServer(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void): Promise<LoopbackServer> {
  const state: LoopbackServer = { port: 0, origin: '', connections: 0, requests: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => state.connections++);
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  state.port = (server.address() as AddressInfo).port;
  state.origin = `http://127.0.0.1:${state.port}`;
  return state;
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

function client(options: EgressClientOptions = {}) {
  return createEgressClient(options);
}

const ok = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('hello');

describe('egress guard', () => {
  it('refuses loopback by default without opening a socket', async () => {
    const server = await startServer(ok);
    const error = await failure(client().request({ url: server.origin }));
    expect(error.code).toBe('egress_refused');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('127.0.0.1');
    expect(error.message).toContain('loopback');
    expect(server.connections).toBe(0);
    expect(sockets()).toBe(0);
  });

  it.each([
    ['10.0.0.5', 'private'],
    ['169.254.169.254', 'metadata'],
    ['::ffff:10.0.0.1', 'IPv4-mapped'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['fd00::1', 'private'],
    ['fe80::1', 'link-local'],
    ['100.64.1.1', 'carrier-grade NAT'],
  ])('refuses a host that resolves to %s before any socket opens', async (address, reason) => {
    const resolved: string[] = [];
    const egress = client({
      resolve: (host) => {
        resolved.push(host);
        return Promise.resolve([address]);
      },
    });
    const error = await failure(egress.request({ url: 'http://service.example.test/' }));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('service.example.test');
    expect(error.message).toContain(reason);
    expect(resolved).toEqual(['service.example.test']);
    expect(sockets()).toBe(0);
  });

  it('refuses an IPv4-mapped IPv6 literal', async () => {
    const error = await failure(client().request({ url: 'http://[::ffff:10.0.0.1]:8080/' }));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('IPv4-mapped private address');
    expect(sockets()).toBe(0);
  });

  it('refuses when any one of several resolved addresses is private', async () => {
    const server = await startServer(ok);
    const egress = client({ allowHosts: ['127.0.0.1'], resolve: () => Promise.resolve(['127.0.0.1', '10.0.0.5']) });
    const error = await failure(egress.request({ url: `http://mixed.example.test:${server.port}/` }));
    expect(error.message).toContain('10.0.0.5');
    expect(server.connections).toBe(0);
  });

  it('refuses cloud metadata host names without resolving them', async () => {
    let resolveCalls = 0;
    const egress = client({ resolve: () => (resolveCalls++, Promise.resolve(['203.0.113.9'])) });
    const error = await failure(egress.request({ url: 'http://metadata.google.internal/computeMetadata/v1/' }));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('metadata');
    expect(resolveCalls).toBe(0);
    expect(sockets()).toBe(0);
  });

  it('refuses schemes other than http and https', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://files.example.test/x', 'gopher://x.test/']) {
      expect((await failure(client().request({ url }))).code).toBe('egress_refused');
    }
  });

  it('never repeats request headers or the URL query in a refusal', async () => {
    const error = await failure(
      client().request({ url: 'http://127.0.0.1/?token=query-secret', headers: { authorization: 'Bearer header-secret' } }),
    );
    const shown = JSON.stringify({ message: error.message, hint: error.hint, details: error.details });
    expect(shown).not.toContain('header-secret');
    expect(shown).not.toContain('query-secret');
  });
});

describe('egress allow-list', () => {
  it('reaches loopback when its address is allow-listed', async () => {
    const server = await startServer(ok);
    const res = await client({ allowHosts: ['127.0.0.1'] }).request({ url: `${server.origin}/ping` });
    expect(res).toMatchObject({ status: 200, body: 'hello', url: `${server.origin}/ping` });
  });

  it('reaches loopback when its host:port is allow-listed, and only that port', async () => {
    const server = await startServer(ok);
    const egress = client({ allowHosts: [`127.0.0.1:${server.port}`] });
    expect((await egress.request({ url: server.origin })).status).toBe(200);
    expect((await failure(egress.request({ url: `http://127.0.0.1:${server.port + 1}/` }))).code).toBe('egress_refused');
  });

  it('keeps refusing the cloud metadata address behind an allow-listed name or host:port, before any socket opens', async () => {
    const toMetadata = () => Promise.resolve(['169.254.169.254']);
    for (const [allow, url] of [
      ['collector.example.test', 'http://collector.example.test:4318/v1/traces'],
      ['collector.example.test:4318', 'http://collector.example.test:4318/v1/traces'],
      ['169.254.169.254:80', 'http://169.254.169.254/latest/meta-data/'],
      ['[::ffff:a9fe:a9fe]:80', 'http://[::ffff:a9fe:a9fe]/latest/meta-data/'],
    ] as const) {
      const error = await failure(client({ allowHosts: [allow], resolve: toMetadata }).request({ url, method: 'POST', body: 'x' }));
      expect(error.code).toBe('egress_refused');
      expect(error.message).toContain('cloud metadata address');
    }
    expect(sockets()).toBe(0);
    // An entry naming the address itself is an explicit decision, and opens it.
    const opened = createEgressPolicy({ allowHosts: ['169.254.169.254'] });
    expect(opened.refusedMetadata('169.254.169.254')).toBeUndefined();
  });

  it('connects to exactly the address the resolver returned (pinned lookup)', async () => {
    const server = await startServer(ok);
    let resolveCalls = 0;
    const egress = client({ allowHosts: ['127.0.0.0/8'], resolve: () => (resolveCalls++, Promise.resolve(['127.0.0.1'])) });
    const res = await egress.request({ url: `http://api.example.test:${server.port}/` });
    expect(res.body).toBe('hello');
    expect(server.requests[0]?.headers.host).toBe(`api.example.test:${server.port}`);
    expect(resolveCalls).toBe(1);
  });

  it('pins the checked address for https too', async () => {
    const port = await closedPort();
    const egress = client({ allowHosts: ['127.0.0.1'], resolve: () => Promise.resolve(['127.0.0.1']) });
    const error = await failure(egress.request({ url: `https://secure.example.test:${port}/` }));
    // ECONNREFUSED from 127.0.0.1 (not ENOTFOUND from real DNS) shows the pinned address was used.
    expect(error.code).toBe('action_failed');
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('egress redirects', () => {
  it('refuses a redirect hop to a host that is not allow-listed', async () => {
    const target = await startServer(ok);
    const start = await startServer((_req, res) => res.writeHead(302, { location: `${target.origin}/inside` }).end());
    const egress = client({ allowHosts: [`127.0.0.1:${start.port}`] });
    const error = await failure(egress.request({ url: start.origin }));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain(`127.0.0.1:${target.port}`);
    expect(target.connections).toBe(0);
  });

  it('refuses a redirect hop whose host resolves to a private address', async () => {
    const start = await startServer((_req, res) => res.writeHead(307, { location: 'http://intranet.example.test/admin' }).end());
    const egress = client({ allowHosts: ['127.0.0.1'], resolve: () => Promise.resolve(['10.0.0.5']) });
    const error = await failure(egress.request({ url: start.origin }));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('intranet.example.test resolves to 10.0.0.5');
    expect(sockets()).toBe(1); // the allowed first hop only
  });

  it('turns a POST into a GET without body on 303', async () => {
    const server = await startServer((req, res, body) => {
      if (req.url === '/submit') return void res.writeHead(303, { location: '/result' }).end();
      res.end(`${req.method} ${body.length} ${req.headers['content-type'] ?? 'no-type'}`);
    });
    const res = await client({ allowHosts: ['127.0.0.1'] }).request({
      url: `${server.origin}/submit`,
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.body).toBe('GET 0 no-type');
    expect(res.url).toBe(`${server.origin}/result`);
  });

  it('keeps method and body on 307', async () => {
    const server = await startServer((req, res, body) => {
      if (req.url === '/old') return void res.writeHead(307, { location: '/new' }).end();
      res.end(`${req.method} ${body}`);
    });
    const res = await client({ allowHosts: ['127.0.0.1'] }).request({ url: `${server.origin}/old`, method: 'PUT', body: 'payload' });
    expect(res.body).toBe('PUT payload');
  });

  it('drops credentials when a redirect changes origin', async () => {
    const other = await startServer((req, res) => res.end(req.headers.authorization ?? 'none'));
    const start = await startServer((_req, res) => res.writeHead(302, { location: other.origin }).end());
    const res = await client({ allowHosts: ['127.0.0.1'] }).request({ url: start.origin, headers: { Authorization: 'Bearer t' } });
    expect(start.requests[0]?.headers.authorization).toBe('Bearer t');
    expect(res.body).toBe('none');
  });

  it('drops the headers a request names as credentials (an API key) when a redirect changes origin, and keeps them on the same origin', async () => {
    const other = await startServer((req, res) => res.end(String(req.headers['x-api-key'] ?? 'none')));
    const start = await startServer((req, res) => (req.url === '/same' ? res.end(String(req.headers['x-api-key'])) : res.writeHead(307, { location: other.origin }).end()));
    const egress = client({ allowHosts: ['127.0.0.1'] });
    const away = await egress.request({ url: start.origin, headers: { 'X-Api-Key': 'k-123' }, originBoundHeaders: ['X-Api-Key'] });
    expect(start.requests[0]?.headers['x-api-key']).toBe('k-123');
    expect(away.body).toBe('none');
    const same = await egress.request({ url: `${start.origin}/same`, headers: { 'x-api-key': 'k-123' }, originBoundHeaders: ['x-api-key'] });
    expect(same.body).toBe('k-123');
  });

  it('gives up after maxRedirects hops', async () => {
    const server = await startServer((_req, res) => res.writeHead(302, { location: '/again' }).end());
    const error = await failure(client({ allowHosts: ['127.0.0.1'], maxRedirects: 2 }).request({ url: server.origin }));
    expect(error.code).toBe('action_failed');
    expect(error.retriable).toBe(false);
    expect(server.requests).toHaveLength(3);
  });
});

describe('egress failures', () => {
  it('times out with a retriable step_timeout', async () => {
    const server = await startServer(() => undefined); // never answers
    const error = await failure(client({ allowHosts: ['127.0.0.1'] }).request({ url: server.origin, timeoutMs: 100 }));
    expect(error.code).toBe('step_timeout');
    expect(error.retriable).toBe(true);
  });

  it('refuses a body larger than maxResponseBytes, declared or streamed', async () => {
    const big = 'x'.repeat(2048);
    const server = await startServer((req, res) => {
      if (req.url === '/declared') return void res.end(big);
      res.write(big.slice(0, 1024));
      res.end(big.slice(1024)); // chunked: no content-length to check up front
    });
    const egress = client({ allowHosts: ['127.0.0.1'], maxResponseBytes: 1024 });
    for (const path of ['/declared', '/streamed']) {
      const error = await failure(egress.request({ url: `${server.origin}${path}` }));
      expect(error.code).toBe('action_failed');
      expect(error.retriable).toBe(false);
    }
  });

  it('reports a network error as retriable action_failed', async () => {
    const port = await closedPort();
    const error = await failure(client({ allowHosts: ['127.0.0.1'] }).request({ url: `http://127.0.0.1:${port}/` }));
    expect(error.code).toBe('action_failed');
    expect(error.retriable).toBe(true);
  });

  it('passes on a KeelError the caller aborted with', async () => {
    const controller = new AbortController();
    // The server never answers; the caller gives up once the request has arrived.
    const server = await startServer(() => controller.abort(new KeelError('fenced', 'lease lost')));
    const pending = client({ allowHosts: ['127.0.0.1'] }).request({ url: server.origin, signal: controller.signal });
    expect((await failure(pending)).code).toBe('fenced');
  });
});
