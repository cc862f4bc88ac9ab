// How a chain is built and guarded: unknown or non-LLM models and missing keys are refused before
// any request; fallbacks are followed one level, each model once; the caller's hooks see every
// attempt in order; Retry-After is read in both its forms and capped; keys never leak.

import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/errors.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { anthropicKey, anthropicModel, harness, openaiKey, openaiModel, ticketSchema } from './router-harness.js';

const server = useFakeLlmServer();

const valid = '{"category":"billing","confidence":0.9}';

async function rejection(promise: Promise<unknown>): Promise<KeelError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(KeelError);
  return error as KeelError;
}

describe('building the chain', () => {
  it('refuses a chain naming an unknown model before sending anything', async () => {
    const h = harness(server, { main: openaiModel(server, { fallbacks: ['backup', 'bakcup'] }), backup: openaiModel(server) });

    const error = await rejection(h.router.call(h.request({ model: 'main' })));

    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('"bakcup"');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses an unknown requested model', async () => {
    const h = harness(server, { main: openaiModel(server) });
    const error = await rejection(h.router.call(h.request({ model: 'mian' })));
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('"mian"');
  });

  it('refuses the template and classifier models as LLMs', async () => {
    const h = harness(server, {
      main: openaiModel(server, { fallbacks: ['offline'] }),
      offline: { provider: 'template' },
      triage: { provider: 'classifier', dataset: 'tickets.csv' },
    });

    const fallback = await rejection(h.router.call(h.request({ model: 'main' })));
    const direct = await rejection(h.router.call(h.request({ model: 'triage' })));

    expect(fallback.code).toBe('misconfigured');
    expect(fallback.message).toContain('"offline" is a template model, not an LLM');
    expect(direct.message).toContain('"triage" is a classifier model, not an LLM');
    expect(h.router.describe('offline')).toBeUndefined();
    expect(h.router.describe('main')).toEqual({ provider: 'openai', modelId: 'gpt-4o-mini' });
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a provider whose key was not set, naming the variable and not sending anything', async () => {
    const h = harness(server, { main: openaiModel(server, { apiKeyEnv: 'TEAM_OPENAI_KEY' }) });

    const error = await rejection(h.router.call(h.request({ model: 'main' })));

    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('TEAM_OPENAI_KEY');
    expect(server.requests).toHaveLength(0);
  });

  it("follows fallbacks one level only and tries each model once, reporting each model's last failure", async () => {
    const h = harness(server, {
      main: openaiModel(server, { fallbacks: ['backup', 'main', 'backup'] }),
      backup: openaiModel(server, { fallbacks: ['third'] }),
      third: openaiModel(server),
    });
    server.script('openai', { status: 401 }, { status: 403 });

    const result = await h.router.call(h.request({ model: 'main' }));

    expect(result).toMatchObject({ ok: false, reason: 'provider_error' });
    expect(result.attempts.map((a) => a.model)).toEqual(['main', 'backup']);
    if (!result.ok) {
      expect(result.message).toContain('main: client_error (HTTP 401) after 1 attempt');
      expect(result.message).toContain('backup: client_error (HTTP 403) after 1 attempt');
    }
  });

  it('falls back across providers', async () => {
    const h = harness(server, { main: openaiModel(server, { fallbacks: ['claude'] }), claude: anthropicModel(server) });
    server.script('openai', { status: 404, message: 'The model `gpt-4o-mini` does not exist' });
    server.script('anthropic', { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'claude' });
    expect(result.attempts[0]!.errorMessage).toContain('does not exist');
  });

  it('gives up on a model after maxAttempts server errors and reports provider_error', async () => {
    const h = harness(server, { main: openaiModel(server, { retries: { maxAttempts: 2, backoffMs: 50, maxBackoffMs: 1_000 } }) });
    server.script('openai', { status: 503 }, { status: 500 });

    const result = await h.router.call(h.request({ model: 'main' }));

    expect(result).toMatchObject({ ok: false, reason: 'provider_error', lastText: null });
    if (!result.ok) expect(result.message).toContain('main: server_error (HTTP 500) after 2 attempts');
    expect(h.sleeps).toEqual([50]);
  });
});

