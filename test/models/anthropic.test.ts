// The Anthropic provider against a real loopback server speaking the messages protocol.

import { describe, expect, it } from 'vitest';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { anthropicKey, anthropicModel, harness, ticketSchema } from './router-harness.js';

const server = useFakeLlmServer();

describe('Anthropic messages', () => {
  it('returns the validated JSON and records usage, cost and the model version the provider reported', async () => {
    const h = harness(server, { claude: anthropicModel(server) });
    server.script('anthropic', { text: '{"category":"bug","confidence":0.8}', tokensIn: 2_000, tokensOut: 100 });

    const result = await h.router.call(h.request({ model: 'claude', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, model: 'claude', output: { category: 'bug', confidence: 0.8 } });
    expect(result.attempts[0]).toMatchObject({
      provider: 'anthropic', modelId: 'claude-haiku-4-5', responseModel: 'claude-haiku-4-5-20241022',
      tokensIn: 2_000, tokensOut: 100, errorClass: null,
    });
    // 2000 × $0.80/M + 100 × $4/M
    expect(result.attempts[0]!.costUsd).toBeCloseTo(0.0016 + 0.0004, 12);
  });

  it('sends the key in x-api-key (never as a bearer token) with the API version and the system prompt', async () => {
    const h = harness(server, { claude: anthropicModel(server, { parameters: { maxOutputTokens: 512 } }) });
    server.script('anthropic', { text: '{"category":"bug","confidence":0.8}' });

    await h.router.call(h.request({ model: 'claude', system: 'You sort support tickets.', outputSchema: ticketSchema }));

    const [sent] = server.requests;
    expect(sent!.headers['x-api-key']).toBe(anthropicKey);
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent!.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 512 });
    // A model with native structured output gets the schema as output_config.format.
    expect(sent!.body.output_config).toMatchObject({ format: { type: 'json_schema' } });
    const system = JSON.stringify(sent!.body.system);
    expect(system).toContain('You sort support tickets.');
    expect(system).toContain('JSON only');
  });

  it('repairs a malformed answer in the same conversation', async () => {
    const h = harness(server, { claude: anthropicModel(server) });
    server.script('anthropic', { text: '{"category":"refund","confidence":0.8}' }, { text: '{"category":"billing","confidence":0.8}' });

    const result = await h.router.call(h.request({ model: 'claude', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, output: { category: 'billing', confidence: 0.8 } });
    expect(result.attempts.map((a) => [a.purpose, a.errorClass])).toEqual([['call', 'malformed_output'], ['repair', null]]);
    const messages = server.requests[1]!.body.messages as Array<{ role: string; content: Array<{ text?: string }> }>;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(messages[1]!.content[0]!.text).toBe('{"category":"refund","confidence":0.8}');
    expect(messages[2]!.content[0]!.text).toContain('/category: must be equal to one of the allowed values');
  });
});
