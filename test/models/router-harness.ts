// Builds a model router against the fake LLM server for the model tests: models parsed through the
// real configuration schema (so defaults are the shipped ones), loopback-only egress, a recording
// sleep that never waits, and every attempt record collected through onAttempt.

import { configSchema } from '../../src/config/index.js';
import { createEgressClient } from '../../src/connectors/index.js';
import { createModelRouter, type ModelAttemptRecord, type ModelCallRequest, type ModelRouter } from '../../src/models/index.js';
import type { FakeLlmServer } from '../support/fake-llm-server.js';

export const openaiKey = 'sk-test-openai-0123456789abcdef';
export const anthropicKey = 'sk-ant-test-fedcba9876543210';
export const compatibleKey = 'local-compatible-key-42';

export interface Harness {
  router: ModelRouter;
  /** Every wait the policy asked for, in ms, in order. */
  sleeps: number[];
  /** Every attempt record handed to onAttempt, in order. */
  recorded: ModelAttemptRecord[];
  /** A request with the harness's recorder and a fresh signal; override what the test needs. */
  request(overrides: Partial<ModelCallRequest> & { model: string }): ModelCallRequest;
}

export interface HarnessOptions {
  embeddingModel?: Record<string, unknown>;
  /** Runs inside the recording sleep, e.g. to abort the call while it waits. */
  onSleep?: (ms: number) => void;
}

export function harness(server: FakeLlmServer, models: Record<string, unknown>, options: HarnessOptions = {}): Harness {
  const config = configSchema.parse({
    models,
    providerKeys: { OPENAI_API_KEY: openaiKey, ANTHROPIC_API_KEY: anthropicKey, LOCAL_LLM_KEY: compatibleKey },
    retrieval: options.embeddingModel ? { embeddingModel: options.embeddingModel } : {},
  });
  const sleeps: number[] = [];
  const recorded: ModelAttemptRecord[] = [];
  const router = createModelRouter({
    models: config.models,
    providerKeys: config.providerKeys,
    egress: createEgressClient({ allowHosts: [`127.0.0.1:${server.port}`] }),
    ...(config.retrieval.embeddingModel ? { embedding: config.retrieval.embeddingModel } : {}),
    sleep: (ms) => {
      sleeps.push(ms);
      options.onSleep?.(ms);
      return Promise.resolve();
    },
  });
  return {
    router,
    sleeps,
    recorded,
    request: (overrides) => ({
      messages: [{ role: 'user', content: 'Classify this ticket: my invoice is wrong.' }],
      signal: new AbortController().signal,
      onAttempt: (record) => {
        recorded.push(record);
        return Promise.resolve();
      },
      ...overrides,
    }),
  };
}

/** An OpenAI model on the fake server with small, fast retry settings. */
export function openaiModel(server: FakeLlmServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'openai', model: 'gpt-4o-mini', baseUrl: `${server.url}/v1`,
    price: { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    timeoutMs: 2_000, retries: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 5_000 },
    ...extra,
  };
}

export function anthropicModel(server: FakeLlmServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: `${server.url}/v1`,
    price: { inputPerMillion: 0.8, outputPerMillion: 4 },
    timeoutMs: 2_000, retries: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 5_000 },
    ...extra,
  };
}

export function compatibleModel(server: FakeLlmServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    provider: 'openai-compatible', model: 'llama3.2', baseUrl: `${server.url}/v1`,
    timeoutMs: 2_000, retries: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 5_000 },
    ...extra,
  };
}

/** The output schema most tests ask for: a ticket category and a confidence. */
export const ticketSchema = {
  type: 'object',
  properties: {
    category: { type: 'string', enum: ['billing', 'bug', 'other'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
  required: ['category', 'confidence'],
  additionalProperties: false,
};
