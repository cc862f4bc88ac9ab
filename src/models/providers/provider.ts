// What every LLM provider module supplies: how to build an AI SDK language model from a configured
// model, its key and the guarded fetch, and how that provider is asked for a JSON answer. The
// registry (registry.ts) picks the module by the configuration's `provider`.

import type { generateText, LanguageModel, OutputInterface } from 'ai';
import type { LanguageModelConfig } from '../../config/index.js';
import type { ProviderFetch } from './provider-fetch.js';

/** The response format the AI SDK hands to the provider (JSON mode, with or without a schema). */
export type ResponseFormat = Awaited<OutputInterface<string, string, never>['responseFormat']>;
export type ProviderOptions = NonNullable<Parameters<typeof generateText>[0]['providerOptions']>;

/** How one provider is asked for JSON: the response format and any provider-specific switches. */
export interface JsonRequest {
  responseFormat: ResponseFormat;
  providerOptions?: ProviderOptions;
}

export interface LanguageProvider {
  /** Whether calls need an API key; a model without one is refused before any request is sent. */
  requiresKey: boolean;
  languageModel(config: LanguageModelConfig, apiKey: string | undefined, fetch: ProviderFetch): LanguageModel;
  /**
   * The JSON request for an output schema. Providers' native schema modes only take an object at
   * the root, so other schemas are asked for in the prompt alone (see `objectRootSchema`).
   */
  jsonRequest(schema: Record<string, unknown>): JsonRequest;
}

/** The schema when its root is an object (what JSON modes accept), else undefined. */
export function objectRootSchema(schema: Record<string, unknown>): Record<string, unknown> | undefined {
  return schema.type === 'object' ? schema : undefined;
}
