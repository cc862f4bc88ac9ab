// Claiming a review task: one person at a time, a claim that frees itself, and a decision that only
// the claim's holder (or anyone, once it lapsed) can make. Several reviewers deciding the same task
// at the same moment on real connections: exactly one decision wins, the others are told 409.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { claimReview, decideReview, listReviews, releaseReview } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

const workflow = `
id: checked
title: Checked by a person
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
    show: input
`;

describe.each(testDatabases())('review claims on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    engine = testEngine(db);
    await engine.startWorkers();
    await deploy(db, workflow);
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
  });

  async function pendingReview(): Promise<{ runId: string; reviewId: string }> {
    const { run } = await startRun(db, { workflowId: 'checked', stage: 'production', trigger: 'manual', input: { n: 1 } });
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    return { runId: run.id, reviewId: review!.id };
  }

  it('lets one person claim a task, refuses a second, and lets the holder renew and release it', async () => {
    const { reviewId } = await pendingReview();
    const claimed = await claimReview(db, { reviewId, actor: 'ana@example.com' });
    expect(claimed).toMatchObject({ claimed_by: 'ana@example.com', status: 'pending' });
    expect(new Date(claimed.claimed_until!).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    await expect(claimReview(db, { reviewId, actor: 'bo@example.com' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('claimed by ana@example.com') });
    const renewed = await claimReview(db, { reviewId, actor: 'ana@example.com', minutes: 60 });
    expect(new Date(renewed.claimed_until!).getTime()).toBeGreaterThan(new Date(claimed.claimed_until!).getTime());
    await expect(releaseReview(db, { reviewId, actor: 'bo@example.com' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await releaseReview(db, { reviewId, actor: 'ana@example.com' })).toMatchObject({ claimed_by: null, claimed_until: null });
    expect(await claimReview(db, { reviewId, actor: 'bo@example.com' })).toMatchObject({ claimed_by: 'bo@example.com' });
  });

  it('keeps others from deciding a claimed task until the claim lapses', async () => {
    const { runId, reviewId } = await pendingReview();
    await claimReview(db, { reviewId, actor: 'ana@example.com' });
    await expect(decideReview(db, { target: { reviewId }, decision: 'approve', actor: 'bo@example.com' }, wakeRun)).rejects.toMatchObject({ code: 'conflict' });
    // The claim lapses (its time is moved into the past rather than waited for).
    await db.query(`UPDATE reviews SET claimed_until = now() - interval '1 second' WHERE id = $1`, [reviewId]);
    const decided = await decideReview(db, { target: { reviewId }, decision: 'approve', actor: 'bo@example.com' }, wakeRun);
    expect(decided).toMatchObject({ outcome: 'decided', review: { status: 'approved', decided_by: 'bo@example.com', claimed_by: null } });
    await waitForRun(db, runId, ['succeeded']);
    await expect(claimReview(db, { reviewId, actor: 'ana@example.com' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already approved') });
  });

  it('lets the holder decide, and audits claim and decision', async () => {
    const { reviewId } = await pendingReview();
    await claimReview(db, { reviewId, actor: 'ana@example.com' });
    await decideReview(db, { target: { reviewId }, decision: 'reject', comment: 'no', actor: 'ana@example.com' }, wakeRun);
    const events = await db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_events WHERE subject_id = $1 ORDER BY id`, [reviewId]);
    expect(events.rows).toEqual([
      { action: 'review:created', actor: 'keel' }, { action: 'review:claimed', actor: 'ana@example.com' }, { action: 'review:decided', actor: 'ana@example.com' },
    ]);
  });

  it('refuses a claim of a length out of range, and of an unknown task', async () => {
    const { reviewId } = await pendingReview();
    await expect(claimReview(db, { reviewId, actor: 'ana@example.com', minutes: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(claimReview(db, { reviewId: 'rev_nope', actor: 'ana@example.com' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('lets exactly one of several simultaneous deciders win; the others get a conflict', async () => {
    const { runId, reviewId } = await pendingReview();
    const deciders = ['a', 'b', 'c', 'd', 'e', 'f'].map((who, i) =>
      decideReview(db, { target: { reviewId }, decision: i % 2 ? 'reject' : 'approve', comment: who, actor: `${who}@example.com` }, wakeRun));
    const outcomes = await Promise.allSettled(deciders);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(5);
    for (const o of lost) expect(o.reason).toMatchObject({ code: 'conflict' });
    const [review] = await listReviews(db, { runId });
    expect(review!.decided_by).toBe((won[0] as PromiseFulfilledResult<{ review: { decided_by: string } }>).value.review.decided_by);
    const decided = await db.query(`SELECT 1 FROM audit_events WHERE subject_id = $1 AND action = 'review:decided'`, [reviewId]);
    expect(decided.rows).toHaveLength(1);
  });
});
