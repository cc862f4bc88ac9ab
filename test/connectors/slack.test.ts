import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createEgressClient, type EgressClient } from '../../src/connectors/egress.js';
import type { ConnectorContext } from '../../src/connectors/kinds/kind.js';
import { slackConfig, slackKind, type SlackConfig } from '../../src/connectors/kinds/slack.js';
import { KeelError, serializeError } from '../../src/errors.js';
import { watchLoopback } from '../support/loopback-watch.js';

// A loopback server speaking the Slack Web API protocol (form or JSON bodies, Bearer auth, `ok`
// answers, cursor pagination) and an incoming-webhook endpoint. Nothing leaves loopback; refusal
// tests inject a resolver and count client sockets to prove the guard refuses before connecting.

const token = 'xoxb-1111-2222-canarytokenvalue';
const hookPath = '/services/T000/B000/canaryhooksecret';

interface Posted { ts: string; text: string; thread_ts?: string; metadata?: unknown }
interface SeenRequest { path: string; authorization: string | undefined; body: Record<string, unknown> }
interface SlackServer {
  api: string;
  hook: string;
  requests: SeenRequest[];
  channels: Map<string, Posted[]>;
  /** The next answers, used before the normal behaviour. */
  answers: { status: number; body: unknown; headers?: Record<string, string> }[];
}

const { servers, sockets } = watchLoopback();

async function startSlack(): Promise<SlackServer> {
  const state: SlackServer = { api: '', hook: '', requests: [], channels: new Map(), answers: [] };
  let counter = 0;
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      state.requests.push({ path, authorization: req.headers.authorization, body });
      const next = state.answers.shift();
      if (next) return reply(res, next.status, next.body, next.headers);
      if (path === hookPath) return reply(res, 200, 'ok');
      if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 200, { ok: false, error: 'invalid_auth' });
      const channel = String(body.channel);
      if (channel === 'C0MISSING') return reply(res, 200, { ok: false, error: 'channel_not_found' });
      const messages = state.channels.get(channel) ?? [];
      state.channels.set(channel, messages);
      if (path === '/api/chat.postMessage') {
        const posted: Posted = { ts: `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`, text: String(body.text), metadata: body.metadata };
        if (typeof body.thread_ts === 'string') posted.thread_ts = body.thread_ts;
        messages.unshift(posted);
        return reply(res, 200, { ok: true, channel, ts: posted.ts, message: { text: posted.text } });
      }
      if (path === '/api/chat.update') {
        const found = messages.find((m) => m.ts === body.ts);
        if (!found) return reply(res, 200, { ok: false, error: 'message_not_found' });
        found.text = String(body.text);
        return reply(res, 200, { ok: true, channel, ts: found.ts, text: found.text });
      }
      if (path === '/api/conversations.history' || path === '/api/conversations.replies') {
        const inThread = (m: Posted): boolean => (path.endsWith('replies') ? m.thread_ts === body.ts || m.ts === body.ts : m.thread_ts === undefined);
        const visible = messages.filter((m) => inThread(m) && Number(m.ts) >= Number(body.oldest ?? 0));
        const start = Number(body.cursor ?? 0);
        const limit = Number(body.limit ?? 100);
        const page = visible.slice(start, start + limit).map((m) => ({ ts: m.ts, text: m.text, ...(body.include_all_metadata === 'true' && m.metadata ? { metadata: m.metadata } : {}) }));
        const hasMore = start + limit < visible.length;
        return reply(res, 200, { ok: true, messages: page, has_more: hasMore, response_metadata: { next_cursor: hasMore ? String(start + limit) : '' } });
      }
      reply(res, 200, { ok: false, error: 'unknown_method' });
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, { api: `${origin}/api/`, hook: `${origin}${hookPath}` });
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (req.headers['content-type']?.startsWith('application/json')) return resolve(JSON.parse(raw || '{}') as Record<string, unknown>);
      // Slack's form encoding carries objects (blocks, metadata) as JSON strings.
      const fields: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw));
      for (const key of ['blocks', 'metadata']) if (typeof fields[key] === 'string') fields[key] = JSON.parse(fields[key]);
      resolve(fields);
    });
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', ...headers }).end(text);
}

