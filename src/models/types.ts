// The shapes of the model call layer: what a caller asks for, what each attempt cost and how it
// ended, and what the whole chain (requested model plus its fallbacks) came to. Kept apart from the
// code so the engine, the budget and the stored call records can depend on them without the SDK.

import type { EmbeddingModelConfig, ModelConfig } from '../config/index.js';
import type { EgressClient } from '../connectors/index.js';

export interface ModelRouterDeps {
  /** Named models from the configuration; classifier and template entries are not LLMs and are refused. */
  models: Readonly<Record<string, ModelConfig>>;
  /** API keys by environment variable name, captured once by loadConfig; never logged or repeated. */
  providerKeys: Readonly<Record<string, string>>;
  /** The guarded egress client every provider request goes through. */
  egress: EgressClient;
  /** The retrieval embedding model, when one is configured. */
  embedding?: EmbeddingModelConfig;
  /** Waits between retries; must reject when `signal` aborts. Injected by tests to skip real waiting. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Milliseconds since the epoch; attempt start times and latencies are read from it. */
  now?: () => number;
}

export interface ModelParameters {
  temperature?: number;
  maxOutputTokens?: number;
  topP?: number;
  seed?: number;
}

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ModelCallRequest {
  /** The configured model name (a key of `models`), not the provider's model id. */
  model: string;
  system?: string;
  messages: ModelMessage[];
  /**
   * Sampling settings for this call (a prompt's model settings); each one set here overrides the
   * model's configured value, for every model of the chain.
   */
  parameters?: ModelParameters;
  /** JSON Schema the answer must match; the answer is then parsed, validated and repaired once if needed. */
  outputSchema?: Record<string, unknown>;
  /** The run's signal (cancelled, lease lost): aborting it stops the chain at once and rejects with its reason. */
  signal: AbortSignal;
  /** Called before every attempt; may throw (budget exceeded) to stop the chain — rethrown as is. */
  beforeAttempt?: (next: { model: string; attempt: number }) => Promise<void>;
  /** Called after every attempt, success or failure, so the caller can persist it before moving on. */
  onAttempt?: (record: ModelAttemptRecord) => Promise<void>;
}

export type ModelErrorClass =
  | 'malformed_output'
  | 'no_response'
  | 'rate_limited'
  | 'server_error'
  | 'network'
  | 'client_error'
  | 'empty_answer';

export interface ModelAttemptRecord {
  /** The configured model name. */
  model: string;
  provider: string;
  /** The provider's model id that was asked for. */
  modelId: string;
  /** The model version the provider reported answering with; null when there was no answer. */
  responseModel: string | null;
  purpose: 'call' | 'repair';
  /** 1-based over the whole chain, repairs and retries included. */
  attempt: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
  errorClass: ModelErrorClass | null;
  /** What went wrong, in words safe to store and show (API keys are never in it). */
  errorMessage: string | null;
  /** The HTTP status of the provider's answer, when there was one. */
  status: number | null;
  startedAt: Date;
}

export type ModelCallResult =
  | {
      ok: true;
      /** The configured name of the model that answered (the requested one or a fallback). */
      model: string;
      text: string;
      /** Parsed and validated JSON when outputSchema was given, else the text. */
      output: unknown;
      attempts: ModelAttemptRecord[];
    }
  | {
      ok: false;
      reason: 'malformed_output' | 'no_response' | 'provider_error';
      message: string;
      /** The last answer text any attempt received, for the operator to look at. */
      lastText: string | null;
      attempts: ModelAttemptRecord[];
    };

export interface ModelRouter {
  /**
   * Calls the model and its fallbacks under the failure policy. Provider failures come back as
   * `ok: false`; it throws only for a misconfigured chain or output schema, the caller's abort
   * (its reason, as is), or whatever a hook threw.
   */
  call(req: ModelCallRequest): Promise<ModelCallResult>;
  /** Embeds texts with the retrieval embedding model, one vector per text in order. */
  embed(texts: string[], signal: AbortSignal): Promise<number[][]>;
  /** The provider and model id behind a configured LLM name; undefined for unknown names and non-LLM models. */
  describe(name: string): { provider: string; modelId: string } | undefined;
}
