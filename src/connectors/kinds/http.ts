// The `http` connector kind: one REST API, its credential, and two actions, a read (`get`) and a
// write (`send`). The owner configures the origin and the credential once; workflows only choose
// paths under it, so a grant of `http:write` on this connector means "write to this API", nothing
// wider. Every request goes through the guarded egress client handed over in the context.

import { z } from 'zod';
import { KeelError } from '../../errors.js';
import { defineAction, type ConnectorContext, type ConnectorKind } from './kind.js';
import { answerOf, fixedHeadersSchema, hasHeader, isSuccess, sensitiveForms, statusError, targetUrlSchema, timeoutSchema, type HttpAnswer } from './http-exchange.js';

const keyPlaceholder = '{idempotency_key}';

const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('bearer'), token_secret: z.string().min(1) }),
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1).regex(/^[^:]*$/, 'a Basic username may not contain ":"'), password_secret: z.string().min(1) }),
  z.strictObject({ type: z.literal('api_key'), header: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/).default('x-api-key'), key_secret: z.string().min(1) }),
]);

export const httpConfigSchema = z
  .strictObject({
    /** The API's root: every path a workflow sends is resolved under it (same origin, same base path). */
    base_url: targetUrlSchema,
    auth: authSchema.default({ type: 'none' }),
    /** Non-secret headers sent on every request (shown in render). */
    headers: fixedHeadersSchema,
    timeout_ms: timeoutSchema,
    /** The header carrying the run's idempotency key on writes; null when the API honours none. */
    idempotency_header: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/).nullable().default('Idempotency-Key'),
    /**
     * How `send` survives a crash. `unsafe` unless the owner states otherwise: only the owner knows
     * whether the API really honours the idempotency header, and claiming it wrongly would let a
     * retry repeat a payment or an email.
     */
    write_delivery: z.enum(['idempotent', 'check-then-act', 'unsafe']).default('unsafe'),
    /** For check-then-act: a path with `{idempotency_key}` that answers 404 while our write has not happened. */
    check_path: z.string().optional(),
  })
  .superRefine((config, ctx) => {
    const own = [config.idempotency_header, config.auth.type === 'api_key' ? config.auth.header : null];
    for (const name of own) {
      if (name && hasHeader(config.headers, name)) ctx.addIssue({ code: 'custom', path: ['headers', name], message: `${name} is set by the connector itself` });
    }
    if (config.write_delivery === 'idempotent' && config.idempotency_header === null) {
      ctx.addIssue({ code: 'custom', path: ['write_delivery'], message: 'idempotent writes need an idempotency_header the API honours' });
    }
    if (config.write_delivery === 'check-then-act' && !config.check_path?.includes(keyPlaceholder)) {
      ctx.addIssue({ code: 'custom', path: ['check_path'], message: `check-then-act needs a check_path containing ${keyPlaceholder}` });
    }
    if (config.check_path !== undefined) {
      try {
        resolveApiUrl(config.base_url, config.check_path, undefined, 'key');
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['check_path'], message: error instanceof Error ? error.message : 'invalid path' });
      }
    }
  });

export type HttpConfig = z.infer<typeof httpConfigSchema>;

const querySchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
type Query = z.infer<typeof querySchema>;

const getInput = z.strictObject({ path: z.string().max(4096), query: querySchema.optional() });
const sendInput = z.strictObject({
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
  /** May contain `{idempotency_key}`, for APIs where a PUT to our own reference is the idempotent write. */
  path: z.string().max(4096),
  body: z.json().optional(),
  query: querySchema.optional(),
});

/**
 * Resolves a workflow's path under the base URL, refusing anything that would leave it. Why so
 * strict: the connector attaches its credential to every request, so if a workflow could pick the
 * origin (an absolute URL, `//host`, a backslash or tab the URL parser turns into a slash) or climb
 * out of the base path with `..` (also percent-encoded, as some servers decode before routing), the
 * connector would become an open proxy carrying the credential wherever the workflow likes, and a
 * grant on "this API" would mean nothing. `key` fills `{idempotency_key}`; absent in render.
 */
