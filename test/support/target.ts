// A real HTTP server on loopback standing in for a source system: it honours Idempotency-Key, can
// answer check-then-act lookups, and counts every effect so tests can prove there were no duplicates.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Target {
  url: string;
  /** Every request that changed something, in order. */
  effects: { path: string; key: string | undefined; body: unknown }[];
  /** Requests received, including repeats that were deduplicated. */
  requests: number;
  /** Answer the next N mutating requests with this status instead. */
  failNext(count: number, status: number, headers?: Record<string, string>): void;
  /** Delay every answer by this many ms. */
  delay: number;
  /**
   * Holds every request to `path` (before it is counted as an effect) until release(); `arrived`
   * settles when the first one is in. A call that is still held when its caller gives up stays held.
   */
  hold(path: string): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const seen = new Map<string, unknown>();
  let failures: { count: number; status: number; headers: Record<string, string> } = { count: 0, status: 500, headers: {} };
  const holds = new Map<string, { arrive(): void; released: Promise<void> }>();
  const target: Target = {
    url: '', effects: [], requests: 0, delay: 0,
    failNext(count, status, headers = {}) {
      failures = { count, status, headers };
    },
    hold(path) {
      let arrive = () => {};
      let release = () => {};
      const arrived = new Promise<void>((resolve) => { arrive = resolve; });
      const released = new Promise<void>((resolve) => { release = resolve; });
      holds.set(path, { arrive, released });
      return { arrived, release: () => { holds.delete(path); release(); } };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer(async (req, res) => {
    target.requests++;
    const body = await readBody(req);
    if (target.delay) await new Promise((r) => setTimeout(r, target.delay));
    const url = new URL(req.url ?? '/', 'http://x');
    const held = holds.get(url.pathname);
    if (held) {
      held.arrive();
      await held.released;
    }
    const key = req.headers['idempotency-key'] as string | undefined;
    if (req.method === 'GET' && url.pathname === '/check') {
      const ref = url.searchParams.get('ref') ?? '';
      if (!seen.has(ref)) return send(res, 404, { found: false });
      return send(res, 200, seen.get(ref));
    }
    if (failures.count > 0) {
      failures.count--;
      return send(res, failures.status, { error: 'injected' }, failures.headers);
    }
    const honoursKey = url.pathname !== '/unsafe';
    if (honoursKey && key && seen.has(key)) return send(res, 200, seen.get(key));
    const parsed = body ? JSON.parse(body) : null;
    target.effects.push({ path: url.pathname, key, body: parsed });
    const answer = { id: target.effects.length, received: parsed };
    if (key) seen.set(key, answer);
    send(res, 201, answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return target;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: import('node:http').ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
