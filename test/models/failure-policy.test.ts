// The failure policy, branch by branch, over each provider protocol: repair, fallback, timeouts,
// Retry-After, 5xx back-off, 4xx without retry, broken bodies and the caller's abort. The sleep is
// injected and records what the policy asked to wait, so nothing here actually waits for back-off.

import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/errors.js';
import { useFakeLlmServer, type FakeLlmServer, type FakeRoute } from '../support/fake-llm-server.js';
import { anthropicModel, compatibleModel, harness, openaiModel, ticketSchema } from './router-harness.js';

const server = useFakeLlmServer();

const valid = '{"category":"billing","confidence":0.9}';

const protocols: Array<{ name: string; route: FakeRoute; model: (s: FakeLlmServer, extra?: Record<string, unknown>) => Record<string, unknown> }> = [
  { name: 'openai', route: 'openai', model: openaiModel },
  { name: 'anthropic', route: 'anthropic', model: anthropicModel },
  { name: 'openai-compatible', route: 'openai', model: compatibleModel },
];

/** The last user message's text of a recorded request, whichever protocol carried it. */
function lastUserText(body: Record<string, unknown>): string {
  const messages = body.messages as Array<{ role: string; content: string | Array<{ text?: string }> }>;
  const last = messages.filter((m) => m.role === 'user').pop()!;
  return typeof last.content === 'string' ? last.content : last.content.map((p) => p.text ?? '').join('');
}

function roles(body: Record<string, unknown>): string[] {
  return (body.messages as Array<{ role: string }>).map((m) => m.role).filter((r) => r !== 'system');
}

describe.each(protocols)('failure policy over $name', ({ route, model }) => {
  const models = (extra: Record<string, unknown> = {}) => ({
    main: model(server, { fallbacks: ['backup'], ...extra }),
    backup: model(server, extra),
  });

  it('repairs a malformed answer once, sending back the answer and the validation errors', async () => {
    const h = harness(server, models());
    server.script(route, { text: '{"category":"billing","confidence":7}' }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main', output: { category: 'billing', confidence: 0.9 } });
    expect(result.attempts.map((a) => [a.model, a.purpose, a.attempt, a.errorClass])).toEqual([
      ['main', 'call', 1, 'malformed_output'],
      ['main', 'repair', 2, null],
    ]);
    expect(result.attempts[0]!.errorMessage).toContain('/confidence: must be <= 1');
    // The malformed answer still cost tokens, and is recorded as such.
    expect(result.attempts[0]!.tokensIn).toBeGreaterThan(0);
    const repair = server.requests[1]!.body;
    expect(roles(repair)).toEqual(['user', 'assistant', 'user']);
    expect(lastUserText(repair)).toContain('/confidence: must be <= 1');
    expect(lastUserText(repair)).toContain('corrected JSON only');
  });

  it('moves to the fallback model when the repair is malformed too', async () => {
    const h = harness(server, models());
    server.script(route, { text: 'I think it is billing.' }, { text: '{"category":"billing"}' }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'backup', output: { category: 'billing', confidence: 0.9 } });
    expect(result.attempts.map((a) => [a.model, a.purpose, a.errorClass])).toEqual([
      ['main', 'call', 'malformed_output'],
      ['main', 'repair', 'malformed_output'],
      ['backup', 'call', null],
    ]);
    expect(result.attempts[0]!.errorMessage).toContain('not valid JSON');
    expect(result.attempts[1]!.errorMessage).toContain("must have required property 'confidence'");
    expect(h.sleeps).toEqual([]); // malformed output is not a transient failure: no waiting
  });

  it('fails with malformed_output and the last answer when every model answers malformed', async () => {
    const h = harness(server, models());
    server.script(route, { text: 'nope' }, { text: 'still nope' }, { text: '{"category":1}' }, { text: '{"category":2}' });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: false, reason: 'malformed_output', lastText: '{"category":2}' });
    expect(result.attempts).toHaveLength(4);
    if (!result.ok) expect(result.message).toContain('main: malformed_output');
  });

  it('counts an empty answer as malformed and asks again without repeating it', async () => {
    const h = harness(server, models());
    server.script(route, { text: '' }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main' });
    expect(result.attempts.map((a) => [a.purpose, a.errorClass])).toEqual([['call', 'empty_answer'], ['repair', null]]);
    const repair = server.requests[1]!.body;
    expect(roles(repair)).not.toContain('assistant');
    expect(lastUserText(repair)).toContain('previous answer was empty');
  });

  it('retries a model that does not answer in time, then the fallback, then gives up with no_response', async () => {
    const fast = { timeoutMs: 150, retries: { maxAttempts: 2, backoffMs: 100, maxBackoffMs: 1_000 } };
    const h = harness(server, models(fast));
    server.script(route, { delayMs: 1_500, text: valid }, { delayMs: 1_500, text: valid }, { delayMs: 1_500, text: valid }, { delayMs: 1_500, text: valid });

    const started = Date.now();
    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: false, reason: 'no_response' });
    expect(result.attempts.map((a) => [a.model, a.errorClass])).toEqual([
      ['main', 'no_response'], ['main', 'no_response'], ['backup', 'no_response'], ['backup', 'no_response'],
    ]);
    expect(h.sleeps).toEqual([100, 100]); // one back-off per model between its two tries
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(1_500); // each attempt was cut at its timeout, not at the answer
  });

  it('honours Retry-After on a 429 before trying the same model again', async () => {
    const h = harness(server, models());
    server.script(route, { status: 429, retryAfter: '1' }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main' });
    expect(result.attempts.map((a) => [a.errorClass, a.status])).toEqual([['rate_limited', 429], [null, null]]);
    expect(h.sleeps).toEqual([1_000]);
  });

  it('retries a 500 with exponential back-off', async () => {
    const h = harness(server, models());
    server.script(route, { status: 500 }, { status: 502 }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main' });
    expect(result.attempts.map((a) => [a.model, a.errorClass, a.status])).toEqual([
      ['main', 'server_error', 500], ['main', 'server_error', 502], ['main', null, null],
    ]);
    expect(h.sleeps).toEqual([100, 200]);
  });

  it('does not retry a 401 and goes straight to the fallback', async () => {
    const h = harness(server, models());
    server.script(route, { status: 401 }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'backup' });
    expect(result.attempts.map((a) => [a.model, a.errorClass, a.status])).toEqual([['main', 'client_error', 401], ['backup', null, null]]);
    expect(h.sleeps).toEqual([]);
  });

  it('treats a body cut off mid-way as a network error and retries it', async () => {
    const h = harness(server, models());
    server.script(route, { cutOff: true }, { text: valid });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main', output: { category: 'billing', confidence: 0.9 } });
    expect(result.attempts.map((a) => [a.errorClass, a.status])).toEqual([['network', null], [null, null]]);
    expect(h.sleeps).toEqual([100]);
  });

  it("stops at once on the caller's abort and rethrows its reason", async () => {
    const h = harness(server, models());
    server.script(route, { delayMs: 5_000, text: valid });
    const controller = new AbortController();
    const reason = new KeelError('fenced', 'lease lost');
    setTimeout(() => controller.abort(reason), 100);

    const started = Date.now();
    await expect(h.router.call(h.request({ model: 'main', signal: controller.signal }))).rejects.toBe(reason);

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.recorded).toEqual([]); // not turned into a no_response attempt
    expect(server.requests).toHaveLength(1); // no retry, no fallback
  });
});