function resolveApiUrl(baseUrl: string, path: string, query: Query | undefined, key: string | undefined): URL {
  const base = new URL(baseUrl);
  const refuse = (why: string): KeelError =>
    new KeelError('invalid_input', `The path ${why}; it must stay under the connector's base URL.`, {
      retriable: false, problems: [{ path: 'path', message: why }], details: { sent: false },
    });
  // The URL parser silently drops tabs and newlines and reads "\" as "/": refuse rather than guess.
  if (hasControlOrBackslash(path)) throw refuse('contains a control character or a backslash');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw refuse('is an absolute URL');
  const relative = path.startsWith('/') ? path.slice(1) : path;
  if (relative.startsWith('/')) throw refuse('starts with //, which names another host');
  // Every `..` segment is refused, even one that would stay inside: servers normalise (and decode
  // %2F) differently from the URL parser, so only a path without one means the same to both.
  const pathPart = relative.split(/[?#]/, 1)[0] ?? '';
  if (decodedRepeatedly(pathPart).split(/[/\\]/).includes('..')) throw refuse('climbs out with ..');

  const dir = new URL(base.href);
  if (!dir.pathname.endsWith('/')) dir.pathname = `${dir.pathname}/`;
  dir.search = '';
  // "./" keeps a colon in the first segment ("documents:batchGet") a path, never a scheme.
  const filled = key === undefined ? relative : relative.replaceAll(keyPlaceholder, encodeURIComponent(key));
  const url = new URL(`./${filled}`, dir);
  if (url.origin !== base.origin || !url.pathname.startsWith(dir.pathname)) throw refuse('resolves outside the base URL');

  const params = new URLSearchParams(base.search);
  for (const [k, v] of url.searchParams) params.append(k, v);
  for (const [k, v] of Object.entries(query ?? {})) params.append(k, String(v));
  url.search = params.toString();
  url.hash = ''; // never sent; keeping it would only make render differ from what goes out
  return url;
}

function hasControlOrBackslash(text: string): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || char === '\\') return true;
  }
  return false;
}

/** Decodes percent-escapes until stable (bounded), so `%252e%252e` is seen as the `..` it may become. */
function decodedRepeatedly(text: string): string {
  let current = text;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}

interface Credential {
  headers: Record<string, string>;
  /** Every string built from the secret, to be kept out of answers and errors. */
  forms: string[];
  /** Response headers to drop besides the usual ones (an API echoing our key header). */
  dropped: string[];
}

async function credential(config: HttpConfig, context: ConnectorContext): Promise<Credential> {
  const { auth } = config;
  switch (auth.type) {
    case 'none':
      return { headers: {}, forms: [], dropped: [] };
    case 'bearer': {
      const token = await context.secret(auth.token_secret);
      const value = `Bearer ${token}`;
      return { headers: { authorization: value }, forms: sensitiveForms([token, value]), dropped: [] };
    }
    case 'basic': {
      const password = await context.secret(auth.password_secret);
      const pair = `${auth.username}:${password}`;
      const value = `Basic ${Buffer.from(pair).toString('base64')}`;
      return { headers: { authorization: value }, forms: sensitiveForms([password, pair, value]), dropped: [] };
    }
    case 'api_key': {
      const key = await context.secret(auth.key_secret);
      return { headers: { [auth.header.toLowerCase()]: key }, forms: sensitiveForms([key]), dropped: [auth.header] };
    }
  }
}

/** What `render` shows instead of the credential: which secret would be used, never its value. */
function credentialPlaceholder(config: HttpConfig): Record<string, string> {
  const { auth } = config;
  switch (auth.type) {
    case 'none':
      return {};
    case 'bearer':
      return { authorization: `<bearer token: secret ${auth.token_secret}>` };
    case 'basic':
      return { authorization: `<basic auth: user ${auth.username}, password secret ${auth.password_secret}>` };
    case 'api_key':
      return { [auth.header.toLowerCase()]: `<api key: secret ${auth.key_secret}>` };
  }
}

