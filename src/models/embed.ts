// Embeddings for retrieval: texts to vectors with the one configured embedding model, through the
// same guarded egress, key handling and error classification as the language models. There is no
// fallback chain here: vectors from two different models cannot share one index.

import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { embedMany, type EmbeddingModel } from 'ai';
import type { EmbeddingModelConfig } from '../config/index.js';
import type { EgressClient } from '../connectors/index.js';
import { KeelError } from '../errors.js';
import { classifyProviderError, type ClassifiedFailure } from './errors/classify-error.js';
import { retryDelay } from './backoff.js';
import { openaiDefaultBaseUrl } from './providers/openai.js';
import { providerFetch } from './providers/provider-fetch.js';
import { keyEnvFor } from './providers/registry.js';

export interface EmbedderDeps {
  embedding: EmbeddingModelConfig | undefined;
  providerKeys: Readonly<Record<string, string>>;
  egress: EgressClient;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  secrets: readonly string[];
}

export function createEmbedder(deps: EmbedderDeps): (texts: string[], signal: AbortSignal) => Promise<number[][]> {
  let model: EmbeddingModel | undefined;

  return async (texts, signal) => {
    const config = deps.embedding;
    if (config === undefined) {
      throw new KeelError('misconfigured', 'No embedding model is configured, so similarity search is not available.', {
        hint: 'Set retrieval.embeddingModel in keel.yaml, or use full-text search.',
      });
    }
    if (texts.length === 0) return [];
    model ??= embeddingModel(config, deps);
    let last: ClassifiedFailure | undefined;
    for (let failures = 0; failures < config.retries.maxAttempts; ) {
      signal.throwIfAborted();
      const vectors = await attempt(model, config, texts, signal, deps);
      if (Array.isArray(vectors)) return checkedDimensions(vectors, config);
      last = vectors;
      failures++;
      if (!last.retriable || failures >= config.retries.maxAttempts) break;
      await deps.sleep(retryDelay(config.retries, failures, last), signal);
    }
    throw failureError(last, config);
  };
}

function embeddingModel(config: EmbeddingModelConfig, deps: EmbedderDeps): EmbeddingModel {
  const keyEnv = keyEnvFor(config);
  const apiKey = Object.hasOwn(deps.providerKeys, keyEnv) ? deps.providerKeys[keyEnv] : undefined;
  const fetch = providerFetch(deps.egress, config.timeoutMs);
  if (config.provider === 'openai') {
    if (!apiKey) {
      throw new KeelError('misconfigured', `The embedding model needs an API key in ${keyEnv}, which was not set when Keel started.`, {
        hint: `Set ${keyEnv} in Keel's environment and restart, or set retrieval.embeddingModel.apiKeyEnv.`,
      });
    }
    return createOpenAI({ baseURL: config.baseUrl ?? openaiDefaultBaseUrl, apiKey, fetch }).embedding(config.model);
  }
  if (config.baseUrl === undefined) {
    throw new KeelError('misconfigured', 'An openai-compatible embedding model needs a baseUrl.', { hint: 'Set retrieval.embeddingModel.baseUrl.' });
  }
  return createOpenAICompatible({ name: 'openai-compatible', baseURL: config.baseUrl, apiKey, fetch }).embeddingModel(config.model);
}

async function attempt(
  model: EmbeddingModel,
  config: EmbeddingModelConfig,
  texts: string[],
  signal: AbortSignal,
  deps: EmbedderDeps,
): Promise<number[][] | ClassifiedFailure> {
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(new KeelError('step_timeout', `no answer within ${config.timeoutMs} ms`)), config.timeoutMs);
  try {
    const result = await embedMany({
      model,
      values: texts,
      maxRetries: 0,
      abortSignal: AbortSignal.any([signal, timer.signal]),
      // OpenAI's text-embedding-3 models shorten vectors on request; other servers may not accept the field.
      ...(config.provider === 'openai' ? { dimensions: config.dimensions } : {}),
    });
    return result.embeddings;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return classifyProviderError(error, {
      timedOut: timer.signal.aborted, timeoutMs: config.timeoutMs, provider: config.provider, secrets: deps.secrets, now: deps.now(),
    });
  } finally {
    clearTimeout(timeout);
  }
}

/** Vectors of another size than configured would corrupt the index, so they are refused. */
function checkedDimensions(vectors: number[][], config: EmbeddingModelConfig): number[][] {
  const wrong = vectors.find((v) => v.length !== config.dimensions);
  if (wrong !== undefined) {
    throw new KeelError('misconfigured', `The embedding model ${config.model} returned vectors of ${wrong.length} dimensions; ${config.dimensions} are configured.`, {
      hint: 'Set retrieval.embeddingModel.dimensions to what the model returns (and re-index), or pick a model of that size.',
    });
  }
  return vectors;
}

function failureError(failure: ClassifiedFailure | undefined, config: EmbeddingModelConfig): KeelError {
  const what = failure ? `${failure.errorClass}${failure.status !== null ? ` (HTTP ${failure.status})` : ''}: ${failure.message}` : 'no attempt was made';
  const message = `Embedding with ${config.model} failed: ${what}`;
  if (failure?.errorClass === 'rate_limited') {
    return new KeelError('provider_rate_limited', message, failure.retryAfterMs !== null ? { retryAfterMs: failure.retryAfterMs } : {});
  }
  if (failure?.errorClass === 'no_response') return new KeelError('step_timeout', message);
  return new KeelError('step_failed', message, { retriable: failure?.retriable ?? false });
}
