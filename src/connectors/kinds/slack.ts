// The `slack` connector kind: post and update messages through the Web API with a bot token, or post
// through an incoming webhook.
//
// Egress: @slack/web-api (v8) sends through a `fetch` function it is given, so the WebClient gets
// `egressFetch(context.egress)`. Every Slack call then passes the one guarded client (DNS checked at
// connect time and on every redirect, the connector's allow_hosts already applied by whoever built
// `context.egress`), and we keep the WebClient's request encoding and response parsing. A custom
// http.Agent would have needed the allow-list, which a kind never sees, and a second copy of the
// guard's connect logic; the fetch hook needs neither.
//
// The WebClient's own retries and rate-limit queueing are off: Keel's engine retries steps, and a
// client that sleeps through a Retry-After inside one attempt would hide the wait from the run.

import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type FetchFunction,
  type Logger,
} from '@slack/web-api';
import { z } from 'zod';
import { KeelError } from '../../errors.js';
import { egressFetch } from '../egress-fetch.js';
import type { EgressResponse } from '../egress.js';
import { retryAfterMs } from '../retry-after.js';
import { defineAction, type ConnectorContext, type ConnectorKind, type DeliveryClass } from './kind.js';

export const slackConfig = z
  .object({
    bot_token_secret: z.string().min(1).describe('Name of the secret holding the bot token (xoxb-...).'),
    api_url: z.url({ protocol: /^https?$/ }).default('https://slack.com/api/').describe('Base URL of the Slack Web API.'),
    incoming_webhook_secret: z.string().min(1).optional().describe('Name of the secret holding an incoming-webhook URL (the URL is the credential).'),
    default_channel: z.string().min(1).optional().describe('Channel used by `post` when the input names none.'),
    history_check: z
      .boolean()
      .default(true)
      .describe('Look for an earlier attempt of `post` in channel history before a retry (needs channels:history / groups:history and channel IDs). Off makes `post` unsafe.'),
  })
  .strict();
export type SlackConfig = z.infer<typeof slackConfig>;

const ts = z.string().regex(/^\d+\.\d+$/, 'a Slack message timestamp such as 1700000000.000100');
const blocks = z.array(z.record(z.string(), z.unknown())).max(50).optional();
const text = z.string().min(1).max(40_000);
const postInput = z.object({ channel: z.string().min(1).optional(), text, blocks, thread_ts: ts.optional() }).strict();
const updateInput = z.object({ channel: z.string().min(1), ts, text, blocks }).strict();
const webhookInput = z.object({ text, blocks }).strict();
type PostInput = z.infer<typeof postInput>;

// Marks our posts so a retry can find them: chat.postMessage has no idempotency key, but message
// metadata is stored with the message and returned by conversations.history / .replies.
const metadataEventType = 'keel_action';
// A retry after a crash comes within minutes (lease expiry plus the sweeper); three days covers a
// worker fleet that was down over a weekend. Past the page cap we cannot say, so we do not guess.
const lookbackSeconds = 3 * 24 * 60 * 60;
const historyPageSize = 200;
const historyMaxPages = 5;

