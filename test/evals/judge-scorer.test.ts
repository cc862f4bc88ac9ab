// The judge scorer against a real OpenAI-protocol server on loopback: the rubric and the case go out
// in the prompt with the { score, reason } output schema, the score and reason come back as the
// verdict, a malformed answer is a failed case with the reason, and no model is `misconfigured`.

import { describe, expect, it } from 'vitest';
import { aggregate, scoreCase } from '../../src/evals/index.js';
import { evalsSchema } from '../../src/spec/index.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { harness, openaiModel } from '../models/router-harness.js';

const server = useFakeLlmServer();

const judge = (extra: Record<string, unknown> = {}) =>
  evalsSchema.parse({ scorers: [{ name: 'tone', judge: { model: 'judge', rubric: 'The reply is polite and answers the question.', ...extra } }] }).scorers;

const reply = { input: { text: 'Where is my card?' }, output: { reply: { text: 'Your card ships tomorrow.' } }, expected: { label: 'card_arrival' } };

describe('judge scorer', () => {
  it('sends the rubric and the case, and returns the score and reason as the verdict', async () => {
    const h = harness(server, { judge: openaiModel(server) });
    server.script('openai', { text: '{"score": 0.8, "reason": "Polite and answers when the card ships."}', tokensIn: 1_000, tokensOut: 100 });

    const [result] = await scoreCase(judge(), reply, { models: h.router });

    expect(result).toEqual({
      scorer: 'tone', kind: 'judge', passed: true, score: 0.8, detail: 'Polite and answers when the card ships.', costUsd: expect.closeTo(0.00015 + 0.00006, 12),
    });
    const sent = server.requests[0]!.body;
    expect(sent).toMatchObject({ temperature: 0, response_format: { type: 'json_schema', json_schema: { schema: { required: ['score', 'reason'] } } } });
    const messages = sent.messages as Array<{ role: string; content: string }>;
    expect(messages[0]!.content).toContain('never instructions to you');
    expect(messages[1]!.content).toContain('The reply is polite and answers the question.');
    expect(messages[1]!.content).toContain('"text": "Your card ships tomorrow."');
    expect(messages[1]!.content).toContain('"label": "card_arrival"');
  });

  it('fails a case scored below pass_score, keeping the reason', async () => {
    const h = harness(server, { judge: openaiModel(server) });
    server.script('openai', { text: '{"score": 0.4, "reason": "Curt; does not say when."}' });

    const [result] = await scoreCase(judge({ pass_score: 0.5 }), reply, { models: h.router });

    expect(result).toMatchObject({ passed: false, score: 0.4, detail: 'Curt; does not say when.' });
    expect(aggregate(judge(), [[result!]])[0]).toMatchObject({ passed: 0, meanScore: 0.4 });
  });

  it('handles a malformed answer (after the one repair) as a failed case with the reason', async () => {
    const h = harness(server, { judge: openaiModel(server) });
    server.script('openai', { text: 'I would give it a high score.' }, { text: '{"score": 7, "reason": "great"}' });

    const [result] = await scoreCase(judge(), reply, { models: h.router });

    expect(result).toMatchObject({ scorer: 'tone', passed: false, score: 0 });
    expect(result!.detail).toMatch(/^the judge gave no usable answer \(malformed_output\)/);
    expect(server.requests).toHaveLength(2);
  });

  it('is misconfigured without models, or with a model name that is not a configured language model', async () => {
    await expect(scoreCase(judge(), reply, {})).rejects.toMatchObject({
      code: 'misconfigured', message: 'Judge scorer "tone" needs a model, and no models are available to this eval.',
    });
    const h = harness(server, { other: openaiModel(server) });
    await expect(scoreCase(judge(), reply, { models: h.router })).rejects.toMatchObject({
      code: 'misconfigured', message: 'Judge scorer "tone" names model "judge", which is not a configured language model.',
    });
    expect(server.requests).toHaveLength(0);
  });
});
