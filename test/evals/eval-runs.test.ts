// Eval runs: a version executed in sandbox against a dataset version by the ordinary workers. Its
// actions are recorded and never reach the target, nobody is asked to review, the live figures
// leave its runs out, no more cases are in flight than its concurrency, a case the input contract
// refuses fails alone, and two runs compare case by case. The routes answer as their contract says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { listRuns, type Engine } from '../../src/engine/index.js';
import {
  advanceEvalRuns, compareEvalRuns, getEvalRun, importCases, listEvalResults, startEvalRun, type EvalRunRow,
} from '../../src/evals/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deployGranted, testEngine } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep, type TargetConnector } from '../support/target-connector.js';

function sorter(connector: TargetConnector, labelExpression: string): string {
  return `id: sorter
title: Sorts requests
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object, required: [text], properties: { text: { type: string } } }
steps:
  - id: label
    kind: transform
    expression: '${labelExpression}'
  - id: look
    kind: review
    title: Look at the label
${targetStep('file', connector, '/tickets', '{ "label": steps.label.label }')}approval:
  rules:
    - { when: 'true', then: review, reason: policy }
${targetAccess(connector)}evals:
  threshold: 0.5
  scorers:
    - name: label
      label: { path: label.label, expected_path: label }
`;
}

const byWord = `{ "label": $contains(input.text, "card") ? "card" : "other" }`;
const alwaysCard = `{ "label": "card" }`;

const cases = [
  { input: { text: 'my card has not arrived' }, expected: { label: 'card' } },
  { input: { text: 'card declined at the shop' }, expected: { label: 'card' } },
  { input: { text: 'where is my new card' }, expected: { label: 'card' } },
  { input: { text: 'change my address' }, expected: { label: 'other' } },
  { input: { text: 'exchange rate today' }, expected: { label: 'other' } },
  { input: { text: 'close my account' }, expected: { label: 'other' } },
  // Labelled wrong on purpose: the word rule says card, the dataset says other.
  { input: { text: 'card fees on my account' }, expected: { label: 'other' } },
  // Refused by the input contract (no text): fails alone, no run.
  { input: { subject: 'no text here' }, expected: { label: 'other' } },
];

