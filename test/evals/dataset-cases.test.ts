// Decided reviews become dataset cases: the run's input (or an external task's payload) with what
// the person decided as the expected output, once per dataset, audited; open and expired tasks are
// refused with a reason. The routes answer as their contract says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { addCaseFromReview, listCases } from '../../src/evals/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = `
id: labelled
title: Labelled by people
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
`;

describe.each(testDatabases())('dataset cases from reviews on $name', (database) => {
  let db: Db;
  let version: string;
  let n = 0;

  /** A run with `input` and its review task in `status`; or, without input, an external task with `context`. */
  async function review(status: string, fields: { input?: unknown; context?: unknown; proposed?: unknown; output?: unknown; comment?: string } = {}): Promise<string> {
    const id = `rev_${status}_${++n}`;
    let run: string | null = null;
    if (fields.input !== undefined) {
      run = `run_${n}`;
      await db.query(
        `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input) VALUES ($1, 'labelled', $2, 'production', 'waiting', 'manual', $3::jsonb)`,
        [run, version, JSON.stringify(fields.input)],
      );
    }
    const decided = ['approved', 'edited', 'rejected', 'expired'].includes(status);
    await db.query(
      `INSERT INTO reviews (id, run_id, step_id, workflow_id, version_id, status, reason, proposed, decided_output, comment, context, decided_at, decided_by)
       VALUES ($1, $2, $3, 'labelled', $4, $5, 'low_confidence', $6::jsonb, $7::jsonb, $8, $9::jsonb, $10, $11)`,
      [id, run, run ? 'check' : null, version, status, JSON.stringify(fields.proposed ?? { label: 'card_arrival' }),
        fields.output === undefined ? null : JSON.stringify(fields.output), fields.comment ?? null,
        fields.context === undefined ? null : JSON.stringify(fields.context), decided ? new Date() : null, decided ? 'ana@example.com' : null],
    );
    return id;
  }

  beforeAll(async () => {
    db = await database.open();
    version = (await deploy(db, workflow)).version.id;
  });
  afterAll(async () => {
    await db.close();
  });

  it('adds an approved review once per dataset with the proposed output as expected, and audits it', async () => {
    const reviewId = await review('approved', { input: { text: 'where is my card?' }, proposed: { label: 'card_arrival' } });
    const first = await addCaseFromReview(db, { reviewId, actor: 'ana@example.com', tags: ['cards', 'cards', 'q3'] });
    expect(first.created).toBe(true);
    expect(first.case).toMatchObject({
      workflow_id: 'labelled', dataset: 'default', input: { text: 'where is my card?' }, expected: { label: 'card_arrival' },
      tags: ['cards', 'q3'], source: 'review', review_id: reviewId, created_by: 'ana@example.com',
    });
    const again = await addCaseFromReview(db, { reviewId, actor: 'bo@example.com', tags: ['other'] });
    expect(again).toEqual({ created: false, case: first.case, version: 1 });
    const elsewhere = await addCaseFromReview(db, { reviewId, actor: 'ana@example.com', dataset: 'golden' });
    expect(elsewhere.created).toBe(true);
    expect(elsewhere.case.id).not.toBe(first.case.id);

    const events = await db.query<{ action: string; actor: string; subject_id: string; data: Record<string, unknown> }>(
      `SELECT action, actor, subject_id, data FROM audit_events WHERE action = 'dataset:case_added' AND data->>'review' = $1 ORDER BY id`, [reviewId],
    );
    expect(events.rows).toEqual([
      { action: 'dataset:case_added', actor: 'ana@example.com', subject_id: first.case.id, data: expect.objectContaining({ workflow: 'labelled', dataset: 'default', decision: 'approved', expected_from: 'approved' }) },
      { action: 'dataset:case_added', actor: 'ana@example.com', subject_id: elsewhere.case.id, data: expect.objectContaining({ dataset: 'golden' }) },
    ]);
    expect((await listCases(db, 'labelled', 'golden')).map((c) => c.id)).toEqual([elsewhere.case.id]);
  });

  it('takes the corrected output of an edit and the reason of a reject, unless told the expected output', async () => {
    const edited = await review('edited', { input: { text: 'a' }, proposed: { label: 'wrong' }, output: { label: 'right' } });
    expect((await addCaseFromReview(db, { reviewId: edited, actor: 'ana' })).case.expected).toEqual({ label: 'right' });
    const rejected = await review('rejected', { input: { text: 'b' }, comment: 'not a banking question' });
    expect((await addCaseFromReview(db, { reviewId: rejected, actor: 'ana' })).case.expected).toEqual({ rejected: true, reason: 'not a banking question' });
    const told = await review('rejected', { input: { text: 'c' }, comment: 'wrong label' });
    const given = await addCaseFromReview(db, { reviewId: told, actor: 'ana', dataset: 'fixed', expected: { label: 'card_lost' } });
    expect(given.case.expected).toEqual({ label: 'card_lost' });
  });

  it('takes an external task\'s input from its context payload, else its context input', async () => {
    const withPayload = await review('approved', { context: { payload: { ticket: 7 }, input: { ignored: true }, confidence: 0.4 } });
    expect((await addCaseFromReview(db, { reviewId: withPayload, actor: 'ana' })).case.input).toEqual({ ticket: 7 });
    const withInput = await review('approved', { context: { input: 'plain text' } });
    expect((await addCaseFromReview(db, { reviewId: withInput, actor: 'ana' })).case.input).toBe('plain text');
    const without = await review('approved', { context: { confidence: 0.9 } });
    await expect(addCaseFromReview(db, { reviewId: without, actor: 'ana' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('neither payload nor input') });
  });

  it('refuses open and expired tasks, bad names, tags and expected values, and unknown reviews', async () => {
    for (const status of ['pending', 'escalated']) {
      const id = await review(status, { input: {} });
      await expect(addCaseFromReview(db, { reviewId: id, actor: 'ana' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining(`still ${status}`) });
    }
    const expired = await review('expired', { input: {} });
    await expect(addCaseFromReview(db, { reviewId: expired, actor: 'ana' })).rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('expired without a decision') });
    const ok = await review('approved', { input: {} });
    await expect(addCaseFromReview(db, { reviewId: ok, actor: 'ana', dataset: '../etc' })).rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'dataset' }] });
    await expect(addCaseFromReview(db, { reviewId: ok, actor: 'ana', tags: ['a,b'] })).rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'tags[0]' }] });
    await expect(addCaseFromReview(db, { reviewId: ok, actor: 'ana', expected: { score: Number.NaN } })).rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'expected.score' }] });
    await expect(addCaseFromReview(db, { reviewId: 'rev_missing', actor: 'ana' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await db.query(`SELECT 1 FROM dataset_cases WHERE review_id = ANY($1::text[])`, [[expired, ok]])).toMatchObject({ rowCount: 0 });
  });

  it('serves adding and listing over HTTP as the contract says', async () => {
    const app = withToken(testHttpApp(db), (await createTestIdentity(db)).token);
    const api = await contractChecker(app);
    const reviewId = await review('edited', { input: { text: 'http' }, output: { label: 'edited' } });
    const added = await api.call('POST', '/api/reviews/{id}/dataset-case', `/api/reviews/${reviewId}/dataset-case`, { dataset: 'web', tags: ['http'] }, 201);
    expect(added.body).toMatchObject({ created: true, case: { dataset: 'web', input: { text: 'http' }, expected: { label: 'edited' }, tags: ['http'] } });
    const again = await api.call('POST', '/api/reviews/{id}/dataset-case', `/api/reviews/${reviewId}/dataset-case`, { dataset: 'web' }, 200);
    expect(again.body).toMatchObject({ created: false, case: { id: (added.body.case as unknown as { id: string }).id } });
    const open = await review('pending', { input: {} });
    await api.call('POST', '/api/reviews/{id}/dataset-case', `/api/reviews/${open}/dataset-case`, {}, 409);
    await api.call('POST', '/api/reviews/{id}/dataset-case', '/api/reviews/rev_missing/dataset-case', {}, 404);

    const list = await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/labelled/datasets/web/cases', undefined, 200);
    expect(list.body.cases).toMatchObject([{ review_id: reviewId, source: 'review' }]);
    await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/nobody/datasets/web/cases', undefined, 404);
  });
});
