// The `webhook` connector kind against a real receiver on loopback that verifies Standard Webhooks
// signatures with our own verifyWebhook, as a receiver built on any Standard Webhooks library would:
// the id it de-duplicates by is the run's idempotency key, a wrong key fails verification, statuses
// map to retry meaning as for `http`, and the signing secret never shows in errors or render output.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEgressClient, verifyWebhook, type EgressClientOptions } from '../../src/connectors/index.js';
import type { ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { webhookKind } from '../../src/connectors/kinds/webhook.js';
import { KeelError, serializeError } from '../../src/errors.js';

interface Received { headers: http.IncomingHttpHeaders; body: string }
interface Receiver { port: number; url: string; received: Received[] }

const signingKey = `whsec_${Buffer.from('CANARY-signing-key-3e9d7a1c5b').toString('base64')}`;
const otherKey = `whsec_${Buffer.from('some-other-receivers-key-000').toString('base64')}`;
const key = 'run-42.step-notify.visit-1';
const servers: http.Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
});

async function startReceiver(answer: (got: Received, res: http.ServerResponse) => void = (_got, res) => res.writeHead(204).end()): Promise<Receiver> {
  const receiver: Receiver = { port: 0, url: '', received: [] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const got = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.received.push(got);
      answer(got, res);
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hooks/keel`;
  return receiver;
}

function contextFor(receiver: Receiver, secrets: Record<string, string> = { 'hook-key': signingKey }, egress: EgressClientOptions = {}): ConnectorContext {
  return {
    secret: (name) => {
      const value = secrets[name];
      return value === undefined ? Promise.reject(new KeelError('misconfigured', `secret ${name} is not set`)) : Promise.resolve(value);
    },
    egress: createEgressClient({ allowHosts: [`127.0.0.1:${receiver.port}`], ...egress }),
    idempotencyKey: key,
    signal: new AbortController().signal,
  };
}

const send = webhookKind.actions.send!;

function configFor(receiver: Receiver, extra: Record<string, unknown> = {}) {
  return webhookKind.config.parse({ url: receiver.url, signing_secret: 'hook-key', ...extra });
}

async function deliver(receiver: Receiver, rawInput: unknown, context = contextFor(receiver)): Promise<unknown> {
  return send.run({ config: configFor(receiver, { headers: { 'X-Source': 'keel' } }), input: send.input.parse(rawInput), context });
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

function expectNoSecret(text: string): void {
  const raw = signingKey.slice('whsec_'.length);
  for (const form of [signingKey, raw, Buffer.from(raw, 'base64').toString('utf8'), encodeURIComponent(signingKey), Buffer.from(signingKey).toString('hex')]) {
    expect(text).not.toContain(form);
  }
}

function exposed(error: unknown): string {
  const causes: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) causes.push(e.message, e.stack ?? '');
  return JSON.stringify({ stored: serializeError(error), causes });
}

describe('webhook connector', () => {
  it('is an idempotent side effect under webhook:send, needing its signing secret', () => {
    expect(send).toMatchObject({ scope: 'webhook:send', delivery: 'idempotent', sideEffect: true });
    expect(webhookKind.secretNames(webhookKind.config.parse({ url: 'https://hooks.example.com/in', signing_secret: 'hook-key' }))).toEqual(['hook-key']);
    expect(webhookKind.config.safeParse({ url: 'https://hooks.example.com/in', signing_secret: 'k', headers: { 'Webhook-Signature': 'v1,x' } }).success).toBe(false);
    expect(webhookKind.config.safeParse({ url: 'ftp://hooks.example.com/in', signing_secret: 'k' }).success).toBe(false);
  });

  it('signs so the receiver verifies it, with webhook-id equal to the run idempotency key', async () => {
    const receiver = await startReceiver();
    const answer = await deliver(receiver, { event_type: 'ticket.triaged', payload: { ticket: 'T-1', intent: 'refund' } });
    expect(answer).toEqual({ status: 204, webhook_id: key });
    const [got] = receiver.received;
    if (!got) throw new Error('nothing received');
    expect(verifyWebhook({ headers: got.headers, body: got.body, secret: signingKey })).toMatchObject({ id: key });
    expect(got.headers).toMatchObject({ 'webhook-id': key, 'content-type': 'application/json', 'x-source': 'keel' });
    const body = JSON.parse(got.body) as { type: string; timestamp: string; data: unknown };
    expect(body).toMatchObject({ type: 'ticket.triaged', data: { ticket: 'T-1', intent: 'refund' } });
    expect(Math.abs(Date.parse(body.timestamp) / 1000 - Number(got.headers['webhook-timestamp']))).toBeLessThan(1);
  });

  it('fails verification with another key', async () => {
    const receiver = await startReceiver();
    await deliver(receiver, { payload: { ticket: 'T-1' } });
    const [got] = receiver.received;
    if (!got) throw new Error('nothing received');
    expect(JSON.parse(got.body)).toEqual({ ticket: 'T-1' });
    const error = await failure(Promise.resolve().then(() => verifyWebhook({ headers: got.headers, body: got.body, secret: otherKey })));
    expect(error.code).toBe('signature_invalid');
  });

  it('repeats the same webhook-id on a retry, so the receiver can drop the duplicate', async () => {
    const receiver = await startReceiver();
    const context = contextFor(receiver);
    await deliver(receiver, { event_type: 'ticket.triaged', payload: { n: 1 } }, context);
    await deliver(receiver, { event_type: 'ticket.triaged', payload: { n: 1 } }, context);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([key, key]);
    for (const got of receiver.received) expect(verifyWebhook({ headers: got.headers, body: got.body, secret: signingKey }).id).toBe(key);
  });

  it.each([
    { status: 503, headers: { 'retry-after': '5' }, code: 'action_failed', retriable: true, retryAfterMs: 5000 },
    { status: 429, headers: { 'retry-after': '1' }, code: 'provider_rate_limited', retriable: true, retryAfterMs: 1000 },
    { status: 400, headers: {}, code: 'action_failed', retriable: false, retryAfterMs: undefined },
    { status: 401, headers: {}, code: 'action_failed', retriable: false, retryAfterMs: undefined },
  ])('maps HTTP $status to $code, retriable $retriable, without the secret', async ({ status, headers, code, retriable, retryAfterMs }) => {
    // The receiver quotes what it got, including the signature and a (misbehaving) copy of the key.
    const receiver = await startReceiver((got, res) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ got: got.headers, key: signingKey })));
    const error = await failure(deliver(receiver, { payload: { a: 1 } }));
    expect(error).toMatchObject({ code, retriable, retryAfterMs, details: { status } });
    expectNoSecret(exposed(error));
  });

  it('refuses a receiver on a private address that is not allow-listed, before sending', async () => {
    const receiver = await startReceiver();
    const context = contextFor(receiver, undefined, { resolve: () => Promise.resolve(['192.168.1.20']) });
    const config = webhookKind.config.parse({ url: 'https://hooks.internal.example.test/in', signing_secret: 'hook-key' });
    const error = await failure(send.run({ config, input: send.input.parse({ payload: {} }), context }));
    expect(error.code).toBe('egress_refused');
  });

  it('says which secret is missing or malformed, never a value', async () => {
    const receiver = await startReceiver();
    expect((await failure(deliver(receiver, { payload: {} }, contextFor(receiver, {})))).code).toBe('misconfigured');
    const malformed = await failure(deliver(receiver, { payload: {} }, contextFor(receiver, { 'hook-key': 'whsec_not base64!' })));
    expect(malformed.code).toBe('misconfigured');
    expect(exposed(malformed)).not.toContain('not base64!');
    expect(receiver.received).toEqual([]);
  });

  it('renders url, headers and body, with the signature described, not computed', () => {
    const config = webhookKind.config.parse({ url: 'https://hooks.example.com/in', signing_secret: 'hook-key', headers: { 'X-Source': 'keel' } });
    const rendered = send.render(config, send.input.parse({ event_type: 'ticket.triaged', payload: { ticket: 'T-1' } }));
    expect(rendered).toMatchObject({
      method: 'POST',
      url: 'https://hooks.example.com/in',
      headers: { 'X-Source': 'keel', 'content-type': 'application/json', 'webhook-id': '<the run idempotency key>' },
      body: { type: 'ticket.triaged', data: { ticket: 'T-1' } },
    });
    const text = JSON.stringify(rendered);
    expect(text).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
    expectNoSecret(text);
  });
});
