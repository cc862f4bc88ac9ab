// Servers that speak OpenAI's Chat Completions protocol at their own base URL: Ollama, vLLM,
// llama.cpp, LM Studio, proxies. The key is optional (local servers often take none).

import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { objectRootSchema, type LanguageProvider } from './provider.js';

export const openaiCompatibleProvider: LanguageProvider = {
  requiresKey: false,
  languageModel(config, apiKey, fetch) {
    // baseUrl is required for this provider by the configuration schema.
    const provider = createOpenAICompatible({ name: 'openai-compatible', baseURL: config.baseUrl ?? '', apiKey, fetch });
    return provider.chatModel(config.model);
  },
  jsonRequest(schema) {
    // `json_object` only: schema-constrained output is a per-server extension, and the SDK drops a
    // schema with a warning unless told the server supports it. The prompt carries the schema.
    // json_object forces an object at the root, so other schemas get no JSON mode at all.
    return { responseFormat: objectRootSchema(schema) ? { type: 'json' } : undefined };
  },
};
