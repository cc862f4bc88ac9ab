// Anthropic through its Messages API (POST {baseUrl}/messages, key in `x-api-key`).

import { createAnthropic } from '@ai-sdk/anthropic';
import type { JSONSchema7 } from 'ai';
import { objectRootSchema, type LanguageProvider } from './provider.js';

/** Passed explicitly: without it the SDK reads ANTHROPIC_BASE_URL from the environment. */
export const anthropicDefaultBaseUrl = 'https://api.anthropic.com/v1';

export const anthropicProvider: LanguageProvider = {
  requiresKey: true,
  languageModel(config, apiKey, fetch) {
    const provider = createAnthropic({ baseURL: config.baseUrl ?? anthropicDefaultBaseUrl, apiKey, fetch });
    return provider.languageModel(config.model);
  },
  jsonRequest(schema) {
    const objectSchema = objectRootSchema(schema);
    // Anthropic has no schema-less JSON mode (the SDK ignores one with a warning), so without an
    // object schema the request stays plain text and the system prompt asks for JSON. With one, the
    // SDK uses native structured output where the model supports it and a forced `json` tool
    // otherwise; either way the answer comes back as text that Keel validates.
    return objectSchema ? { responseFormat: { type: 'json', schema: objectSchema as JSONSchema7, name: 'answer' } } : { responseFormat: undefined };
  },
};
