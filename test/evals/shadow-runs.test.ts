// Shadow runs: a candidate version run in sandbox on copies of production's live runs, compared with
// the live version's output and with the people who decided the live runs' reviews. Copies are
// exact and only of runs from after the start, the candidate's actions never reach the target,
// nobody is asked to review a shadow run, a pair waits for its live run's review, the figures are
// exact, replay copies the last N ended runs, stop stops copying, and the routes keep their contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { listRuns, startRun, wakeRun, type Engine, type RunRow } from '../../src/engine/index.js';
import { isKeelError } from '../../src/errors.js';
import {
  advanceShadows, getShadow, shadowReport, startShadow, stopShadow, type ShadowReport, type ShadowRunRow,
} from '../../src/evals/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep, type TargetConnector } from '../support/target-connector.js';

/** Labels a request; the boundary sends every "card" label to a person, the rest go out by themselves. */
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
${targetStep('file', connector, '/tickets', '{ "label": steps.label.label }')}approval:
  output: label
  rules:
    - { when: 'output.label == "card"', then: review, reason: policy }
${targetAccess(connector)}`;
}

const live = `{ "label": $contains(input.text, "card") ? "card" : "other" }`;
// The candidate also calls fees card questions.
const candidate = `{ "label": ($contains(input.text, "card") or $contains(input.text, "fee")) ? "card" : "other" }`;

describe.each(testDatabases())('shadow runs on $name', (database) => {
  let db: Db;
  let engine: Engine;
  let target: Target;
  let mirror: ShadowRunRow;
  let before: RunRow;
  const runs: Record<string, string> = {};

  const advance = () => advanceShadows({ db });
  /** Passes the runner until `done` holds (the workers run the shadow runs meanwhile). */
  async function advanceUntil(done: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      await advance();
      if (await done()) return;
      if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const pairCount = async (id: string, status?: string) => (await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM shadow_pairs WHERE shadow_id = $1 AND ($2::text IS NULL OR status = $2)`, [id, status ?? null],
  )).rows[0]!.n;
  const liveRun = async (text: string) => (await startRun(db, { workflowId: 'sorter', stage: 'production', trigger: 'manual', input: { text } })).run.id;
  const reviewOf = async (runId: string) => (await listReviews(db, { runId }))[0]!;

  beforeAll(async () => {
    db = await database.open();
    target = await startTarget();
    const connector = await saveTargetConnector(db, target.url);
    await deployGranted(db, sorter(connector, live), 'production');
    await deployGranted(db, sorter(connector, candidate), 'testing');
    await deploy(db, 'id: invoices\ntitle: Invoice matching in n8n\nkind: external\nowner: finance@example.com\nrisk: low\n');
    engine = testEngine(db);
    await engine.startWorkers();
    before = await waitForRun(db, await liveRun('before the shadow started'), ['succeeded']);
    mirror = await startShadow(db, { workflowId: 'sorter', version: '2', maxRuns: 10, actor: 'builder@example.com' });
    runs.approved = await liveRun('my card has not arrived');
    runs.edited = await liveRun('card declined at the shop');
    runs.rejected = await liveRun('card fees on my account');
    runs.same = await liveRun('change my address');
    runs.fee = await liveRun('exchange fee today');
    await advanceUntil(async () => (await pairCount(mirror.id)) === 5, 'five copies');
    for (const key of ['approved', 'edited', 'rejected']) await waitForRun(db, runs[key]!, ['waiting']);
  }, 60_000);
  afterAll(async () => {
    await engine.stop();
    await target.close();
    await db.close();
  });

  it('copies each new live run exactly, as a shadow run of the candidate, and nothing from before the start', async () => {
    const pairs = await db.query<{ live_run_id: string; trial_run_id: string; position: number }>(
      `SELECT live_run_id, trial_run_id, position FROM shadow_pairs WHERE shadow_id = $1 ORDER BY position`, [mirror.id],
    );
    expect(pairs.rows.map((p) => p.live_run_id)).toEqual([runs.approved, runs.edited, runs.rejected, runs.same, runs.fee]);
    expect(pairs.rows.map((p) => p.live_run_id)).not.toContain(before.id);
    const trial = await db.query<{ purpose: string; stage: string; input: unknown; dedupe_key: string; version_id: string }>(
      `SELECT purpose, stage, input, dedupe_key, version_id FROM runs WHERE id = $1`, [pairs.rows[1]!.trial_run_id],
    );
    expect(trial.rows[0]).toMatchObject({
      purpose: 'shadow', stage: 'sandbox', input: { text: 'card declined at the shop' },
      dedupe_key: `shadow:${mirror.id}:${runs.edited}`, version_id: mirror.candidate_version_id,
    });
    expect(await listRuns(db, { workflowId: 'sorter', purpose: 'shadow' })).toHaveLength(5);
  });

  it('keeps a pair open while its live run waits for a person, though the shadow run ended', async () => {
    await advanceUntil(async () => (await pairCount(mirror.id, 'compared')) === 2, 'the two runs nobody reviews');
    const open = await db.query<{ live_run_id: string; shadow_status: string }>(
      `SELECT p.live_run_id, t.status AS shadow_status FROM shadow_pairs p JOIN runs t ON t.id = p.trial_run_id
        WHERE p.shadow_id = $1 AND p.status = 'running' ORDER BY p.position`, [mirror.id],
    );
    expect(open.rows.map((r) => r.live_run_id)).toEqual([runs.approved, runs.edited, runs.rejected]);
    expect(open.rows.every((r) => r.shadow_status === 'succeeded')).toBe(true);
  });

  it('asks nobody about a shadow run and never sends its action: the target saw the live runs only', async () => {
    // The three live "card" runs wait for people (in whatever order their workers reached the boundary); no shadow run does.
    const reviews = await db.query<{ run_id: string }>(`SELECT run_id FROM reviews`);
    expect(reviews.rows.map((r) => r.run_id).sort()).toEqual([runs.approved, runs.edited, runs.rejected].sort());
    const trial = await db.query<{ state: Record<string, unknown> }>(
      `SELECT t.state FROM shadow_pairs p JOIN runs t ON t.id = p.trial_run_id WHERE p.shadow_id = $1 AND p.live_run_id = $2`, [mirror.id, runs.fee],
    );
    // The candidate's boundary would have asked a person ("card"), was not asked, and its action was recorded.
    expect(trial.rows[0]!.state.approval).toMatchObject({ decision: 'review', asked: false, purpose: 'shadow' });
    expect(JSON.stringify(trial.rows[0]!.state.file)).toContain('would_have_sent');
    // The live "other" runs act by themselves; each may still be on its way to the target.
    for (let i = 0; target.effects.length < 3 && i < 200; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(target.effects.map((e) => e.body)).toEqual([{ label: 'other' }, { label: 'other' }, { label: 'other' }]);
  });

  it('compares with the live version and with people: 4 of 5 agree with live, 1 of 2 decided agree with people, 1 rejected apart', async () => {
    await decideReview(db, { target: { reviewId: (await reviewOf(runs.approved!)).id }, decision: 'approve', actor: 'reviewer@example.com' }, wakeRun);
    await decideReview(db, {
      target: { reviewId: (await reviewOf(runs.edited!)).id }, decision: 'edit', output: { label: 'fraud' }, actor: 'reviewer@example.com',
    }, wakeRun);
    await decideReview(db, {
      target: { reviewId: (await reviewOf(runs.rejected!)).id }, decision: 'reject', comment: 'a fee question, not a card one', actor: 'reviewer@example.com',
    }, wakeRun);
    await advanceUntil(async () => (await pairCount(mirror.id, 'compared')) === 5, 'all five pairs');
    const report = await shadowReport(db, mirror.id);
    expect(report.pairs).toEqual({ total: 5, pending: 0, running: 0, compared: 5 });
    expect(report.figures).toMatchObject({
      compared: 5, agreementLive: 0.8, agreedLive: 4, people: { decided: 2, agreed: 1, agreement: 0.5, rejected: 1 },
      liveFailed: 0, shadowFailed: 0,
    });
    expect(report.figures.latencyMs.live.p50).toBeGreaterThan(0);
    expect(report.figures.latencyMs.shadow.p95).toBeGreaterThan(0);
    expect(report.figures.costUsd).toEqual({ live: { total: 0, p50: 0, p95: 0 }, shadow: { total: 0, p50: 0, p95: 0 } });
    // The edit (people said fraud, the candidate card) and the fee (live other, candidate card), in copy order.
    expect(report.disagreementCount).toBe(2);
    expect(report.disagreements.map((d) => [d.live_run_id, d.live_output, d.shadow_output, d.people_output, d.agreement_live, d.agreement_people])).toEqual([
      [runs.edited, { label: 'card' }, { label: 'card' }, { label: 'fraud' }, true, false],
      [runs.fee, { label: 'other' }, { label: 'card' }, null, false, null],
    ]);
    expect(report.disagreements[0]!.trial_run_id).toMatch(/\S/);
    expect((await shadowReport(db, mirror.id, { only: 'people' })).disagreements.map((d) => d.live_run_id)).toEqual([runs.edited]);
    const rejected = await db.query(`SELECT people_decision, agreement_people FROM shadow_pairs WHERE shadow_id = $1 AND live_run_id = $2`, [mirror.id, runs.rejected]);
    expect(rejected.rows[0]).toEqual({ people_decision: 'rejected', agreement_people: null });
    // The live actions went out after the decisions (the rejected one never); still none of the candidate's.
    expect(target.effects.map((e) => e.body)).toEqual(expect.arrayContaining([{ label: 'card' }, { label: 'fraud' }]));
    expect(target.effects).toHaveLength(5);
    expect((await getShadow(db, mirror.id)).status).toBe('running');
  }, 40_000);

  it('stops copying once stopped, and keeps its figures', async () => {
    const stopped = await stopShadow(db, mirror.id, 'builder@example.com');
    expect(stopped.status).toBe('stopped');
    runs.after = await liveRun('close my account');
    await waitForRun(db, runs.after, ['succeeded']);
    await advance();
    await advance();
    expect(await pairCount(mirror.id)).toBe(5);
    const shadow = await getShadow(db, mirror.id);
    expect(shadow).toMatchObject({ status: 'stopped', summary: { compared: 5, agreedLive: 4 } });
    await expect(stopShadow(db, mirror.id, 'builder@example.com')).rejects.toMatchObject({ code: 'conflict' });
    const audit = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'shadow:%' ORDER BY id`);
    expect(audit.rows.map((r) => r.action)).toEqual(['shadow:started', 'shadow:stopped', 'shadow:finished']);
  });

  it('replays the last N live runs that ended, and finishes when every pair is compared', async () => {
    const replay = await startShadow(db, { workflowId: 'sorter', version: 'v2', mode: 'replay', maxRuns: 3, actor: 'builder@example.com' });
    const chosen = await db.query<{ live_run_id: string }>(`SELECT live_run_id FROM shadow_pairs WHERE shadow_id = $1 ORDER BY position`, [replay.id]);
    expect(chosen.rows.map((r) => r.live_run_id)).toEqual([runs.same, runs.fee, runs.after]);
    await advanceUntil(async () => (await getShadow(db, replay.id)).status === 'finished', 'the replay to finish');
    const report: ShadowReport = await shadowReport(db, replay.id);
    expect(report.figures).toMatchObject({ compared: 3, agreedLive: 2, people: { decided: 0, agreement: null } });
    expect(report.figures.agreementLive).toBeCloseTo(2 / 3);
    expect(report.disagreements.map((d) => d.live_run_id)).toEqual([runs.fee]);
  }, 40_000);

  it('refuses the live version itself, an external workflow and a stage with nothing deployed', async () => {
    const refusal = async (input: Parameters<typeof startShadow>[1]) => {
      try {
        await startShadow(db, input);
      } catch (error) {
        if (isKeelError(error)) return { code: error.code, message: error.message };
        throw error;
      }
      throw new Error('started');
    };
    expect(await refusal({ workflowId: 'sorter', version: '1', actor: 'b@example.com' })).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/live at production/) });
    expect(await refusal({ workflowId: 'invoices', version: '1', actor: 'b@example.com' })).toMatchObject({ code: 'conflict', message: expect.stringMatching(/external/) });
    expect(await refusal({ workflowId: 'sorter', version: '2', stage: 'sandbox', actor: 'b@example.com' })).toMatchObject({ code: 'not_deployed' });
    expect(await refusal({ workflowId: 'sorter', version: '2', compare: 'steps.(', actor: 'b@example.com' })).toMatchObject({ code: 'invalid_input' });
  });

  it('starts, lists, reports and stops over HTTP; a viewer reads but cannot start one', async () => {
    const builder = await contractChecker(withToken(testHttpApp(db), (await createTestIdentity(db, ['builder'])).token));
    const started = await builder.call('POST', '/api/workflows/{id}/shadows', '/api/workflows/sorter/shadows', { version: '2', compare: 'steps.label.label', max_runs: 1 }, 201);
    expect(started.body).toMatchObject({ status: 'running', mode: 'mirror', candidate_version_number: 2, compare: { path: 'steps.label.label', step: 'label' } });
    const id = started.body.id as unknown as string;
    await liveRun('my card is blocked');
    await advanceUntil(async () => (await getShadow(db, id)).status !== 'running' || (await pairCount(id, 'running')) > 0, 'the copy');
    const report = await builder.call('GET', '/api/workflows/{id}/shadows/{shadowId}', `/api/workflows/sorter/shadows/${id}`, undefined, 200);
    expect(report.body).toMatchObject({ pairs: { total: 1 }, shadow: { id } });
    const list = await builder.call('GET', '/api/workflows/{id}/shadows', '/api/workflows/sorter/shadows', undefined, 200);
    expect((list.body.shadows as unknown as unknown[]).length).toBe(3);
    const stopped = await builder.call('POST', '/api/workflows/{id}/shadows/{shadowId}/stop', `/api/workflows/sorter/shadows/${id}/stop`, {}, 200);
    expect(stopped.body).toMatchObject({ status: 'stopped' });
    const again = await builder.call('POST', '/api/workflows/{id}/shadows', '/api/workflows/sorter/shadows', { version: '1' }, 422);
    expect(again.body.detail).toMatch(/live at production/);

    const viewer = withToken(testHttpApp(db), (await createTestIdentity(db, ['viewer'])).token);
    const refused = await viewer.request('/api/workflows/sorter/shadows', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"version":"2"}' });
    expect(refused.status).toBe(403);
    expect((await viewer.request(`/api/workflows/sorter/shadows/${id}`)).status).toBe(200);
    const missing = await builder.call('GET', '/api/workflows/{id}/shadows/{shadowId}', '/api/workflows/sorter/shadows/shadow_nope', undefined, 404);
    expect(missing.body.detail).toMatch(/shadow_nope/);
  }, 40_000);
});
