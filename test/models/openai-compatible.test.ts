// An OpenAI-compatible server (Ollama, vLLM, llama.cpp...) at its own base URL: the key is optional,
// JSON is asked for with json_object, and the answer is read like OpenAI's.

import { describe, expect, it } from 'vitest';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { compatibleKey, compatibleModel, harness, ticketSchema } from './router-harness.js';

const server = useFakeLlmServer();

describe('OpenAI-compatible servers', () => {
  it('calls a server that needs no key, without any authorization header, in json_object mode', async () => {
    // KEEL_OPENAI_API_KEY (this provider's default key variable) is not among the harness's keys.
    const h = harness(server, { local: compatibleModel(server) });
    server.script('openai', { text: '{"category":"other","confidence":0.4}', model: 'llama3.2:3b' });

    const result = await h.router.call(h.request({ model: 'local', outputSchema: ticketSchema }));

    expect(result).toMatchObject({ ok: true, output: { category: 'other', confidence: 0.4 } });
    expect(result.attempts[0]).toMatchObject({ provider: 'openai-compatible', modelId: 'llama3.2', responseModel: 'llama3.2:3b', costUsd: 0 });
    const [sent] = server.requests;
    expect(sent!.headers.authorization).toBeUndefined();
    expect(sent!.body.response_format).toEqual({ type: 'json_object' });
    expect(JSON.stringify(sent!.body.messages)).toContain('JSON only');
  });

  it('sends the key named by apiKeyEnv as a bearer token', async () => {
    const h = harness(server, { local: compatibleModel(server, { apiKeyEnv: 'LOCAL_LLM_KEY' }) });
    server.script('openai', { text: 'plain answer' });

    const result = await h.router.call(h.request({ model: 'local' }));

    expect(result).toMatchObject({ ok: true, output: 'plain answer' });
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${compatibleKey}`);
  });
});
