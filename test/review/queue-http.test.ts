// The review queue over HTTP, each answer checked against its contract: the queue for a person's
// roles, most urgent first; claiming the next free task; comments; a decision's outcome and the
// derived `claimed` state; bulk approval of low-risk tasks, each decided and audited on its own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { createToken, setWorkflowMember } from '../../src/auth/index.js';
import { listReviews } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { accessOf, createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = (id: string, risk: string, assign = 'reviewer', priority = 'normal') => `
id: ${id}
title: ${id}
owner: owner@example.com
risk: ${risk}
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Check ${id}
    show: input
    assign: { role: ${assign} }
    priority: ${priority}
    due: 2h
`;

type Api = Awaited<ReturnType<typeof contractChecker>>;

describe.each(testDatabases())('the review queue over HTTP on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  let reviewer: Api;
  let approver: Api;
  beforeEach(async () => {
    db = await database.open();
    engine = testEngine(db);
    await engine.startWorkers();
    const app = testHttpApp(db);
    reviewer = await contractChecker(withToken(app, (await createTestIdentity(db, ['reviewer'])).token));
    approver = await contractChecker(withToken(app, (await createTestIdentity(db, ['approver', 'reviewer'])).token));
    await deploy(db, workflow('low-one', 'low'));
    await deploy(db, workflow('urgent-one', 'medium', 'reviewer', 'urgent'));
    await deploy(db, workflow('approvers-only', 'low', 'approver'));
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
  });

  async function waiting(workflowId: string): Promise<string> {
    const { run } = await startRun(db, { workflowId, stage: 'production', trigger: 'manual', input: { about: workflowId } });
    await waitForRun(db, run.id, ['waiting']);
    return (await listReviews(db, { runId: run.id }))[0]!.id;
  }

  it('lists a person\'s queue most urgent first and hands out the next free task, never the same one twice', async () => {
    const low = await waiting('low-one');
    const urgent = await waiting('urgent-one');
    const forApprovers = await waiting('approvers-only');
    const mine = await reviewer.call('GET', '/api/reviews', '/api/reviews?state=open&mine=true&order=urgent', undefined, 200);
    expect((mine.body.reviews as unknown as { id: string }[]).map((r) => r.id)).toEqual([urgent, low]);
    const all = await approver.call('GET', '/api/reviews', '/api/reviews?state=open&mine=true&order=urgent', undefined, 200);
    expect((all.body.reviews as unknown as { id: string }[]).map((r) => r.id)).toEqual([urgent, low, forApprovers]);

    const first = await reviewer.call('POST', '/api/reviews/next', '/api/reviews/next', {}, 200);
    expect(first.body.review).toMatchObject({ id: urgent, state: 'claimed', priority: 3 });
    const second = await approver.call('POST', '/api/reviews/next', '/api/reviews/next', {}, 200);
    expect(second.body.review).toMatchObject({ id: low, state: 'claimed' });
    const third = await reviewer.call('POST', '/api/reviews/next', '/api/reviews/next', {}, 200);
    expect(third.body.review).toBeNull();
    const claimed = await reviewer.call('GET', '/api/reviews', '/api/reviews?state=claimed', undefined, 200);
    expect((claimed.body.reviews as unknown as { id: string }[]).map((r) => r.id).sort()).toEqual([urgent, low].sort());
  });

  it('keeps comments with a task and shows them, with the decision\'s outcome', async () => {
    const id = await waiting('low-one');
    await reviewer.call('POST', '/api/reviews/{id}/comments', `/api/reviews/${id}/comments`, { body: 'asking the customer' }, 201);
    await reviewer.call('POST', '/api/reviews/{id}/comments', `/api/reviews/${id}/comments`, { body: '' }, 422);
    const decided = await approver.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${id}/decision`, { decision: 'reject', comment: 'duplicate ticket' }, 200);
    expect(decided.body).toMatchObject({ outcome: 'decided', status: 'rejected', comment: 'duplicate ticket' });
    const shown = await reviewer.call('GET', '/api/reviews/{id}', `/api/reviews/${id}`, undefined, 200);
    expect(shown.body).toMatchObject({ state: 'rejected', comments: [{ body: 'asking the customer' }], approvals: [] });
  });

  it('refuses a task waiting for a role the person does not hold', async () => {
    const id = await waiting('approvers-only');
    const refused = await reviewer.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${id}/decision`, { decision: 'approve' }, 403);
    expect(refused.body.detail).toContain('approver');
    await approver.call('POST', '/api/reviews/{id}/decision', `/api/reviews/${id}/decision`, { decision: 'approve' }, 200);
  });

  it('approves low-risk tasks in bulk, one decision and one audit event each, and says why it refuses the rest', async () => {
    const a = await waiting('low-one');
    const b = await waiting('low-one');
    const medium = await waiting('urgent-one');
    const bulk = await reviewer.call('POST', '/api/reviews/bulk-approve', '/api/reviews/bulk-approve', { ids: [a, b, medium, 'rev_nope'], comment: 'routine' }, 200);
    expect(bulk.body.results).toEqual([
      { id: a, ok: true, status: 'approved' },
      { id: b, ok: true, status: 'approved' },
      { id: medium, ok: false, error: { code: 'conflict', message: expect.stringContaining('medium risk') } },
      { id: 'rev_nope', ok: false, error: { code: 'not_found', message: 'No review rev_nope.' } },
    ]);
    const audited = await db.query<{ subject_id: string }>(`SELECT subject_id FROM audit_events WHERE action = 'review:decided' ORDER BY id`);
    expect(audited.rows.map((e) => e.subject_id)).toEqual([a, b]);
    await reviewer.call('POST', '/api/reviews/bulk-approve', '/api/reviews/bulk-approve', { ids: [] }, 422);
  });

  it('gives a viewer who reviews one workflow only that workflow\'s tasks, to claim or to approve in bulk', async () => {
    await deploy(db, workflow('low-two', 'low'));
    const theirs = await waiting('low-one');
    const elsewhere = await waiting('low-two');
    const urgentElsewhere = await waiting('urgent-one');
    // A global viewer sees every workflow and, as a reviewer of low-one, works the reviewer queue there only.
    const person = await createTestIdentity(db, ['viewer']);
    await setWorkflowMember(db, 'low-one', { kind: 'user', member: person.email, role: 'reviewer' }, true, 'test');
    // A token made now carries what the membership gives (a token's scopes are fixed when it is made).
    const { secret } = await createToken(db, await accessOf(db, person), { name: 'member', scopes: ['reviews:read', 'reviews:decide', 'workflows:read'] });
    const scoped = await contractChecker(withToken(testHttpApp(db), secret));
    const next = await scoped.call('POST', '/api/reviews/next', '/api/reviews/next', {}, 200);
    expect(next.body.review).toMatchObject({ id: theirs });
    expect((await scoped.call('POST', '/api/reviews/next', '/api/reviews/next', {}, 200)).body.review).toBeNull();
    const bulk = await scoped.call('POST', '/api/reviews/bulk-approve', '/api/reviews/bulk-approve', { ids: [elsewhere, urgentElsewhere] }, 200);
    expect(bulk.body.results).toEqual([
      { id: elsewhere, ok: false, error: { code: 'not_found', message: `No review ${elsewhere}.` } },
      { id: urgentElsewhere, ok: false, error: { code: 'not_found', message: `No review ${urgentElsewhere}.` } },
    ]);
    expect((await listReviews(db, { state: 'open', workflowId: 'low-two' }))).toHaveLength(1);
  });
});