const messageRef = z.object({ channel: z.string(), ts: z.string() });
const ourKey = z.object({ event_type: z.literal(metadataEventType), event_payload: z.object({ idempotency_key: z.string() }) });
const historyPage = z.object({
  // Other apps' metadata may have any shape; a page must not fail to parse because of it.
  messages: z.array(z.object({ ts: z.string(), metadata: z.unknown().optional() })).default([]),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

// `post` is check-then-act when the history check is on: the message carries our idempotency key in
// its metadata, and `check` searches recent channel (or thread) history for it. Without the check
// nothing could tell a lost answer from a lost request, so the action is unsafe.
function postDelivery(config: SlackConfig): DeliveryClass {
  return config.history_check ? 'check-then-act' : 'unsafe';
}

const post = defineAction<SlackConfig, PostInput>({
  scope: 'slack:post',
  delivery: postDelivery,
  sideEffect: true,
  input: postInput,
  render: (config, input) => ({ method: 'chat.postMessage', ...messageBody(input.channel ?? config.default_channel ?? null, input) }),
  async run({ config, input, context }) {
    const channel = postChannel(config, input);
    const metadata = { event_type: metadataEventType, event_payload: { idempotency_key: context.idempotencyKey } };
    const result = await callSlack(config, context, 'chat.postMessage', { ...messageBody(channel, input), metadata }, channel);
    return answer(result, channel);
  },
  async check({ config, input, context }) {
    const channel = postChannel(config, input);
    // conversations.history lists top-level messages only; a threaded reply is found among its thread's replies.
    const method = input.thread_ts ? 'conversations.replies' : 'conversations.history';
    const oldest = String(Math.floor(Date.now() / 1000) - lookbackSeconds);
    let cursor: string | undefined;
    for (let page = 0; page < historyMaxPages; page++) {
      const args = { channel, ts: input.thread_ts, oldest, limit: historyPageSize, include_all_metadata: true, cursor };
      const parsed = historyPage.safeParse(await callSlack(config, context, method, args, channel));
      if (!parsed.success) throw new KeelError('action_failed', `Slack ${method} in channel ${channel} answered in an unexpected shape`, { retriable: true });
      const hit = parsed.data.messages.find((m) => ourKey.safeParse(m.metadata).data?.event_payload.idempotency_key === context.idempotencyKey);
      if (hit) return { exists: true, output: { channel, ts: hit.ts } };
      cursor = parsed.data.response_metadata?.next_cursor;
      if (!parsed.data.has_more || !cursor) return { exists: false };
    }
    throw new KeelError('outcome_unknown', `Could not tell whether the Slack message was already posted in channel ${channel}`, {
      retriable: false,
      hint: `The channel has more than ${historyPageSize * historyMaxPages} recent messages, past what the check reads; look for it there before posting again.`,
      details: { channel },
    });
  },
});

const update = defineAction<SlackConfig, z.infer<typeof updateInput>>({
  scope: 'slack:update',
  // chat.update of a given ts sets the same content however often it is repeated.
  delivery: 'idempotent',
  sideEffect: true,
  input: updateInput,
  render: (_config, input) => ({ method: 'chat.update', ...messageBody(input.channel, input), ts: input.ts }),
  async run({ config, input, context }) {
    const result = await callSlack(config, context, 'chat.update', { ...messageBody(input.channel, input), ts: input.ts }, input.channel);
    return answer(result, input.channel);
  },
});

const webhookPost = defineAction<SlackConfig, z.infer<typeof webhookInput>>({
  scope: 'slack:post',
  // An incoming webhook takes no key and cannot be searched: a lost answer is an unknown outcome.
  delivery: 'unsafe',
  sideEffect: true,
  input: webhookInput,
  // The webhook URL carries its credential in its path, so only the secret's name is shown.
  render: (config, input) => ({ webhook: config.incoming_webhook_secret ?? null, body: webhookBody(input) }),
  async run({ config, input, context }) {
    const secretName = config.incoming_webhook_secret;
    if (!secretName) {
      throw new KeelError('misconfigured', 'This Slack connector has no incoming_webhook_secret, so webhook_post cannot be used.', {
        retriable: false,
        hint: 'Set incoming_webhook_secret to the name of a secret holding the incoming-webhook URL.',
      });
    }
    const url = await context.secret(secretName);
    const res = await context.egress.request({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(input)),
      signal: context.signal,
    });
    if (res.status >= 200 && res.status < 300) return { delivered: true };
    throw webhookError(res, secretName);
  },
});

function postChannel(config: SlackConfig, input: PostInput): string {
  const channel = input.channel ?? config.default_channel;
  if (!channel) {
    throw new KeelError('invalid_input', 'No Slack channel: the input names none and the connector has no default_channel.', {
      retriable: false,
      problems: [{ path: 'channel', message: 'required when the connector has no default_channel' }],
    });
  }
  // History is looked up by channel ID; a name (#general) would make the check fail only after a crash.
  if (config.history_check && !/^[CGD][A-Z0-9]{6,}$/.test(channel)) {
    throw new KeelError('invalid_input', `Slack channel "${channel}" is not a channel ID, which the history check needs.`, {
      retriable: false,
      problems: [{ path: 'channel', message: 'use the channel ID (C..., G... or D...)', hint: 'Or set history_check: false (post becomes unsafe).' }],
    });
  }
  return channel;
}

function messageBody(channel: string | null, input: { text: string; blocks?: unknown[]; thread_ts?: string }): Record<string, unknown> {
  return { channel, text: input.text, ...(input.blocks ? { blocks: input.blocks } : {}), ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}) };
}