function contextFor(options: { egress?: EgressClient; key?: string; hook?: string } = {}): ConnectorContext {
  const secrets: Record<string, string> = { slack_bot: token, ...(options.hook ? { slack_hook: options.hook } : {}) };
  return {
    async secret(name) {
      const value = secrets[name];
      if (value === undefined) throw new KeelError('misconfigured', `secret ${name} is not set`);
      return value;
    },
    egress: options.egress ?? createEgressClient({ allowHosts: ['127.0.0.1'] }),
    idempotencyKey: options.key ?? 'run-1:step-notify:1',
    signal: new AbortController().signal,
  };
}

function configFor(server: { api: string }, extra: Partial<Record<keyof SlackConfig, unknown>> = {}): SlackConfig {
  return slackConfig.parse({ bot_token_secret: 'slack_bot', api_url: server.api, incoming_webhook_secret: 'slack_hook', ...extra });
}

function act(name: string, config: SlackConfig, input: unknown, context: ConnectorContext): Promise<unknown> {
  const action = slackKind.actions[name];
  if (!action) throw new Error(`no action ${name}`);
  return action.run({ config, input: action.input.parse(input), context });
}

async function failure(promise: Promise<unknown>): Promise<KeelError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

/** Everything an error could show anywhere: message, stored form, and the whole cause chain. */
function everythingShown(error: KeelError): string {
  return `${String(error)}\n${JSON.stringify(serializeError(error))}\n${inspect(error, { depth: 20 })}`;
}

