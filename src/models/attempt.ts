// One request to one model: the AI SDK call under the model's timeout, measured and turned into an
// attempt record. Whether the answer is good enough, and what happens next, is chain.ts's business;
// this file only knows whether an answer came back. The SDK's own retries are off (maxRetries: 0)
// so that every request the provider sees is one of ours, counted, priced and recorded.

import { generateText, type ModelMessage as SdkMessage, type OutputInterface } from 'ai';
import { KeelError } from '../errors.js';
import { classifyProviderError, type ClassifiedFailure } from './errors/classify-error.js';
import { attemptCost } from './pricing.js';
import type { JsonRequest, ResponseFormat } from './providers/provider.js';
import type { ResolvedModel } from './providers/registry.js';
import type { ModelAttemptRecord, ModelMessage, ModelParameters } from './types.js';

export interface AttemptPlan {
  resolved: ResolvedModel;
  system: string | undefined;
  messages: ModelMessage[];
  /** The call's own sampling settings, over the model's configured ones. */
  parameters: ModelParameters | undefined;
  /** How to ask this provider for JSON; undefined for a plain text call. */
  json: JsonRequest | undefined;
  purpose: 'call' | 'repair';
  /** The attempt's number over the whole chain. */
  attempt: number;
  /** The caller's signal; its abort is rethrown, never classified. */
  signal: AbortSignal;
  now: () => number;
  secrets: readonly string[];
}

export type AttemptOutcome =
  | { kind: 'answer'; text: string; record: ModelAttemptRecord }
  | { kind: 'failure'; failure: ClassifiedFailure; record: ModelAttemptRecord };

/**
 * Sends one request. Resolves with the answer text or a classified failure; rejects only with the
 * caller's abort reason when the caller's signal fired (cancelled run, lost lease).
 */
export async function runAttempt(plan: AttemptPlan): Promise<AttemptOutcome> {
  const { resolved, now } = plan;
  const { config } = resolved;
  const started = now();
  const base = {
    model: resolved.name,
    provider: config.provider,
    modelId: config.model,
    purpose: plan.purpose,
    attempt: plan.attempt,
    startedAt: new Date(started),
  };
  const timer = new AbortController();
  const timeout = setTimeout(() => {
    timer.abort(new KeelError('step_timeout', `no answer within ${config.timeoutMs} ms`, { retriable: true }));
  }, config.timeoutMs);
  const signal = AbortSignal.any([plan.signal, timer.signal]);
  try {
    const result = await generateText({
      model: resolved.model,
      ...(plan.system ? { instructions: plan.system } : {}),
      messages: plan.messages.map((m): SdkMessage => ({ role: m.role, content: m.content })),
      maxRetries: 0,
      abortSignal: signal,
      ...definedParameters(config.parameters),
      ...definedParameters(plan.parameters ?? {}),
      ...(plan.json?.responseFormat ? { output: rawJsonOutput(plan.json.responseFormat) } : {}),
      ...(plan.json?.providerOptions ? { providerOptions: plan.json.providerOptions } : {}),
    });
    const tokensIn = result.usage.inputTokens ?? 0;
    const tokensOut = result.usage.outputTokens ?? 0;
    const record: ModelAttemptRecord = {
      ...base,
      responseModel: result.response.modelId || null,
      tokensIn,
      tokensOut,
      costUsd: attemptCost(config.price, tokensIn, tokensOut),
      latencyMs: now() - started,
      errorClass: null,
      errorMessage: null,
      status: null,
    };
    return { kind: 'answer', text: result.text, record };
  } catch (error) {
    // The caller's abort wins over any classification: the run is going away, not the model failing.
    if (plan.signal.aborted) throw plan.signal.reason;
    const failure = classifyProviderError(error, {
      timedOut: timer.signal.aborted,
      timeoutMs: config.timeoutMs,
      provider: config.provider,
      secrets: plan.secrets,
      now: now(),
    });
    const record: ModelAttemptRecord = {
      ...base,
      responseModel: null,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      latencyMs: now() - started,
      errorClass: failure.errorClass,
      errorMessage: failure.message,
      status: failure.status,
    };
    return { kind: 'failure', failure, record };
  } finally {
    clearTimeout(timeout);
  }
}

/** Only the parameters the configuration sets: an explicit undefined would override provider defaults. */
function definedParameters(p: ModelParameters): ModelParameters {
  return {
    ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
    ...(p.maxOutputTokens !== undefined ? { maxOutputTokens: p.maxOutputTokens } : {}),
    ...(p.topP !== undefined ? { topP: p.topP } : {}),
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
  };
}

/**
 * An output mode that only sets the provider's JSON response format and hands the text back as is.
 * The SDK's own JSON outputs parse eagerly and throw on bad JSON, which would hide the answer (and
 * its token usage) from the repair and the attempt record; Keel extracts and validates itself.
 */
function rawJsonOutput(format: ResponseFormat): OutputInterface<string, string, never> {
  return {
    name: 'keel-raw-json',
    responseFormat: Promise.resolve(format),
    parseCompleteOutput: ({ text }) => Promise.resolve(text),
    parsePartialOutput: () => Promise.resolve(undefined),
    createElementStreamTransform: () => undefined,
  };
}
