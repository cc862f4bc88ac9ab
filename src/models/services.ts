import type { EmbeddingModelConfig, ModelConfig } from '../config/index.js';
import type { EgressClient } from '../connectors/index.js';
import { createModelRouter } from './router.js';
import type { ModelRouter } from './types.js';

/**
 * What a process needs to use its models: the configured models, the router that calls them through
 * the egress client, and the embedding function library search uses when an embedding model is
 * set. Built once per process and shared by the steps, library search and start-up embedding.
 */
export interface ModelServices {
  router: ModelRouter;
  configs: Readonly<Record<string, ModelConfig>>;
  /** Absent when no embedding model is configured: retrieval is full text only. */
  embed?: (texts: string[], signal: AbortSignal) => Promise<number[][]>;
  /** The embedding model's id, kept with each stored embedding. */
  embeddingModel?: string;
}

export interface ModelServicesInput {
  /** `config.models`; only the offline `default` and `template` models when absent. */
  configs?: Readonly<Record<string, ModelConfig>>;
  providerKeys?: Readonly<Record<string, string>>;
  embedding?: EmbeddingModelConfig;
  egress: EgressClient;
}

export function createModelServices(input: ModelServicesInput): ModelServices {
  const configs = input.configs ?? { default: { provider: 'template' }, template: { provider: 'template' } };
  const router = createModelRouter({ models: configs, providerKeys: input.providerKeys ?? {}, egress: input.egress, embedding: input.embedding });
  if (!input.embedding) return { router, configs };
  return { router, configs, embed: (texts, signal) => router.embed(texts, signal), embeddingModel: input.embedding.model };
}