describe('slack connector kind', () => {
  it('posts with the bot token, the fields and our idempotency key in message metadata', async () => {
    const slack = await startSlack();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Welcome*' } }];
    const out = await act('post', configFor(slack), { channel: 'C0WELCOME', text: 'Welcome!', blocks, thread_ts: '1700000000.000100' }, contextFor());
    expect(out).toEqual({ channel: 'C0WELCOME', ts: expect.stringMatching(/^\d+\.\d+$/) });
    const [seen] = slack.requests;
    expect(seen?.path).toBe('/api/chat.postMessage');
    expect(seen?.authorization).toBe(`Bearer ${token}`);
    expect(seen?.body).toMatchObject({ channel: 'C0WELCOME', text: 'Welcome!', blocks, thread_ts: '1700000000.000100' });
    expect(seen?.body.metadata).toEqual({ event_type: 'keel_action', event_payload: { idempotency_key: 'run-1:step-notify:1' } });
  });

  it('posts to the default channel when the input names none, and refuses when there is neither', async () => {
    const slack = await startSlack();
    await act('post', configFor(slack, { default_channel: 'C0DEFAULT' }), { text: 'hi' }, contextFor());
    expect(slack.requests[0]?.body.channel).toBe('C0DEFAULT');
    const error = await failure(act('post', configFor(slack), { text: 'hi' }, contextFor()));
    expect(error.code).toBe('invalid_input');
    expect(slack.requests).toHaveLength(1);
  });

  it('updates a message by channel and ts, and declares update idempotent', async () => {
    const slack = await startSlack();
    const config = configFor(slack);
    const posted = (await act('post', config, { channel: 'C0WELCOME', text: 'draft' }, contextFor())) as { ts: string };
    const out = await act('update', config, { channel: 'C0WELCOME', ts: posted.ts, text: 'final' }, contextFor());
    expect(out).toEqual({ channel: 'C0WELCOME', ts: posted.ts });
    expect(slack.requests[1]).toMatchObject({ path: '/api/chat.update', authorization: `Bearer ${token}`, body: { channel: 'C0WELCOME', ts: posted.ts, text: 'final' } });
    expect(slack.channels.get('C0WELCOME')?.[0]?.text).toBe('final');
    expect(slackKind.actions.update?.delivery).toBe('idempotent');
  });

  it('finds an earlier post by its idempotency key, in the channel and in a thread', async () => {
    const slack = await startSlack();
    const config = configFor(slack);
    const post = slackKind.actions.post!;
    expect(typeof post.delivery === 'function' && post.delivery(config)).toBe('check-then-act');
    for (const input of [{ channel: 'C0WELCOME', text: 'top' }, { channel: 'C0WELCOME', text: 'reply', thread_ts: '1700000000.000100' }]) {
      const out = await act('post', config, input, contextFor({ key: `key-${input.text}` }));
      const call = { config, input: post.input.parse(input), context: contextFor({ key: `key-${input.text}` }) };
      expect(await post.check!(call)).toEqual({ exists: true, output: out });
      expect(await post.check!({ ...call, context: contextFor({ key: 'never-posted' }) })).toEqual({ exists: false });
    }
    expect(slack.requests.map((r) => r.path)).toContain('/api/conversations.replies');
  });

  it('answers outcome_unknown when the channel has moved on past what the check scans', async () => {
    const slack = await startSlack();
    const config = configFor(slack);
    const many = Array.from({ length: 1001 }, (_, i) => ({ ts: `${Math.floor(Date.now() / 1000)}.${i}`, text: 'noise' }));
    slack.channels.set('C0BUSYCHAN', many);
    const post = slackKind.actions.post!;
    const error = await failure(post.check!({ config, input: post.input.parse({ channel: 'C0BUSYCHAN', text: 'x' }), context: contextFor() }));
    expect(error.code).toBe('outcome_unknown');
  });

  it('needs a channel ID while the history check is on, and is unsafe without it', async () => {
    const slack = await startSlack();
    const error = await failure(act('post', configFor(slack), { channel: '#general', text: 'hi' }, contextFor()));
    expect(error.code).toBe('invalid_input');
    expect(slack.requests).toHaveLength(0);
    const unchecked = configFor(slack, { history_check: false });
    await act('post', unchecked, { channel: '#general', text: 'hi' }, contextFor());
    const delivery = slackKind.actions.post!.delivery;
    expect(typeof delivery === 'function' && delivery(unchecked)).toBe('unsafe');
  });

  it('posts to the incoming webhook through the egress client', async () => {
    const slack = await startSlack();
    const out = await act('webhook_post', configFor(slack), { text: 'Deploy done', blocks: [{ type: 'divider' }] }, contextFor({ hook: slack.hook }));
    expect(out).toEqual({ delivered: true });
    expect(slack.requests[0]).toMatchObject({ path: hookPath, body: { text: 'Deploy done', blocks: [{ type: 'divider' }] } });
    expect(slackKind.actions.webhook_post?.delivery).toBe('unsafe');
  });

  it('maps a revoked incoming webhook to misconfigured without repeating its URL', async () => {
    const slack = await startSlack();
    slack.answers.push({ status: 404, body: 'no_service' });
    const error = await failure(act('webhook_post', configFor(slack), { text: 'x' }, contextFor({ hook: slack.hook })));
    expect(error).toMatchObject({ code: 'misconfigured', retriable: false });
    expect(error.message).toContain('slack_hook');
    expect(everythingShown(error)).not.toContain('canaryhooksecret');
  });

  it('maps HTTP 429 and ok:false ratelimited to a retriable rate limit with its retry-after', async () => {
    const slack = await startSlack();
    slack.answers.push({ status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '7' } });
    const http429 = await failure(act('post', configFor(slack), { channel: 'C0WELCOME', text: 'hi' }, contextFor()));
    expect(http429).toMatchObject({ code: 'provider_rate_limited', retriable: true, retryAfterMs: 7000 });
    slack.answers.push({ status: 200, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '3' } });
    const body = await failure(act('update', configFor(slack), { channel: 'C0WELCOME', ts: '1.2', text: 'hi' }, contextFor()));
    expect(body).toMatchObject({ code: 'provider_rate_limited', retriable: true, retryAfterMs: 3000 });
    // The client's own retries and queueing are off: each call reached Slack exactly once.
    expect(slack.requests).toHaveLength(2);
  });

  it('maps invalid_auth and channel_not_found to non-retriable errors naming the channel, never the token', async () => {
    const slack = await startSlack();
    const wrongToken = contextFor();
    const realSecret = wrongToken.secret.bind(wrongToken);
    wrongToken.secret = async (name) => (name === 'slack_bot' ? 'xoxb-revoked-canary' : realSecret(name));
    const auth = await failure(act('post', configFor(slack), { channel: 'C0WELCOME', text: 'hi' }, wrongToken));
    expect(auth).toMatchObject({ code: 'misconfigured', retriable: false });
    expect(auth.message).toContain('C0WELCOME');
    expect(auth.message).toContain('slack_bot');
    expect(everythingShown(auth)).not.toContain('xoxb-revoked-canary');

    const missing = await failure(act('post', configFor(slack), { channel: 'C0MISSING', text: 'hi' }, contextFor()));
    expect(missing).toMatchObject({ code: 'action_failed', retriable: false, details: { channel: 'C0MISSING', slack_error: 'channel_not_found' } });
    expect(missing.message).toContain('C0MISSING');
    expect(everythingShown(missing)).not.toContain(token);
  });

  it('keeps the token and the webhook URL out of render output', async () => {
    const slack = await startSlack();
    const config = configFor(slack, { default_channel: 'C0DEFAULT' });
    const rendered = JSON.stringify([
      slackKind.actions.post!.render(config, slackKind.actions.post!.input.parse({ text: 'hi', blocks: [{ type: 'divider' }] })),
      slackKind.actions.update!.render(config, slackKind.actions.update!.input.parse({ channel: 'C0X', ts: '1.2', text: 'hi' })),
      slackKind.actions.webhook_post!.render(config, slackKind.actions.webhook_post!.input.parse({ text: 'hi' })),
    ]);
    expect(rendered).toContain('chat.postMessage');
    expect(rendered).toContain('C0DEFAULT');
    expect(rendered).not.toContain(token);
    expect(rendered).not.toContain('canaryhooksecret');
    expect(slackKind.secretNames(config)).toEqual(['slack_bot', 'slack_hook']);
  });

  it('stops before sending when the run is cancelled', async () => {
    const slack = await startSlack();
    const context = { ...contextFor(), signal: AbortSignal.abort(new KeelError('fenced', 'lease lost')) };
    const error = await failure(act('post', configFor(slack), { channel: 'C0WELCOME', text: 'hi' }, context));
    expect(error.code).toBe('fenced');
    expect(slack.requests).toHaveLength(0);
  });

  it('refuses a Slack API URL resolving to a private address before any socket opens', async () => {
    const slack = await startSlack();
    const asked: string[] = [];
    const resolve = async (host: string): Promise<string[]> => {
      asked.push(host);
      return ['10.20.30.40'];
    };
    const egress = createEgressClient({ allowHosts: ['127.0.0.1'], resolve });
    const config = configFor({ api: 'http://slack-api.example.test/api/' });
    const error = await failure(act('post', config, { channel: 'C0WELCOME', text: 'hi' }, contextFor({ egress })));
    expect(error.code).toBe('egress_refused');
    expect(error.message).toContain('10.20.30.40');
    expect(everythingShown(error)).not.toContain(token);

    const hook = await failure(act('webhook_post', config, { text: 'hi' }, contextFor({ egress, hook: 'https://hooks.example.test/services/T/B/canaryhooksecret' })));
    expect(hook.code).toBe('egress_refused');
    expect(everythingShown(hook)).not.toContain('canaryhooksecret');

    // Loopback itself is refused too when the connector has not allow-listed it.
    const loopback = await failure(act('post', configFor(slack), { channel: 'C0WELCOME', text: 'hi' }, contextFor({ egress: createEgressClient() })));
    expect(loopback.code).toBe('egress_refused');

    expect(asked).toEqual(['slack-api.example.test', 'hooks.example.test']);
    expect(sockets()).toBe(0);
    expect(slack.requests).toHaveLength(0);
  });
});
