import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { listAttempts, startRun, wakeRun } from '../../src/engine/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep } from '../support/target-connector.js';

const triage = () => `
id: triage
title: Ticket triage
owner: ops@example.com
risk: medium
triggers: [ { manual: {} } ]
input:
  type: object
  required: [subject]
  properties: { subject: { type: string } }
steps:
  - id: classify
    kind: transform
    expression: '{ "priority": $contains(input.subject, "urgent") ? "urgent" : "normal" }'
  - id: pick
    kind: route
    routes:
      - when: 'steps.classify.priority == "urgent"'
        to: check
    default: post
  - id: check
    kind: review
    title: Urgent ticket
    on_reject: end
${targetStep('post', { id: 'target-idempotent', delivery: 'idempotent' }, '/tickets', '{ "subject": input.subject }')}${targetAccess('target-idempotent')}`;

describe.each(testDatabases())('a run on $name', (database) => {
  let db: Db;
  let target: Target;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    await saveTargetConnector(db, target.url);
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    expect(engine.worker.active).toBe(0);
    await db.close();
    await target.close();
  });

  it('goes through transform, route and action and keeps every attempt', async () => {
    await deployGranted(db, triage());
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'printer' } });
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.state).toMatchObject({ classify: { priority: 'normal' }, pick: { to: 'post' } });
    expect(target.effects).toEqual([{ path: '/tickets', key: `${run.id}:post`, body: { subject: 'printer' } }]);
    const attempts = await listAttempts(db, run.id);
    expect(attempts.map((a) => [a.step_id, a.status])).toEqual([['classify', 'succeeded'], ['pick', 'succeeded'], ['approval', 'succeeded'], ['post', 'succeeded']]);
    expect(engine.errors).toEqual([]);
  });

  it('waits at a review and finishes once it is approved', async () => {
    await deployGranted(db, triage());
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'urgent: down' } });
    const waiting = await waitForRun(db, run.id, ['waiting']);
    expect(waiting.wait_reason).toBe('review');
    const [review] = await listReviews(db, { runId: run.id });
    expect(review).toMatchObject({ status: 'pending', title: 'Urgent ticket', proposed: { to: 'check' } });
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'approve', actor: 'alice' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.state.check).toMatchObject({ decision: 'approved', reviewer: 'alice' });
    expect(target.effects).toHaveLength(1);
  });

  it('ends as rejected when the reviewer rejects', async () => {
    await deployGranted(db, triage());
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'urgent' } });
    await waitForRun(db, run.id, ['waiting']);
    await decideReview(db, { target: { runId: run.id, stepId: 'check', workflowId: 'triage' }, decision: 'reject', comment: 'spam', actor: 'bob' }, wakeRun);
    const done = await waitForRun(db, run.id, ['rejected', 'failed', 'succeeded']);
    expect(done.status).toBe('rejected');
    expect(target.effects).toHaveLength(0);
  });

  it('applies a decision made before the run reaches its review', async () => {
    await engine.stop();
    await deployGranted(db, triage());
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'urgent' } });
    await decideReview(db, { target: { runId: run.id, stepId: 'check', workflowId: 'triage' }, decision: 'edit', output: { fixed: true }, actor: 'carol' }, wakeRun);
    engine = testEngine(db);
    await engine.startWorkers();
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    expect(done.state.check).toMatchObject({ decision: 'edited', output: { fixed: true } });
  });

  it('asks again when a rejected review loops back to the draft', async () => {
    await deploy(db, `
id: drafting
title: Drafting loop
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: model
    model: template
    template: "Draft for {{ input.name }}"
  - id: check
    kind: review
    title: Check the draft
    on_reject: draft
`);
    const { run } = await startRun(db, { workflowId: 'drafting', stage: 'production', trigger: 'manual', input: { name: 'Ada' } });
    await waitForRun(db, run.id, ['waiting']);
    const [first] = await listReviews(db, { runId: run.id });
    await decideReview(db, { target: { reviewId: first!.id }, decision: 'reject', comment: 'again', actor: 'a' }, wakeRun);
    for (let i = 0; i < 200 && (await listReviews(db, { runId: run.id })).length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const reviews = await listReviews(db, { runId: run.id });
    expect(reviews.map((r) => r.status)).toEqual(['rejected', 'pending']);
    expect((await waitForRun(db, run.id, ['waiting'])).current_step).toBe('check');
    await decideReview(db, { target: { reviewId: reviews[1]!.id }, decision: 'approve', actor: 'a' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    const drafts = (await listAttempts(db, run.id)).filter((a) => a.step_id === 'draft');
    expect(drafts.map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('retries a failing action with back-off and then succeeds', async () => {
    await deployGranted(db, triage().replace('delivery: idempotent', 'delivery: idempotent\n    retry: { max_attempts: 3, backoff: 50ms }'));
    target.failNext(2, 503);
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'x' } });
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('succeeded');
    const posts = (await listAttempts(db, run.id)).filter((a) => a.step_id === 'post');
    expect(posts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(posts[0]!.error).toMatchObject({ code: 'action_failed', retriable: true });
  });

  it('fails terminally with the error kept when retries run out or the error is final', async () => {
    await deployGranted(db, triage());
    target.failNext(1, 400);
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'x' } });
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'action_failed', message: expect.stringContaining('400') });
    expect(target.effects).toHaveLength(0);
  });

  it('keeps a run on the version it started with', async () => {
    await deployGranted(db, triage());
    await engine.stop();
    const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: { subject: 'x' } });
    await deployGranted(db, triage().replace('/tickets', '/v2/tickets'));
    engine = testEngine(db);
    await engine.startWorkers();
    await waitForRun(db, run.id, ['succeeded']);
    expect(target.effects[0]!.path).toBe('/tickets');
  });
});
