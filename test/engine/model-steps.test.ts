// Model steps in real runs: a workflow's model step calls a real HTTP server on loopback speaking the
// OpenAI protocol, and every way an answer can be unusable ends where the issue says: a malformed
// answer, no answer and low confidence go to review with their reason, a provider's refusal fails the
// run, a budget stops the run before it spends more, and every attempt is stored with its cost.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { listModelCalls } from '../../src/models/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

const llm = useFakeLlmServer();

function models() {
  const config = configSchema.parse({
    models: {
      writer: {
        provider: 'openai-compatible', model: 'writer-1', baseUrl: `${llm.url}/v1`, timeoutMs: 300,
        retries: { maxAttempts: 2, backoffMs: 5, maxBackoffMs: 20 }, price: { inputPerMillion: 1000, outputPerMillion: 2000 }, fallbacks: ['backup'],
      },
      backup: { provider: 'openai-compatible', model: 'backup-1', baseUrl: `${llm.url}/v1`, timeoutMs: 300, retries: { maxAttempts: 1, backoffMs: 5 } },
      lone: { provider: 'openai-compatible', model: 'lone-1', baseUrl: `${llm.url}/v1`, timeoutMs: 300, retries: { maxAttempts: 1, backoffMs: 5 } },
    },
  });
  return { configs: config.models, providerKeys: {} };
}

const answerSchema = `{ type: object, required: [reply, confidence], properties: { reply: { type: string }, confidence: { type: number } } }`;

function workflow(options: { model?: string; extra?: string; budget?: string } = {}): string {
  return `
id: drafting
title: Drafting
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [question], properties: { question: { type: string } } }
steps:
  - id: draft
    kind: model
    model: ${options.model ?? 'writer'}
    template: "Answer the customer: {{ input.question }}"
    output_schema: ${answerSchema}
    ${options.extra ?? 'min_confidence: 0.7'}
  - id: done
    kind: transform
    expression: '{ "sent": steps.draft.reply }'
${options.budget ?? ''}
`;
}

const valid = (reply: string, confidence: number, extra: { tokensIn?: number; tokensOut?: number } = {}) =>
  ({ text: JSON.stringify({ reply, confidence }), model: 'writer-1-2026-01', tokensIn: extra.tokensIn ?? 40, tokensOut: extra.tokensOut ?? 10 });

