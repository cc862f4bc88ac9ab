// Configuration: one typed, frozen object read once at boot (flags > KEEL_* env > keel.yaml > defaults)
// and passed down explicitly. Nothing else in Keel reads process.env.
export { loadConfig, defaultKeyEnv, type LoadConfigInput } from './load.js';
export {
  configSchema, type Config, type ModelConfig, type LanguageModelConfig, type ClassifierModelConfig, type EmbeddingModelConfig,
  type NotificationWebhookConfig, reviewEventNames,
} from './schema.js';
export { redactionSection, type ObserveConfig, type RedactionConfig, type OtlpExportConfig } from './observe-section.js';