interface Exchange {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  /** Writes carry the run's idempotency key; reads do not need one. */
  withKey: boolean;
}

function requestHeaders(config: HttpConfig, exchange: Exchange, auth: Record<string, string>, key: string): Record<string, string> {
  const headers: Record<string, string> = { ...config.headers };
  if (exchange.body !== undefined && !hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
  if (exchange.withKey && config.idempotency_header) headers[config.idempotency_header] = key;
  return { ...headers, ...auth };
}

async function perform(config: HttpConfig, context: ConnectorContext, exchange: Exchange): Promise<HttpAnswer> {
  // The URL is checked before the secret is even read: a refused path costs nothing and sends nothing.
  const url = resolveApiUrl(config.base_url, exchange.path, exchange.query, context.idempotencyKey);
  const auth = await credential(config, context);
  const response = await context.egress.request({
    url: url.href,
    method: exchange.method,
    headers: requestHeaders(config, exchange, auth.headers, context.idempotencyKey),
    body: exchange.body === undefined ? undefined : JSON.stringify(exchange.body),
    timeoutMs: config.timeout_ms,
    signal: context.signal,
    originBoundHeaders: auth.dropped,
  });
  if (isSuccess(response.status)) return answerOf(response, auth.forms, auth.dropped);
  throw statusError(response, `${exchange.method} ${url.pathname}`, auth.forms);
}

function render(config: HttpConfig, exchange: Exchange): unknown {
  const url = resolveApiUrl(config.base_url, exchange.path, exchange.query, undefined);
  const headers = requestHeaders(config, exchange, credentialPlaceholder(config), '<the run idempotency key>');
  return {
    method: exchange.method,
    // The key is only known when the step runs; show where it goes.
    url: url.href.replaceAll(encodeURIComponent(keyPlaceholder), keyPlaceholder),
    headers,
    ...(exchange.body === undefined ? {} : { body: exchange.body }),
  };
}

export const httpKind: ConnectorKind<HttpConfig> = {
  kind: 'http',
  description: 'A REST API under one base URL, with bearer, basic or API-key auth.',
  config: httpConfigSchema,
  secretNames(config) {
    const { auth } = config;
    if (auth.type === 'bearer') return [auth.token_secret];
    if (auth.type === 'basic') return [auth.password_secret];
    if (auth.type === 'api_key') return [auth.key_secret];
    return [];
  },
  actions: {
    get: defineAction<HttpConfig, z.infer<typeof getInput>>({
      scope: 'http:read',
      delivery: 'idempotent',
      sideEffect: false,
      input: getInput,
      render: (config, input) => render(config, { method: 'GET', path: input.path, query: input.query, withKey: false }),
      run: ({ config, input, context }) => perform(config, context, { method: 'GET', path: input.path, query: input.query, withKey: false }),
    }),
    send: defineAction<HttpConfig, z.infer<typeof sendInput>>({
      scope: 'http:write',
      delivery: (config) => config.write_delivery,
      sideEffect: true,
      input: sendInput,
      render: (config, input) => render(config, { ...input, withKey: true }),
      run: ({ config, input, context }) => perform(config, context, { ...input, withKey: true }),
      // Present on every connector, usable only when the owner configured check-then-act.
      async check({ config, context }) {
        if (config.write_delivery !== 'check-then-act' || config.check_path === undefined) {
          throw new KeelError('misconfigured', 'This http connector is not configured for check-then-act (write_delivery and check_path).', { retriable: false });
        }
        try {
          return { exists: true, output: await perform(config, context, { method: 'GET', path: config.check_path, withKey: true }) };
        } catch (error) {
          if (error instanceof KeelError && error.details?.status === 404) return { exists: false };
          throw error;
        }
      },
    }),
  },
};
