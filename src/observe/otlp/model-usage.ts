// What a received span says about a model call: the model, its tokens and its cost, read from the
// GenAI semantic conventions (gen_ai.*) and from the Vercel AI SDK's own attributes (ai.*).
//
// A trace often states the same usage twice: the AI SDK's operation spans (`invoke_agent`, or the
// legacy `ai.generateText` wrapping `ai.generateText.doGenerate`) carry the total of the model calls
// nested under them. Only the calls count, so a span that aggregates others is skipped; otherwise
// every generateText would be counted twice.
import type { AttributeValue, Attributes } from '../span.js';

export interface ModelUsage {
  model: string | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** A configured model's price by the provider's model id (what gen_ai.request.model names). */
export type PriceOf = (modelId: string) => { inputPerMillion: number; outputPerMillion: number } | undefined;

const inputKeys = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'ai.usage.promptTokens', 'ai.usage.inputTokens'];
const outputKeys = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'ai.usage.completionTokens', 'ai.usage.outputTokens'];
const costKeys = ['gen_ai.usage.cost', 'keel.cost_usd'];
const modelKeys = ['gen_ai.request.model', 'gen_ai.response.model', 'ai.model.id'];
/** GenAI operations that wrap model calls (semantic conventions' agent spans). */
const aggregateOperations = new Set(['invoke_agent', 'agent_step', 'create_agent', 'invoke_workflow']);

function count(value: AttributeValue | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function first(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const n = count(attributes[key]);
    if (n !== undefined) return n;
  }
  return undefined;
}

/** Whether a span sums the model calls under it rather than being one (see the top of this file). */
export function aggregatesModelCalls(attributes: Attributes): boolean {
  const operation = attributes['gen_ai.operation.name'];
  if (typeof operation === 'string' && aggregateOperations.has(operation)) return true;
  // Legacy AI SDK spans: `ai.generateText` wraps `ai.generateText.doGenerate` (and doStream, doEmbed).
  const operationId = attributes['ai.operationId'];
  return typeof operationId === 'string' && !/\.do[A-Z]\w*$/.test(operationId);
}

/**
 * The model call a span records, or null when it records none: it must carry token usage and not
 * aggregate other spans. Cost: the span's own (gen_ai.usage.cost, keel.cost_usd), else the price of
 * the configured model whose model id it names, else 0.
 */
export function modelUsage(attributes: Attributes, priceOf: PriceOf): ModelUsage | null {
  const tokensIn = first(attributes, inputKeys);
  const tokensOut = first(attributes, outputKeys);
  if (tokensIn === undefined && tokensOut === undefined) return null;
  if (aggregatesModelCalls(attributes)) return null;
  let model: string | null = null;
  let price: ReturnType<PriceOf>;
  for (const key of modelKeys) {
    const value = attributes[key];
    if (typeof value !== 'string' || value === '') continue;
    model ??= value;
    price = priceOf(value);
    if (price) break;
  }
  const given = first(attributes, costKeys);
  const costUsd = given ?? (price ? ((tokensIn ?? 0) * price.inputPerMillion + (tokensOut ?? 0) * price.outputPerMillion) / 1e6 : 0);
  return { model, tokensIn: tokensIn ?? 0, tokensOut: tokensOut ?? 0, costUsd };
}
