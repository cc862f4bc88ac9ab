// OpenAI through its Chat Completions API (POST {baseUrl}/chat/completions). The provider's default
// model factory now speaks the Responses API; Keel uses chat completions on purpose because that
// is the protocol every OpenAI-compatible server and proxy also speaks, so one behaviour is tested.

import { createOpenAI } from '@ai-sdk/openai';
import type { JSONSchema7 } from 'ai';
import { objectRootSchema, type LanguageProvider } from './provider.js';

/**
 * Passed explicitly: without a baseURL the SDK falls back to reading OPENAI_BASE_URL from the
 * environment, and configuration is read once by loadConfig, nowhere else.
 */
export const openaiDefaultBaseUrl = 'https://api.openai.com/v1';

export const openaiProvider: LanguageProvider = {
  requiresKey: true,
  languageModel(config, apiKey, fetch) {
    const provider = createOpenAI({ baseURL: config.baseUrl ?? openaiDefaultBaseUrl, apiKey, fetch });
    return provider.chat(config.model);
  },
  jsonRequest(schema) {
    const objectSchema = objectRootSchema(schema);
    // JSON modes (json_schema and json_object alike) force an object at the root, so a schema for
    // an array or a scalar is asked for in the prompt alone.
    if (!objectSchema) return { responseFormat: undefined };
    return {
      responseFormat: { type: 'json', schema: objectSchema as JSONSchema7, name: 'answer' },
      // The SDK defaults to strict schemas, which OpenAI accepts only when every property is
      // required and additionalProperties is false; prompt authors' schemas rarely are. Keel
      // validates the answer itself, so the schema is guidance, not a contract the API enforces.
      providerOptions: { openai: { strictJsonSchema: false } },
    };
  },
};