function webhookBody(input: { text: string; blocks?: unknown[] }): Record<string, unknown> {
  return { text: input.text, ...(input.blocks ? { blocks: input.blocks } : {}) };
}

function answer(result: unknown, channel: string): { channel: string; ts: string } {
  const parsed = messageRef.safeParse(result);
  if (!parsed.success) throw new KeelError('outcome_unknown', `Slack accepted the message in channel ${channel} but answered without its ts`, { retriable: false });
  return parsed.data;
}

// Our errors already say what happened; the WebClient's console logger would only repeat it.
const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** One Web API call through the guarded client; every failure comes back as a KeelError without the token. */
async function callSlack(config: SlackConfig, context: ConnectorContext, method: string, args: Record<string, unknown>, channel: string): Promise<unknown> {
  // Resolved per call so a rotated token takes effect at once; the client lives for this call only.
  const token = await context.secret(config.bot_token_secret);
  const client = new WebClient(token, {
    slackApiUrl: config.api_url,
    fetch: guardedFetch(context),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    // 0 = none of its own: the egress client's budget applies and reports a retriable step_timeout.
    timeout: 0,
    logger: silentLogger,
    allowAbsoluteUrls: false,
  });
  try {
    return await client.apiCall(method, args);
  } catch (error) {
    throw slackError(error, config, method, channel);
  }
}

function guardedFetch(context: ConnectorContext): FetchFunction {
  const send = egressFetch(context.egress);
  return async (url, init = {}) => {
    // Multipart bodies only come from file uploads, which this kind does not offer.
    if (init.body !== undefined && typeof init.body !== 'string') {
      throw new KeelError('action_failed', 'The Slack connector sends no multipart bodies.', { retriable: false });
    }
    const signal = init.signal ? AbortSignal.any([init.signal, context.signal]) : context.signal;
    return send(url, { method: init.method ?? 'POST', headers: init.headers ?? {}, body: init.body, signal });
  };
}

const authErrors = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission']);
const channelErrors: Record<string, { reason: string; hint: string }> = {
  channel_not_found: { reason: 'no such channel, or the bot cannot see it', hint: 'Check the channel ID; a private channel needs the bot invited.' },
  not_in_channel: { reason: 'the bot is not a member', hint: 'Invite the bot to the channel (/invite @bot).' },
  is_archived: { reason: 'the channel is archived', hint: 'Unarchive it or post elsewhere.' },
  message_not_found: { reason: 'no message with that ts', hint: 'Check the ts returned by the post.' },
  cant_update_message: { reason: 'the bot did not post that message', hint: 'Only the bot\'s own messages can be updated.' },
};
const transientErrors = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

