import type { Config, ModelConfig } from '../config/index.js';
import { defaultKeyEnv } from '../config/index.js';
import type { Db } from '../db/index.js';
import { createRoute, isoDate, jsonBody, sendJson, z, type ApiApp } from '../contract/index.js';
import { listClassifierVersions, type ClassifierVersion } from './classifier-store.js';
import type { StoredModelCall } from './call-records.js';

export const modelCallSchema = z.object({
  id: z.number().int(), step_id: z.string(), model: z.string(), provider: z.string(), model_id: z.string(),
  response_model: z.string().nullable().describe('The model version the provider reported'), purpose: z.enum(['call', 'repair', 'classify']),
  attempt: z.number().int(), tokens_in: z.number().int(), tokens_out: z.number().int(), cost_usd: z.number(), latency_ms: z.number(),
  error_class: z.string().nullable(), error_message: z.string().nullable(), http_status: z.number().int().nullable(), created_at: isoDate,
}).openapi('ModelCall');

/** A stored attempt as the API shows it (the accepted answer is the step's output, shown there). */
export function publicModelCall(c: StoredModelCall): z.infer<typeof modelCallSchema> {
  return {
    id: c.id, step_id: c.stepId, model: c.model, provider: c.provider, model_id: c.modelId, response_model: c.responseModel,
    purpose: c.purpose, attempt: c.attempt, tokens_in: c.tokensIn, tokens_out: c.tokensOut, cost_usd: c.costUsd, latency_ms: c.latencyMs,
    error_class: c.errorClass, error_message: c.errorMessage, http_status: c.status, created_at: c.createdAt.toISOString(),
  };
}

const classifierVersionSchema = z.object({
  id: z.string(), number: z.number().int(), dataset: z.string(), dataset_hash: z.string(), labels: z.number().int(),
  artifact_bytes: z.number().int(), info: z.record(z.string(), z.unknown()), trained_by: z.string(), created_at: isoDate,
});

export const modelSchema = z.object({
  name: z.string(), provider: z.string(), model_id: z.string().nullable(), base_url: z.string().nullable(),
  key: z.enum(['set', 'missing', 'not needed']).describe('Whether the API key is in the environment; the key itself is never shown'),
  key_env: z.string().nullable(), fallbacks: z.array(z.string()), timeout_ms: z.number().int().nullable(),
  price: z.object({ input_per_million: z.number(), output_per_million: z.number() }).nullable(),
  dataset: z.string().nullable(), versions: z.array(classifierVersionSchema),
}).openapi('Model');

function describe(name: string, m: ModelConfig, keys: Readonly<Record<string, string>>, versions: ClassifierVersion[]): z.infer<typeof modelSchema> {
  const mine = versions.filter((v) => v.model === name).map((v) => ({
    id: v.id, number: v.number, dataset: v.datasetName, dataset_hash: v.datasetHash, labels: v.labels.length, artifact_bytes: v.artifactBytes,
    info: v.info, trained_by: v.trainedBy, created_at: v.createdAt.toISOString(),
  }));
  if (m.provider === 'classifier' || m.provider === 'template') {
    return {
      name, provider: m.provider, model_id: null, base_url: null, key: 'not needed', key_env: null, fallbacks: [], timeout_ms: null, price: null,
      dataset: m.provider === 'classifier' ? m.dataset : null, versions: mine,
    };
  }
  const keyEnv = m.apiKeyEnv ?? defaultKeyEnv[m.provider];
  return {
    name, provider: m.provider, model_id: m.model, base_url: m.baseUrl ?? null,
    key: keys[keyEnv] ? 'set' : m.provider === 'openai-compatible' ? 'not needed' : 'missing', key_env: keyEnv,
    fallbacks: m.fallbacks, timeout_ms: m.timeoutMs, price: { input_per_million: m.price.inputPerMillion, output_per_million: m.price.outputPerMillion },
    dataset: null, versions: mine,
  };
}

/** The configured models (never their keys) and the trained classifier versions. */
export function registerModelRoutes(app: ApiApp, db: Db, config: Pick<Config, 'models' | 'providerKeys'>): void {
  app.openapi(createRoute({
    method: 'get', path: '/api/models', tags: ['models'], summary: 'Configured models and trained classifiers',
    responses: { 200: jsonBody(z.object({ models: z.array(modelSchema) }), 'Models') },
  }), async (c) => {
    const versions = await listClassifierVersions(db);
    return sendJson(c, { models: Object.entries(config.models).map(([name, m]) => describe(name, m, config.providerKeys, versions)) });
  });
}
