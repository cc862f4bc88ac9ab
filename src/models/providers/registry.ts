// Which module builds which provider's models, and where each model's API key comes from. The
// configuration names the key's environment variable (or the provider's conventional one); the
// value was captured once by loadConfig into `providerKeys`, so nothing here reads the environment.

import type { LanguageModel } from 'ai';
import { defaultKeyEnv, type LanguageModelConfig, type ModelConfig } from '../../config/index.js';
import type { EgressClient } from '../../connectors/index.js';
import { KeelError } from '../../errors.js';
import { anthropicProvider } from './anthropic.js';
import { openaiCompatibleProvider } from './openai-compatible.js';
import { openaiProvider } from './openai.js';
import type { JsonRequest, LanguageProvider } from './provider.js';
import { providerFetch } from './provider-fetch.js';

const providers: Record<LanguageModelConfig['provider'], LanguageProvider> = {
  openai: openaiProvider,
  anthropic: anthropicProvider,
  'openai-compatible': openaiCompatibleProvider,
};

/** Whether a configured model is an LLM this layer calls (not a local classifier or the template model). */
export function isLanguageModel(config: ModelConfig): config is LanguageModelConfig {
  return config.provider in providers;
}

/** The environment variable name the model's key is read from; safe to show, unlike its value. */
export function keyEnvFor(config: { provider: keyof typeof defaultKeyEnv; apiKeyEnv?: string | undefined }): string {
  return config.apiKeyEnv ?? defaultKeyEnv[config.provider];
}

/** One configured model, ready to call: the AI SDK model and how to ask it for JSON. */
export interface ResolvedModel {
  name: string;
  config: LanguageModelConfig;
  model: LanguageModel;
  jsonRequest(schema: Record<string, unknown>): JsonRequest;
}

/**
 * Builds the model for a configured name, refusing what cannot work before any request: an unknown
 * name, a model that is not an LLM, or a provider that needs a key when none was captured.
 */
export function resolveModel(
  name: string,
  models: Readonly<Record<string, ModelConfig>>,
  providerKeys: Readonly<Record<string, string>>,
  egress: EgressClient,
): ResolvedModel {
  const config = Object.hasOwn(models, name) ? models[name] : undefined;
  if (config === undefined) {
    throw new KeelError('misconfigured', `Model "${name}" is not configured.`, {
      hint: `Add it under models: in keel.yaml, or name one of: ${Object.keys(models).join(', ') || '(none)'}.`,
      details: { model: name },
    });
  }
  if (!isLanguageModel(config)) {
    throw new KeelError('misconfigured', `Model "${name}" is a ${config.provider} model, not an LLM, so it cannot answer a prompt.`, {
      hint: config.provider === 'classifier' ? 'Use it from a classify step.' : 'Point the step (or the fallback) at an openai, anthropic or openai-compatible model.',
      details: { model: name, provider: config.provider },
    });
  }
  const provider = providers[config.provider];
  const keyEnv = keyEnvFor(config);
  const apiKey = Object.hasOwn(providerKeys, keyEnv) ? providerKeys[keyEnv] : undefined;
  if (provider.requiresKey && !apiKey) {
    throw new KeelError('misconfigured', `Model "${name}" (${config.provider}) needs an API key in ${keyEnv}, which was not set when Keel started.`, {
      hint: `Set ${keyEnv} in Keel's environment and restart, or set apiKeyEnv on the model.`,
      details: { model: name, provider: config.provider, apiKeyEnv: keyEnv },
    });
  }
  return {
    name,
    config,
    model: provider.languageModel(config, apiKey, providerFetch(egress, config.timeoutMs)),
    jsonRequest: (schema) => provider.jsonRequest(schema),
  };
}
