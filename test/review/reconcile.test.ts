// An unsafe action that may or may not have happened stops its run in outcome_unknown and puts a
// task in the review queue (reason outcome_unknown). Only a person's decision moves the run on:
// approve (it took effect), edit (with this result) or reject (it did not; the run ends). The action
// is never repeated by Keel.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess } from '../support/target-connector.js';

const workflow = () => `
id: paying
title: Paying
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: pay
    kind: action
    connector: target-unsafe
    action: send
    with: { method: '"POST"', path: '"/unsafe"', body: 'input' }
    delivery: unsafe
    timeout: 300ms
  - id: after
    kind: transform
    expression: 'steps.pay'
${targetAccess('target-unsafe')}`;

describe.each(testDatabases())('reconciling an unknown outcome on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  let target: Target;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    engine = testEngine(db);
    await engine.startWorkers();
    await saveTargetConnector(db, target.url, 'unsafe');
    await deployGranted(db, workflow());
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    await target.close();
  });

  async function unknownRun() {
    target.delay = 1_000;
    const { run } = await startRun(db, { workflowId: 'paying', stage: 'production', trigger: 'manual', input: { amount: 5 } });
    const stopped = await waitForRun(db, run.id, ['outcome_unknown']);
    target.delay = 0;
    const [task] = await listReviews(db, { runId: run.id });
    return { run: stopped, task: task! };
  }

  it('asks a person, and goes on from the action without repeating it once they say it took effect', async () => {
    const { run, task } = await unknownRun();
    expect(run.wait_reason).toBe('outcome_unknown');
    expect(task).toMatchObject({ step_id: 'pay', reason: 'outcome_unknown', status: 'pending', priority: 2 });
    expect(task.context).toMatchObject({ connector: 'target-unsafe', action: 'send', delivery: 'unsafe', idempotency_key: `${run.id}:pay` });
    await decideReview(db, { target: { reviewId: task.id }, decision: 'approve', comment: 'payment is in the ledger', actor: 'ana@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state).toMatchObject({ pay: { reconciled: 'took_effect', reviewer: 'ana@example.com' }, after: { reconciled: 'took_effect' } });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(target.requests).toBe(1);
  });

  it('takes a person\'s result as the action\'s output on edit, and ends the run when they say it did not happen', async () => {
    const edited = await unknownRun();
    await decideReview(db, { target: { reviewId: edited.task.id }, decision: 'edit', output: { id: 'pay_77' }, actor: 'ana@example.com' }, wakeRun);
    expect((await waitForRun(db, edited.run.id, ['succeeded'])).state).toMatchObject({ pay: { id: 'pay_77' } });

    const missed = await unknownRun();
    await decideReview(db, { target: { reviewId: missed.task.id }, decision: 'reject', comment: 'not in the ledger', actor: 'ana@example.com' }, wakeRun);
    const ended = await waitForRun(db, missed.run.id, ['rejected']);
    expect(ended.output).toMatchObject({ reconciled: 'did_not_take_effect', comment: 'not in the ledger' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(target.requests).toBe(2);
  });
});
