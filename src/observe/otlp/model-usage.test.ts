import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { aggregatesModelCalls, modelUsage } from './model-usage.js';
import { exportResponse } from './response.js';

const prices = (id: string) => (id === 'gpt-4o-mini' ? { inputPerMillion: 0.15, outputPerMillion: 0.6 } : undefined);

describe('model usage of a received span', () => {
  it('reads GenAI, older GenAI and AI SDK token attributes, priced by the configured model id', () => {
    expect(modelUsage({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 500 }, prices))
      .toEqual({ model: 'gpt-4o-mini', tokensIn: 1000, tokensOut: 500, costUsd: (1000 * 0.15 + 500 * 0.6) / 1e6 });
    expect(modelUsage({ 'gen_ai.request.model': 'gpt-4o', 'gen_ai.response.model': 'gpt-4o-mini', 'gen_ai.usage.prompt_tokens': 10, 'gen_ai.usage.completion_tokens': 2 }, prices))
      .toMatchObject({ model: 'gpt-4o', tokensIn: 10, tokensOut: 2, costUsd: (10 * 0.15 + 2 * 0.6) / 1e6 });
    expect(modelUsage({ 'ai.operationId': 'ai.generateText.doGenerate', 'ai.model.id': 'llama3', 'ai.usage.promptTokens': 7, 'ai.usage.completionTokens': 3 }, prices))
      .toEqual({ model: 'llama3', tokensIn: 7, tokensOut: 3, costUsd: 0 });
  });

  it('takes the cost a span states over the configured price', () => {
    expect(modelUsage({ 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 1000, 'keel.cost_usd': 0.5 }, prices)?.costUsd).toBe(0.5);
    expect(modelUsage({ 'gen_ai.usage.output_tokens': 1, 'gen_ai.usage.cost': 0.25 }, prices)?.costUsd).toBe(0.25);
  });

  it('counts no call for spans without usage or that sum the calls under them', () => {
    expect(modelUsage({ 'gen_ai.request.model': 'gpt-4o-mini' }, prices)).toBeNull();
    expect(modelUsage({ 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 50 }, prices)).toBeNull();
    expect(modelUsage({ 'ai.operationId': 'ai.generateText', 'ai.usage.promptTokens': 50 }, prices)).toBeNull();
    expect(aggregatesModelCalls({ 'gen_ai.operation.name': 'chat' })).toBe(false);
    expect(aggregatesModelCalls({ 'ai.operationId': 'ai.streamText.doStream' })).toBe(false);
  });
});

describe('the export response', () => {
  it('is what the official OTLP deserializer reads: empty on full success, partial_success otherwise', () => {
    expect(ProtobufTraceSerializer.deserializeResponse(exportResponse('protobuf', 0, '') as Uint8Array)).toEqual({});
    const partial = ProtobufTraceSerializer.deserializeResponse(exportResponse('protobuf', 300, 'no workflow "x" (300 spans) é') as Uint8Array);
    expect(partial.partialSuccess).toMatchObject({ errorMessage: 'no workflow "x" (300 spans) é' });
    expect(Number(partial.partialSuccess?.rejectedSpans)).toBe(300);
    expect(JSON.parse(exportResponse('json', 2, 'why') as string)).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'why' } });
  });
});
