// The tracer turns real runs into OpenTelemetry-shaped spans and counts each ended run once in the
// hourly rollups: a model step (through a real OpenAI-protocol server on loopback) gives a GenAI
// span with tokens, a review gives a review span, an email in the input is stored as [email], and
// draining again changes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { createTracer, readTrace, runTraceId, type Tracer } from '../../src/observe/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { useFakeLlmServer } from '../support/fake-llm-server.js';
import { models } from './metrics-fixture.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

const llm = useFakeLlmServer();

const workflow = `
id: drafting
title: Drafting
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [question], properties: { question: { type: string } } }
steps:
  - id: draft
    kind: model
    model: writer
    template: "Answer the customer: {{ input.question }}"
    output_schema: { type: object, required: [reply], properties: { reply: { type: string } } }
  - id: check
    kind: review
    title: Check the draft
    show: steps.draft
    assign: { role: reviewer }
`;

describe.each(testDatabases())('the tracer on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  let tracer: Tracer;

  beforeEach(async () => {
    db = await database.open();
    engine = testEngine(db, { models: models(llm) });
    tracer = createTracer({
      db, tickMs: 50, batch: 2, settleMs: 0, onError: (m, e) => { throw new Error(`${m}: ${String(e)}`); },
    });
    await engine.startWorkers();
  });
  afterEach(async () => {
    await tracer.stop();
    await engine.stop();
    expect(engine.errors).toEqual([]);
    await db.close();
  });

  it('stores a run as spans with GenAI attributes, redacted payloads and a review span, and counts it once', async () => {
    llm.script('openai', { text: JSON.stringify({ reply: 'Write to help@bank.example' }), model: 'writer-1-2026-01', tokensIn: 40, tokensOut: 10 });
    await deploy(db, workflow);
    const { run: { id: runId } } = await startRun(db, { workflowId: 'drafting', stage: 'production', trigger: 'manual', input: { question: 'I am jane@example.com, card 4111 1111 1111 1111' } });
    await waitForRun(db, runId, ['waiting']);
    // A waiting run already has the spans of its finished steps, and is not counted yet.
    await tracer.drain();
    const early = await readTrace(db, runTraceId(runId));
    expect(early.map((s) => s.name).sort()).toEqual(['chat writer-1', 'model draft']);
    const [task] = await listReviews(db, { runId });
    await decideReview(db, { target: { reviewId: task!.id }, decision: 'approve', actor: 'rita@example.com' }, wakeRun);
    await waitForRun(db, runId, ['succeeded']);
    await tracer.drain();
    await tracer.drain();

    const spans = await readTrace(db, runTraceId(runId));
    const root = spans.find((s) => s.parentSpanId === null)!;
    expect(root).toMatchObject({ name: 'run drafting', kind: 'server', status: 'ok', workflowId: 'drafting', runId, source: 'keel' });
    expect(root.attributes['keel.input']).toBe(JSON.stringify({ question: 'I am [email], card [card]' }));
    const step = spans.find((s) => s.name === 'model draft')!;
    expect(step.parentSpanId).toBe(root.spanId);
    expect(step.attributes['keel.output']).toContain('[email]');
    const call = spans.find((s) => s.name === 'chat writer-1')!;
    expect(call.parentSpanId).toBe(step.spanId);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'writer-1', 'gen_ai.response.model': 'writer-1-2026-01',
      'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 10,
    });
    const review = spans.find((s) => s.name === 'decision check')!;
    expect(review.attributes).toMatchObject({ 'keel.review.decision': 'approved', 'keel.review.decided_by': 'rita@example.com' });
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length);

    const hours = await db.query<{ runs: number; succeeded: number; reviewed: number; approved: number; tokens_in: string; model_steps: number; first_try_valid: number }>(
      `SELECT runs, succeeded, reviewed, approved, tokens_in, model_steps, first_try_valid FROM metric_hours WHERE workflow_id = 'drafting'`,
    );
    expect(hours.rows).toEqual([{ runs: 1, succeeded: 1, reviewed: 1, approved: 1, tokens_in: expect.anything(), model_steps: 1, first_try_valid: 1 }]);
    expect(Number(hours.rows[0]!.tokens_in)).toBe(40);
  });
});
