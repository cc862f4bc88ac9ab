// A real HTTP server on loopback that speaks just enough of OpenAI's chat completions and embeddings
// and Anthropic's messages protocols for the model layer's tests. Each route answers from a script
// (a queue), so a test says exactly what the "provider" does next: a valid answer, prose, nothing, a
// stall past the timeout, a 429 with Retry-After, a 500, a 401, or a body cut off mid-way. Every
// request is recorded with its parsed body and headers so tests can assert what Keel sent.

import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeRoute = 'openai' | 'anthropic' | 'embeddings';

/** One scripted answer. Text answers may be slowed with delayMs; embeddings answer with vectors. */
export type FakeAnswer =
  | { text: string; delayMs?: number; model?: string; tokensIn?: number; tokensOut?: number }
  | { delayMs: number }
  | { status: number; retryAfter?: string; message?: string }
  | { cutOff: true }
  | { embeddings: number[][] };

export interface FakeRequest {
  route: FakeRoute;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

export interface FakeLlmServer {
  /** http://127.0.0.1:<port>; provider base URLs are `${url}/v1`. */
  url: string;
  port: number;
  script(route: FakeRoute, ...answers: FakeAnswer[]): void;
  requests: FakeRequest[];
  /** Scripted answers not yet given, per route. */
  pending(route: FakeRoute): number;
  /** Forgets the recorded requests and any answers left in the scripts (between tests). */
  reset(): void;
  close(): Promise<void>;
}

const paths: Record<string, FakeRoute> = {
  '/v1/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
  '/v1/embeddings': 'embeddings',
};

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const queues: Record<FakeRoute, FakeAnswer[]> = { openai: [], anthropic: [], embeddings: [] };
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = req.method === 'POST' ? paths[req.url ?? ''] : undefined;
    const raw = await readAll(req);
    if (route === undefined) return json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    const body = JSON.parse(raw) as Record<string, unknown>;
    requests.push({ route, body, headers: req.headers });
    const answer = queues[route].shift();
    // An unscripted request is a test bug; a 418 is neither retried nor mistaken for a provider state.
    if (answer === undefined) return json(res, 418, { error: { message: `fake LLM server: nothing scripted for ${route}` } });

    if ('delayMs' in answer && answer.delayMs !== undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, answer.delayMs);
        timers.add(timer);
      });
      // The client gave up meanwhile (its timeout): nothing left to answer.
      if (res.destroyed || req.socket.destroyed) return;
      if (!('text' in answer)) return json(res, 200, success(route, body, { text: 'late answer' }));
    }
    if ('status' in answer) {
      const headers: Record<string, string> = answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {};
      return json(res, answer.status, { error: { message: errorMessage(answer, req), type: 'fake_error' } }, headers);
    }
    if ('cutOff' in answer) {
      const full = JSON.stringify(success(route, body, { text: '{"answer": "this body never arrives whole"}' }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) });
      res.write(full.slice(0, Math.floor(full.length / 2)), () => res.socket?.destroy());
      return;
    }
    if ('embeddings' in answer) return json(res, 200, embeddingsAnswer(answer.embeddings, body));
    if ('text' in answer) return json(res, 200, success(route, body, answer));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    script: (route, ...answers) => queues[route].push(...answers),
    requests,
    pending: (route) => queues[route].length,
    reset: () => {
      requests.length = 0;
      for (const queue of Object.values(queues)) queue.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** A successful answer in the route's protocol, reporting a dated model version like real providers. */
function success(route: FakeRoute, body: Record<string, unknown>, answer: { text: string; model?: string; tokensIn?: number; tokensOut?: number }): Record<string, unknown> {
  const requested = typeof body.model === 'string' ? body.model : 'unknown';
  const tokensIn = answer.tokensIn ?? 120;
  const tokensOut = answer.tokensOut ?? 30;
  if (route === 'anthropic') {
    return {
      id: 'msg_fake', type: 'message', role: 'assistant', model: answer.model ?? `${requested}-20241022`,
      content: [{ type: 'text', text: answer.text }], stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: tokensIn, output_tokens: tokensOut },
    };
  }
  return {
    id: 'chatcmpl-fake', object: 'chat.completion', created: 1_700_000_000, model: answer.model ?? `${requested}-2024-07-18`,
    choices: [{ index: 0, message: { role: 'assistant', content: answer.text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: tokensIn, completion_tokens: tokensOut, total_tokens: tokensIn + tokensOut },
  };
}

function embeddingsAnswer(vectors: number[][], body: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'list', model: typeof body.model === 'string' ? body.model : 'unknown',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
}

/** Like OpenAI's own 401, the message repeats the key it was given, so tests can prove Keel scrubs it. */
function errorMessage(answer: { status: number; message?: string }, req: IncomingMessage): string {
  if (answer.message !== undefined) return answer.message;
  if (answer.status === 401) {
    const sent = String(req.headers['x-api-key'] ?? req.headers.authorization ?? '').replace(/^Bearer /, '');
    return `Incorrect API key provided: ${sent}. You can find your API key at the provider's dashboard.`;
  }
  if (answer.status === 429) return 'Rate limit reached for requests';
  return `fake provider error ${answer.status}`;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * One fake server for a test file: started before its tests, its scripts and records cleared before
 * each test, closed after. The returned object forwards to the running server.
 */
export function useFakeLlmServer(): FakeLlmServer {
  let current: FakeLlmServer | undefined;
  beforeAll(async () => { current = await startFakeLlmServer(); });
  afterAll(async () => { await current?.close(); });
  beforeEach(() => current?.reset());
  const running = (): FakeLlmServer => {
    if (!current) throw new Error('the fake LLM server starts in beforeAll; use it inside a test or hook');
    return current;
  };
  return {
    get url() { return running().url; },
    get port() { return running().port; },
    get requests() { return running().requests; },
    script: (route, ...answers) => running().script(route, ...answers),
    pending: (route) => running().pending(route),
    reset: () => running().reset(),
    close: () => running().close(),
  };
}