describe.each(testDatabases())('model steps on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    engine = testEngine(db, { models: models() });
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
  });

  const start = (question = 'Where is my card?') => startRun(db, { workflowId: 'drafting', stage: 'production', trigger: 'manual', input: { question } });

  it('acts on a valid, confident answer and records the attempt with tokens, cost and the reported model version', async () => {
    await deploy(db, workflow());
    llm.script('openai', valid('It is on its way.', 0.9));
    const { run } = await start();
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.output).toEqual({ sent: 'It is on its way.' });
    expect(llm.requests).toHaveLength(1);
    expect(JSON.stringify(llm.requests[0]!.body)).toContain('Where is my card?');
    const calls = await listModelCalls(db, run.id);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      stepId: 'draft', model: 'writer', provider: 'openai-compatible', modelId: 'writer-1', responseModel: 'writer-1-2026-01',
      tokensIn: 40, tokensOut: 10, errorClass: null, answer: { reply: 'It is on its way.', confidence: 0.9 },
    });
    expect(calls[0]!.costUsd).toBeCloseTo((40 * 1000 + 10 * 2000) / 1e6, 9);
  });

  it('repairs a malformed answer once, then falls back, then sends the run to review as malformed_output; an edit carries the run on', async () => {
    await deploy(db, workflow());
    llm.script('openai', { text: 'not json at all' }, { text: '{"reply": 5}' }, { text: 'still not json' }, { text: '{"confidence": "high"}' });
    const { run } = await start();
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    expect(review).toMatchObject({ reason: 'malformed_output', step_id: 'draft', status: 'pending', proposed: null });
    expect(review!.context).toMatchObject({ model: 'writer', lastAnswer: '{"confidence": "high"}' });
    const calls = await listModelCalls(db, run.id);
    expect(calls.map((c) => [c.model, c.purpose, c.errorClass])).toEqual([
      ['writer', 'call', 'malformed_output'], ['writer', 'repair', 'malformed_output'],
      ['backup', 'call', 'malformed_output'], ['backup', 'repair', 'malformed_output'],
    ]);
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'edit', output: { reply: 'Written by a person.', confidence: 1 }, actor: 'agent@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.output).toEqual({ sent: 'Written by a person.' });
    expect(llm.requests).toHaveLength(4);
  });

  it('sends a run whose models never answer in time to review as no_response', async () => {
    await deploy(db, workflow());
    llm.script('openai', { delayMs: 1_000 }, { delayMs: 1_000 }, { delayMs: 1_000 });
    const { run } = await start();
    await waitForRun(db, run.id, ['waiting'], 15_000);
    const [review] = await listReviews(db, { runId: run.id });
    expect(review!.reason).toBe('no_response');
    const calls = await listModelCalls(db, run.id);
    expect(calls.map((c) => `${c.model}:${c.errorClass}`)).toEqual(['writer:no_response', 'writer:no_response', 'backup:no_response']);
  });

  it('fails the run instead when the step says on_failure: fail', async () => {
    await deploy(db, workflow({ model: 'lone', extra: 'on_failure: fail' }));
    llm.script('openai', { text: 'nope' }, { text: 'nope again' });
    const { run } = await start();
    const failed = await waitForRun(db, run.id, ['failed']);
    expect(failed.error).toMatchObject({ code: 'step_failed' });
    expect(await listReviews(db, { runId: run.id })).toEqual([]);
  });

  it('sends a confident-enough answer on and a doubtful one to review as low_confidence; approving keeps the answer', async () => {
    await deploy(db, workflow());
    llm.script('openai', valid('Maybe it was lost?', 0.4));
    const { run } = await start();
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    expect(review).toMatchObject({ reason: 'low_confidence', proposed: { reply: 'Maybe it was lost?', confidence: 0.4 } });
    expect(review!.context).toMatchObject({ confidence: 0.4 });
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'approve', actor: 'agent@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.output).toEqual({ sent: 'Maybe it was lost?' });
    // The model was asked once: the decision, not a new call, completed the step.
    expect(llm.requests).toHaveLength(1);
  });

  it('ends the run when the reviewer rejects the doubtful answer', async () => {
    await deploy(db, workflow());
    llm.script('openai', valid('Maybe?', 0.1));
    const { run } = await start();
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'reject', comment: 'wrong answer', actor: 'agent@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['rejected']);
    expect(done.output).toMatchObject({ decision: 'rejected', reason: 'low_confidence', comment: 'wrong answer' });
  });

  it('fails the run without retrying when the provider refuses the request (401)', async () => {
    await deploy(db, workflow({ model: 'lone' }));
    llm.script('openai', { status: 401, message: 'bad key' });
    const { run } = await start();
    const failed = await waitForRun(db, run.id, ['failed']);
    expect(failed.error).toMatchObject({ code: 'step_failed' });
    expect(llm.requests).toHaveLength(1);
    expect((await listModelCalls(db, run.id))[0]).toMatchObject({ errorClass: 'client_error', status: 401 });
  });

  it('stops a run that would pass its per-run token budget before calling the model again, and sends it to review', async () => {
    const wf = workflow({ budget: 'budget: { per_run: { tokens: 52 } }' }).replace(
      `  - id: done
    kind: transform
    expression: '{ "sent": steps.draft.reply }'`,
      `  - id: second
    kind: model
    model: writer
    template: "Again: {{ input.question }}"
    output_schema: ${answerSchema}
  - id: done
    kind: transform
    expression: '{ "sent": steps.second.reply }'`);
    await deploy(db, wf);
    llm.script('openai', valid('First.', 0.9, { tokensIn: 30, tokensOut: 20 }), valid('Second.', 0.9));
    const { run } = await start();
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    expect(review).toMatchObject({ reason: 'budget_exceeded', step_id: 'second' });
    expect(String(review!.context!.error)).toMatch(/budget\.per_run.*50 tokens spent/);
    expect(llm.requests).toHaveLength(1);
    expect(llm.pending('openai')).toBe(1);
  });

  it('counts every run of the workflow that day against per_day', async () => {
    await deploy(db, workflow({ budget: 'budget: { per_day: { cost: 0.075 } }' }));
    llm.script('openai', valid('One.', 0.9, { tokensIn: 50, tokensOut: 10 }), valid('Two.', 0.9));
    const first = await start();
    await waitForRun(db, first.run.id, ['succeeded']);
    const second = await start('And now?');
    await waitForRun(db, second.run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: second.run.id });
    expect(review).toMatchObject({ reason: 'budget_exceeded' });
    expect(String(review!.context!.error)).toMatch(/budget\.per_day/);
    expect(llm.requests).toHaveLength(1);
  });

  it('gives a free-text answer the same shape as the template model: { text, model }', async () => {
    await deploy(db, workflow({ extra: '' }).replace(/ {4}output_schema: .*\n/, '').replace('steps.draft.reply', 'steps.draft.text'));
    llm.script('openai', { text: 'Your card is on its way.' });
    const { run } = await start();
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state.draft).toEqual({ text: 'Your card is on its way.', model: 'writer' });
    expect(done.output).toEqual({ sent: 'Your card is on its way.' });
  });

  it('fails the run, naming the variable, when an inline template reads one the run does not have', async () => {
    await deploy(db, workflow({ model: 'template' }).replace('{{ input.question }}', '{{ input.question }} {{ input.account }}'));
    const { run } = await start();
    const failed = await waitForRun(db, run.id, ['failed']);
    expect(failed.error).toMatchObject({ code: 'step_failed', message: expect.stringContaining('account') });
    expect(llm.requests).toHaveLength(0);
  });

  it('classifies with a language model among the listed labels', async () => {
    await deploy(db, `
id: labelling
title: Labelling
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: label
    kind: classify
    model: lone
    text: input.text
    labels: [billing, access, other]
    min_confidence: 0.6
`);
    llm.script('openai', { text: '{"label": "billing", "confidence": 0.93}', model: 'lone-1-x' }, { text: '{"label": "access", "confidence": 0.2}' });
    const sure = await startRun(db, { workflowId: 'labelling', stage: 'production', trigger: 'manual', input: { text: 'I was charged twice' } });
    const done = await waitForRun(db, sure.run.id, ['succeeded']);
    expect(done.output).toEqual({ label: 'billing', confidence: 0.93, alternatives: [], model: 'lone', modelVersion: 'lone-1-x' });
    const unsure = await startRun(db, { workflowId: 'labelling', stage: 'production', trigger: 'manual', input: { text: 'hmm' } });
    await waitForRun(db, unsure.run.id, ['waiting']);
    expect((await listReviews(db, { runId: unsure.run.id }))[0]).toMatchObject({ reason: 'low_confidence', proposed: { label: 'access' } });
  });
});