describe('waiting before a retry', () => {
  it('reads Retry-After given as an HTTP date', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { status: 429, retryAfter: new Date(Date.now() + 3_000).toUTCString() }, { text: 'ok' });

    await h.router.call(h.request({ model: 'main' }));

    // HTTP dates have whole seconds: the wait is between 2 and 3 seconds.
    expect(h.sleeps).toHaveLength(1);
    expect(h.sleeps[0]).toBeGreaterThan(1_900);
    expect(h.sleeps[0]).toBeLessThanOrEqual(3_000);
  });

  it('caps Retry-After at maxBackoffMs', async () => {
    const h = harness(server, { main: openaiModel(server) }); // maxBackoffMs 5000
    server.script('openai', { status: 429, retryAfter: '3600' }, { text: 'ok' });

    await h.router.call(h.request({ model: 'main' }));

    expect(h.sleeps).toEqual([5_000]);
  });

  it('backs off exponentially on a 429 that does not say how long', async () => {
    const h = harness(server, { main: openaiModel(server, { retries: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 150 } }) });
    server.script('openai', { status: 429 }, { status: 429 }, { text: 'ok' });

    await h.router.call(h.request({ model: 'main' }));

    expect(h.sleeps).toEqual([100, 150]); // 200 capped at 150
  });
});

describe("the caller's abort", () => {
  it('rejects at once when the signal is already aborted, sending nothing', async () => {
    const h = harness(server, { main: openaiModel(server) });
    const controller = new AbortController();
    const reason = new KeelError('fenced', 'lease lost');
    controller.abort(reason);

    await expect(h.router.call(h.request({ model: 'main', signal: controller.signal }))).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('stops during a back-off wait before the next request', async () => {
    const controller = new AbortController();
    const reason = new KeelError('fenced', 'run cancelled');
    const h = harness(server, { main: openaiModel(server) }, { onSleep: () => controller.abort(reason) });
    server.script('openai', { status: 500 }, { text: 'never asked for' });

    await expect(h.router.call(h.request({ model: 'main', signal: controller.signal }))).rejects.toBe(reason);
    expect(server.requests).toHaveLength(1);
    expect(h.recorded.map((r) => r.errorClass)).toEqual(['server_error']);
    expect(server.pending('openai')).toBe(1); // the answer after the wait was never asked for
  });
});

describe("the caller's hooks", () => {
  it('persists each attempt through onAttempt before the next request is sent', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { status: 500 }, { text: 'not json' }, { text: valid });
    const seen: Array<[number, number]> = [];

    await h.router.call(h.request({
      model: 'main',
      outputSchema: ticketSchema,
      onAttempt: (record) => {
        seen.push([record.attempt, server.requests.length]);
        return Promise.resolve();
      },
    }));

    expect(seen).toEqual([[1, 1], [2, 2], [3, 3]]);
  });

  it('asks beforeAttempt before every attempt and rethrows what it throws, sending nothing more', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { status: 500 });
    const asked: Array<{ model: string; attempt: number }> = [];
    // Whatever the hook throws comes back as is (the budget check throws its own error type).
    const budget = new Error('run budget of $0.01 reached');

    const error: unknown = await h.router.call(h.request({
      model: 'main',
      beforeAttempt: (next) => {
        asked.push(next);
        return next.attempt === 2 ? Promise.reject(budget) : Promise.resolve();
      },
    })).catch((e: unknown) => e);

    expect(error).toBe(budget);
    expect(asked).toEqual([{ model: 'main', attempt: 1 }, { model: 'main', attempt: 2 }]);
    expect(server.requests).toHaveLength(1);
    expect(h.recorded).toHaveLength(1);
  });
});

describe('API keys', () => {
  it('sends each key only in its header and never puts it in a record, a result or an error', async () => {
    const h = harness(server, { main: openaiModel(server, { fallbacks: ['claude'] }), claude: anthropicModel(server) });
    // Both fake providers echo the key they were sent in their 401 message, as OpenAI does.
    server.script('openai', { status: 401 });
    server.script('anthropic', { status: 401 });

    const result = await h.router.call(h.request({ model: 'main' }));

    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${openaiKey}`);
    expect(server.requests[1]!.headers['x-api-key']).toBe(anthropicKey);
    expect(result.ok).toBe(false);
    expect(result.attempts[0]!.errorMessage).toContain('Incorrect API key provided');
    const everything = JSON.stringify([result, h.recorded]);
    for (const key of [openaiKey, anthropicKey]) {
      expect(everything).not.toContain(key);
      expect(everything).not.toContain(key.slice(-12)); // nor a recognisable tail of it
    }
    const bodies = JSON.stringify(server.requests.map((r) => r.body));
    expect(bodies).not.toContain(openaiKey);
    expect(bodies).not.toContain(anthropicKey);
  });
});
