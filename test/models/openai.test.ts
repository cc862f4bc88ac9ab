// The OpenAI provider against a real loopback server speaking chat completions: what is sent (key,
// JSON mode, system prompt), and what is recorded from the answer (usage, cost, reported model).

import { describe, expect, it } from 'vitest';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { harness, openaiKey, openaiModel, ticketSchema } from './router-harness.js';

const server = useFakeLlmServer();

describe('OpenAI chat completions', () => {
  it('returns the validated JSON and records usage, cost and the model version the provider reported', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { text: '{"category":"billing","confidence":0.92}', tokensIn: 1_000, tokensOut: 200 });

    const result = await h.router.call(h.request({ model: 'main', system: 'You sort support tickets.', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'main', output: { category: 'billing', confidence: 0.92 } });
    expect(result.attempts).toHaveLength(1);
    const [attempt] = result.attempts;
    expect(attempt).toMatchObject({
      model: 'main', provider: 'openai', modelId: 'gpt-4o-mini', responseModel: 'gpt-4o-mini-2024-07-18',
      purpose: 'call', attempt: 1, tokensIn: 1_000, tokensOut: 200, errorClass: null, status: null,
    });
    // 1000 × $0.15/M + 200 × $0.60/M
    expect(attempt!.costUsd).toBeCloseTo(0.00015 + 0.00012, 12);
    expect(attempt!.latencyMs).toBeGreaterThanOrEqual(0);
    expect(attempt!.startedAt).toBeInstanceOf(Date);
    expect(h.recorded).toEqual(result.attempts);
  });

  it('sends the key as a bearer token, asks for a non-strict json_schema and says JSON in the system prompt', async () => {
    const h = harness(server, { main: openaiModel(server, { parameters: { temperature: 0.2, maxOutputTokens: 300 } }) });
    server.script('openai', { text: '{"category":"bug","confidence":0.5}' });

    await h.router.call(h.request({ model: 'main', system: 'You sort support tickets.', outputSchema: ticketSchema }));

    const [sent] = server.requests;
    expect(sent!.headers.authorization).toBe(`Bearer ${openaiKey}`);
    expect(sent!.body).toMatchObject({
      model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 300,
      response_format: { type: 'json_schema', json_schema: { strict: false, schema: ticketSchema } },
    });
    const messages = sent!.body.messages as Array<{ role: string; content: string }>;
    expect(messages[0]!.role).toBe('system');
    expect(messages[0]!.content).toContain('You sort support tickets.');
    expect(messages[0]!.content).toContain('JSON only');
    expect(messages[0]!.content).toContain('"enum":["billing","bug","other"]');
    expect(messages[1]).toEqual({ role: 'user', content: 'Classify this ticket: my invoice is wrong.' });
  });

  it("lets the call's parameters (a prompt's settings) override the model's configured ones", async () => {
    const h = harness(server, { main: openaiModel(server, { parameters: { temperature: 0.2, maxOutputTokens: 300, seed: 7 } }) });
    server.script('openai', { text: 'ok' });

    await h.router.call(h.request({ model: 'main', parameters: { temperature: 0, maxOutputTokens: 50 } }));

    expect(server.requests[0]!.body).toMatchObject({ temperature: 0, max_tokens: 50, seed: 7 });
  });

  it('accepts JSON wrapped in prose or in a ```json fence', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script(
      'openai',
      { text: 'Here is the classification you asked for: {"category":"other","confidence":0.3} Let me know!' },
      { text: 'Sure.\n```json\n{"category":"bug","confidence":0.7}\n```' },
    );

    const prose = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));
    const fenced = await h.router.call(h.request({ model: 'main', outputSchema: ticketSchema }));

    expect(prose).toMatchObject({ ok: true, output: { category: 'other', confidence: 0.3 } });
    expect(fenced).toMatchObject({ ok: true, output: { category: 'bug', confidence: 0.7 } });
    expect(server.requests).toHaveLength(2); // no repair was needed for either
  });

  it('returns plain text as the output when no schema is asked for, without a JSON mode', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { text: 'Dear customer, we fixed your invoice.' });

    const result = await h.router.call(h.request({ model: 'main' }));

    expect(result).toMatchObject({ ok: true, text: 'Dear customer, we fixed your invoice.', output: 'Dear customer, we fixed your invoice.' });
    expect(server.requests[0]!.body.response_format).toBeUndefined();
  });

  it('asks for an array schema in the prompt only, since JSON modes force an object at the root', async () => {
    const h = harness(server, { main: openaiModel(server) });
    server.script('openai', { text: '["billing", "bug"]' });

    const result = await h.router.call(h.request({ model: 'main', outputSchema: { type: 'array', items: { type: 'string' } } }));

    expect(result).toMatchObject({ ok: true, output: ['billing', 'bug'] });
    expect(server.requests[0]!.body.response_format).toBeUndefined();
  });
});