function slackError(error: unknown, config: SlackConfig, method: string, channel: string): KeelError {
  if (error instanceof KeelError) return error;
  // The guard's own refusals, timeouts and network failures reach us wrapped; they already say it best.
  if (error instanceof WebAPIRequestError) {
    if (error.original instanceof KeelError) return error.original;
    return new KeelError('action_failed', `Slack ${method} could not be sent`, { retriable: true, cause: error.original });
  }
  if (error instanceof WebAPIRateLimitedError) return rateLimited(method, error.retryAfter * 1000);
  const details = { channel, method };
  if (error instanceof WebAPIPlatformError) {
    // With a body that is not JSON the client puts the whole body here; only a Slack error code is repeated.
    const code = /^[a-z0-9_]{1,64}$/.test(error.data.error) ? error.data.error : 'unreadable_response';
    const retryAfter = error.data.response_metadata?.retryAfter;
    if (code === 'ratelimited' || code === 'rate_limited') return rateLimited(method, retryAfter === undefined ? undefined : retryAfter * 1000);
    if (authErrors.has(code)) {
      return new KeelError('misconfigured', `Slack refused the bot token in secret ${config.bot_token_secret} (${code}) for ${method} in channel ${channel}`, {
        retriable: false,
        hint: `Check the token stored in secret ${config.bot_token_secret}, or rotate it.`,
        details: { ...details, slack_error: code },
      });
    }
    if (code === 'missing_scope') {
      const needed = (error.data as { needed?: unknown }).needed;
      return new KeelError('misconfigured', `The Slack bot token lacks a scope for ${method} in channel ${channel}`, {
        retriable: false,
        hint: typeof needed === 'string' ? `Add the ${needed} scope to the Slack app and reinstall it.` : 'Add the missing scope to the Slack app.',
        details: { ...details, slack_error: code },
      });
    }
    const known = channelErrors[code];
    const message = `Slack ${method} in channel ${channel} failed: ${code}${known ? ` (${known.reason})` : ''}`;
    return new KeelError('action_failed', message, { retriable: transientErrors.has(code), details: { ...details, slack_error: code }, ...(known ? { hint: known.hint } : {}) });
  }
  if (error instanceof WebAPIHTTPError) {
    return new KeelError('action_failed', `Slack ${method} in channel ${channel} answered HTTP ${error.statusCode}`, { retriable: error.statusCode >= 500, details });
  }
  // A 429 without a readable Retry-After surfaces as a plain Error from the client.
  if (error instanceof Error && /rate limit|retry header/i.test(error.message)) return rateLimited(method, undefined);
  return new KeelError('action_failed', `Slack ${method} in channel ${channel} failed unexpectedly`, { retriable: true, details });
}

function rateLimited(what: string, retryAfter: number | undefined): KeelError {
  return new KeelError('provider_rate_limited', `Slack rate-limited ${what}`, { retriable: true, ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }) });
}

function webhookError(res: EgressResponse, secretName: string): KeelError {
  const code = /^[a-z0-9_]{1,64}$/.test(res.body.trim()) ? res.body.trim() : `HTTP ${res.status}`;
  if (res.status === 429) return rateLimited('the incoming webhook', retryAfterMs(res.headers));
  if (code === 'no_service' || code === 'invalid_token' || code === 'no_team') {
    return new KeelError('misconfigured', `The Slack incoming webhook in secret ${secretName} is no longer valid (${code})`, {
      retriable: false,
      hint: `Create a new incoming webhook and store its URL in secret ${secretName}.`,
    });
  }
  return new KeelError('action_failed', `The Slack incoming webhook refused the message: ${code} (HTTP ${res.status})`, {
    retriable: res.status >= 500,
    details: { status: res.status, slack_error: code },
  });
}

export const slackKind: ConnectorKind<SlackConfig> = {
  kind: 'slack',
  description: 'Slack: post and update messages with a bot token, or post through an incoming webhook.',
  config: slackConfig,
  secretNames: (config) => [config.bot_token_secret, ...(config.incoming_webhook_secret ? [config.incoming_webhook_secret] : [])],
  actions: { post, update, webhook_post: webhookPost },
};
