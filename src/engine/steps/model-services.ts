import type { ModelConfig } from '../../config/index.js';
import type { ModelRouter } from '../../models/index.js';

/**
 * What the model, classify and retrieve steps need from the process: the configured models and the
 * router that calls them through the egress client. Built once by the composition root.
 */
export interface ModelServices {
  router: ModelRouter;
  configs: Readonly<Record<string, ModelConfig>>;
  /** Similarity search for retrieve steps; absent when no embedding model is configured. */
  embed?: (texts: string[], signal: AbortSignal) => Promise<number[][]>;
  /** The name of the embedding model, kept with each stored embedding. */
  embeddingModel?: string;
}
