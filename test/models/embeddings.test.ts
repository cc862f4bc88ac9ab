// Embeddings through the configured retrieval model, over OpenAI's embeddings protocol.

import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/errors.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { compatibleKey, harness, openaiKey, openaiModel } from './router-harness.js';

const server = useFakeLlmServer();

const signal = () => new AbortController().signal;

describe('embeddings', () => {
  it('embeds texts in order with the configured OpenAI model, asking for the configured dimensions', async () => {
    const h = harness(server, {}, { embeddingModel: { provider: 'openai', model: 'text-embedding-3-small', baseUrl: `${server.url}/v1`, dimensions: 3 } });
    server.script('embeddings', { embeddings: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]] });

    const vectors = await h.router.embed(['refund policy', 'shipping times'], signal());

    expect(vectors).toEqual([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    const [sent] = server.requests;
    expect(sent!.body).toMatchObject({ model: 'text-embedding-3-small', input: ['refund policy', 'shipping times'], dimensions: 3 });
    expect(sent!.headers.authorization).toBe(`Bearer ${openaiKey}`);
  });

  it('embeds with an OpenAI-compatible server and its own key, without sending dimensions', async () => {
    const h = harness(server, {}, {
      embeddingModel: { provider: 'openai-compatible', model: 'nomic-embed-text', baseUrl: `${server.url}/v1`, apiKeyEnv: 'LOCAL_LLM_KEY', dimensions: 2 },
    });
    server.script('embeddings', { embeddings: [[1, 0]] });

    expect(await h.router.embed(['hello'], signal())).toEqual([[1, 0]]);
    expect(server.requests[0]!.body.dimensions).toBeUndefined();
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${compatibleKey}`);
  });

  it('retries a server error, then answers', async () => {
    const h = harness(server, {}, { embeddingModel: { provider: 'openai', model: 'text-embedding-3-small', baseUrl: `${server.url}/v1`, dimensions: 2 } });
    server.script('embeddings', { status: 500 }, { embeddings: [[1, 2]] });

    expect(await h.router.embed(['x'], signal())).toEqual([[1, 2]]);
    expect(h.sleeps).toEqual([1_000]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails with a rate-limit error carrying Retry-After when the provider keeps refusing', async () => {
    const h = harness(server, {}, { embeddingModel: { provider: 'openai', model: 'text-embedding-3-small', baseUrl: `${server.url}/v1`, dimensions: 2 } });
    server.script('embeddings', { status: 429, retryAfter: '2' }, { status: 429, retryAfter: '2' }, { status: 429, retryAfter: '2' });

    const error: unknown = await h.router.embed(['x'], signal()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KeelError);
    expect((error as KeelError).code).toBe('provider_rate_limited');
    expect((error as KeelError).retryAfterMs).toBe(2_000);
    expect(h.sleeps).toEqual([2_000, 2_000]);
  });

  it('refuses vectors of another size than configured', async () => {
    const h = harness(server, {}, { embeddingModel: { provider: 'openai', model: 'text-embedding-3-small', baseUrl: `${server.url}/v1`, dimensions: 3 } });
    server.script('embeddings', { embeddings: [[1, 2]] });

    const error: unknown = await h.router.embed(['x'], signal()).catch((e: unknown) => e);

    expect((error as KeelError).code).toBe('misconfigured');
    expect((error as KeelError).message).toContain('2 dimensions; 3 are configured');
  });

  it('says clearly when no embedding model is configured, and embeds nothing for no texts', async () => {
    const none = harness(server, { main: openaiModel(server) });
    const error: unknown = await none.router.embed(['x'], signal()).catch((e: unknown) => e);
    expect((error as KeelError).code).toBe('misconfigured');

    const h = harness(server, {}, { embeddingModel: { provider: 'openai', model: 'text-embedding-3-small', baseUrl: `${server.url}/v1`, dimensions: 3 } });
    expect(await h.router.embed([], signal())).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});