describe.each(testDatabases())('eval runs on $name', (database) => {
  let db: Db;
  let engine: Engine;
  let target: Target;
  let connector: TargetConnector;
  let first: EvalRunRow;
  let v1: string;

  /** Moves the eval on as the runner would, checking the concurrency bound after every pass. */
  async function runToEnd(id: string, concurrency: number): Promise<EvalRunRow> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await advanceEvalRuns({ db, onError: (m, e) => { throw e; } });
      const running = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM eval_results WHERE eval_run_id = $1 AND status = 'running'`, [id]);
      expect(running.rows[0]!.n).toBeLessThanOrEqual(concurrency);
      const run = await getEvalRun(db, id);
      if (run.status !== 'running') return run;
      if (Date.now() > deadline) throw new Error(`eval ${id} still running: ${run.done}/${run.total}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    db = await database.open();
    target = await startTarget();
    connector = await saveTargetConnector(db, target.url);
    v1 = (await deployGranted(db, sorter(connector, byWord), 'testing')).version.id;
    await importCases(db, { workflowId: 'sorter', dataset: 'default', format: 'jsonl', content: cases.map((c) => JSON.stringify(c)).join('\n'), actor: 'sme@example.com' });
    engine = testEngine(db);
    await engine.startWorkers();
    first = await runToEnd((await startEvalRun(db, { workflowId: 'sorter', concurrency: 2, actor: 'builder@example.com' })).id, 2);
  }, 60_000);
  afterAll(async () => {
    await engine.stop();
    await target.close();
    await db.close();
  });

  it('scores every case of the dataset version and says how sure the pass rate is', async () => {
    expect(first).toMatchObject({ status: 'finished', version_id: v1, dataset: 'default', dataset_version: 1, total: 8, done: 8, passed: 6, threshold: 0.5 });
    const summary = first.summary!;
    expect(summary.passRate).toBeCloseTo(6 / 8);
    expect(summary.interval.low).toBeGreaterThan(0.4);
    expect(summary.interval.low).toBeLessThan(0.75);
    expect(summary.interval.high).toBeGreaterThan(0.75);
    expect(summary.meetsThreshold).toBe(summary.interval.low >= 0.5);
    expect(summary.runErrors).toBe(1);
    expect(summary.latencyMs.p50).toBeGreaterThan(0);
    const label = summary.scorers[0]!;
    expect(label).toMatchObject({ scorer: 'label', kind: 'label', cases: 7, passed: 6 });
    // card: 3 right of 4 predicted; other: 3 of 3 predicted right, 3 of 4 expected found.
    expect(label.label!.perLabel.card).toMatchObject({ precision: 0.75, recall: 1, support: 3, predicted: 4 });
    expect(label.label!.perLabel.other).toMatchObject({ precision: 1, recall: 0.75, support: 4, predicted: 3 });
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'eval:%' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['eval:started', 'eval:finished']);
  });

  it('runs the cases in sandbox: the action is recorded, never sent, and nobody is asked to review', async () => {
    expect(target.requests).toBe(0);
    const reviews = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM reviews`);
    expect(reviews.rows[0]!.n).toBe(0);
    const [result] = await listEvalResults(db, first.id, { limit: 1 });
    const run = await db.query<{ purpose: string; stage: string; status: string; state: Record<string, Record<string, unknown>> }>(
      `SELECT purpose, stage, status, state FROM runs WHERE id = $1`, [result!.run_id],
    );
    expect(run.rows[0]).toMatchObject({ purpose: 'eval', stage: 'sandbox', status: 'succeeded' });
    const state = run.rows[0]!.state;
    expect(state.look).toMatchObject({ decision: 'approved', reviewer: 'keel:eval' });
    // The boundary's verdict is the one a live run would get (review, by rule 0), not the sandbox fail-safe.
    expect(state.approval).toMatchObject({ decision: 'review', by: 0, reason: 'policy', asked: false });
    expect(JSON.stringify(state.file)).toContain('would_have_sent');
  });

  it('keeps eval runs out of the runs list unless asked for', async () => {
    expect(await listRuns(db, { workflowId: 'sorter' })).toEqual([]);
    expect(await listRuns(db, { workflowId: 'sorter', purpose: 'eval' })).toHaveLength(7);
  });

  it('fails a case the input contract refuses on its own, naming the field', async () => {
    const failed = await listEvalResults(db, first.id, { only: 'failed' });
    expect(failed.map((r) => r.run_status).sort()).toEqual(['refused', 'succeeded']);
    const refused = failed.find((r) => r.run_status === 'refused')!;
    expect(refused).toMatchObject({ run_id: null, passed: false, error: { code: 'invalid_input' } });
    expect(refused.error!.message).toMatch(/input/);
  });

  it('compares two versions case by case: what regressed and what improved', async () => {
    await deployGranted(db, sorter(connector, alwaysCard), 'testing');
    const second = await runToEnd((await startEvalRun(db, { workflowId: 'sorter', version: '2', concurrency: 3, actor: 'builder@example.com' })).id, 3);
    expect(second).toMatchObject({ status: 'finished', passed: 3 });
    const comparison = await compareEvalRuns(db, first.id, second.id);
    const text = async (caseId: string) => ((await db.query<{ input: { text: string } }>(`SELECT input FROM dataset_cases WHERE id = $1`, [caseId])).rows[0]!.input.text);
    expect(await Promise.all(comparison.regressed.map((c) => text(c.case_id)))).toEqual(['change my address', 'exchange rate today', 'close my account']);
    expect(comparison.regressed[0]).toMatchObject({ a: { passed: true, failed_scorers: [] }, b: { passed: false, failed_scorers: ['label'] } });
    expect(comparison.improved).toEqual([]);
    expect(comparison.unchanged).toEqual({ passed: 3, failed: 2 });
  }, 40_000);

  it('starts, reads, pages and compares over HTTP; a viewer reads but cannot start one', async () => {
    const builder = await contractChecker(withToken(testHttpApp(db), (await createTestIdentity(db, ['builder'])).token));
    const started = await builder.call('POST', '/api/workflows/{id}/evals', '/api/workflows/sorter/evals', { version: '1', concurrency: 4 }, 201);
    expect(started.body).toMatchObject({ status: 'running', version_number: 1, total: 8, done: 0, concurrency: 4 });
    const id = started.body.id as unknown as string;
    await runToEnd(id, 4);
    const read = await builder.call('GET', '/api/workflows/{id}/evals/{evalId}', `/api/workflows/sorter/evals/${id}`, undefined, 200);
    expect(read.body).toMatchObject({ status: 'finished', passed: 6, summary: { passRate: 0.75 } });
    const failed = await builder.call('GET', '/api/workflows/{id}/evals/{evalId}/results', `/api/workflows/sorter/evals/${id}/results?only=failed`, undefined, 200);
    expect((failed.body.results as unknown as unknown[]).length).toBe(2);
    const compared = await builder.call('GET', '/api/workflows/{id}/evals/compare', `/api/workflows/sorter/evals/compare?a=${first.id}&b=${id}`, undefined, 200);
    expect(compared.body).toMatchObject({ regressed: [], improved: [], unchanged: { passed: 6, failed: 2 } });
    const list = await builder.call('GET', '/api/workflows/{id}/evals', '/api/workflows/sorter/evals', undefined, 200);
    expect((list.body.evals as unknown as unknown[]).length).toBe(3);

    const viewer = withToken(testHttpApp(db), (await createTestIdentity(db, ['viewer'])).token);
    const refused = await viewer.request('/api/workflows/sorter/evals', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    expect((await viewer.request(`/api/workflows/sorter/evals/${id}`)).status).toBe(200);
    const missing = await builder.call('GET', '/api/workflows/{id}/evals/{evalId}', '/api/workflows/sorter/evals/eval_nope', undefined, 404);
    expect(missing.body.detail).toMatch(/eval_nope/);
  }, 40_000);
});
