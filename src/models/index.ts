// The models slice owns calling LLMs: building provider clients (OpenAI, Anthropic, OpenAI-compatible)
// behind the guarded egress client, the failure policy (retries, Retry-After, fallbacks, one JSON
// repair), cost and latency per attempt, and embeddings. Other slices import it only from here.

export { createModelRouter } from './router.js';
export type {
  ModelAttemptRecord,
  ModelCallRequest,
  ModelCallResult,
  ModelErrorClass,
  ModelMessage,
  ModelParameters,
  ModelRouter,
  ModelRouterDeps,
} from './types.js';
