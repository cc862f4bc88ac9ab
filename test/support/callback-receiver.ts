// A real HTTP server on loopback standing in for an external workflow's callback endpoint or a
// notification target: it keeps every request's exact body and headers (to verify signatures) and
// can answer the next requests with an error.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CallbackReceiver {
  url: string;
  calls: ReceivedCall[];
  /** Answer the next `count` requests with `status` (all of them when count is Infinity). */
  failNext(count: number, status: number): void;
  /** Resolves once `count` requests arrived; rejects after timeoutMs. */
  waitForCalls(count: number, timeoutMs?: number): Promise<ReceivedCall[]>;
  close(): Promise<void>;
}

export async function startCallbackReceiver(): Promise<CallbackReceiver> {
  let failures = { count: 0, status: 500 };
  const calls: ReceivedCall[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (failures.count > 0) {
        failures.count--;
        res.writeHead(failures.status, { 'content-type': 'text/plain' }).end('injected failure');
        return;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNext(count, status) {
      failures = { count, status };
    },
    async waitForCalls(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (calls.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} calls, got ${calls.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return calls;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
