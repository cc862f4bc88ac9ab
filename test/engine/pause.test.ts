// Pausing a stage, with real runs on a real engine: `on_pause.triggers: refuse` answers webhooks and
// manual starts over HTTP with 503, Retry-After and the reason, and starts nothing; `queue` accepts
// them (contract first) and holds their runs until the resume, while schedules skip the paused
// stage; `in_flight: wait` holds a run mid-way (its worker fenced) and after the resume it finishes
// without repeating its finished step; a review decided during that hold does not start the run;
// with `finish` runs in flight go on. Every pause and resume is audited with actor and reason.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { getRun, listAttempts, startRun, wakeRun } from '../../src/engine/index.js';
import { setPaused } from '../../src/registry/index.js';
import { decideReview, listReviews } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep, type TargetConnector } from '../support/target-connector.js';

const workflow = (id: string, onPause: string, steps: string, extra = '') => `
id: ${id}
title: ${id}
owner: ops@example.com
risk: low
triggers: [ { manual: {} }, { webhook: {} }, { schedule: { cron: "* * * * *", input: { n: 1 } } } ]
input: { type: object, required: [n], properties: { n: { type: number } } }
${onPause}
steps:
${steps}${extra}`;

const note = `  - id: note
    kind: transform
    expression: '{ "n": input.n }'
`;

const review = `  - id: check
    kind: review
    title: Check it
${note}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('pausing a stage on $name', (database) => {
  let db: Db;
  let target: Target;
  let connector: TargetConnector;
  let engine: ReturnType<typeof testEngine>;
  let app: ReturnType<typeof testHttpApp>;
  let admin: ReturnType<typeof withToken>;
  let adminEmail: string;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    connector = await saveTargetConnector(db, target.url);
    engine = testEngine(db);
    await engine.startWorkers();
    app = testHttpApp(db);
    const identity = await createTestIdentity(db);
    admin = withToken(app, identity.token);
    adminEmail = identity.email;
  });
  afterEach(async () => {
    await engine.stop();
    expect(engine.worker.active).toBe(0);
    expect(engine.errors).toEqual([]);
    await db.close();
    await target.close();
  });

  const runCount = async () => Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM runs`)).rows[0]!.n);
  const audits = async (prefix: string) =>
    (await db.query<{ actor: string; action: string; data: Record<string, unknown> }>(
      `SELECT actor, action, data FROM audit_events WHERE action LIKE $1 ORDER BY id`, [`${prefix}%`])).rows;
  const post = (path: string, body: unknown) =>
    admin.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses webhooks and manual starts with 503, Retry-After and the reason, and starts nothing', async () => {
    await deploy(db, workflow('intake', '', note));
    const api = await contractChecker(admin);
    const paused = await api.call('POST', '/api/workflows/{id}/deployments/{stage}/pause', '/api/workflows/intake/deployments/production/pause', { reason: 'override rate above 20%' }, 200);
    expect(paused.body).toMatchObject({ paused: true, paused_by: adminEmail, pause_reason: 'override rate above 20%', paused_at: expect.any(String) });

    for (const path of ['/hooks/intake', '/api/workflows/intake/runs']) {
      const res = await post(path, path.startsWith('/hooks') ? { n: 1 } : { input: { n: 1 } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe('stage_paused');
      expect(problem.detail).toContain('override rate above 20%');
    }
    await api.call('POST', '/api/workflows/{id}/runs', '/api/workflows/intake/runs', { input: { n: 1 } }, 503);
    expect(await runCount()).toBe(0);

    const resumed = await api.call('POST', '/api/workflows/{id}/deployments/{stage}/resume', '/api/workflows/intake/deployments/production/resume', undefined, 200);
    expect(resumed.body).toMatchObject({ paused: false, paused_by: null, pause_reason: null, paused_at: null });
    const started = await post('/api/workflows/intake/runs', { input: { n: 2 } });
    expect(started.status).toBe(202);
    expect((await waitForRun(db, ((await started.json()) as { run_id: string }).run_id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(await audits('deployment:')).toEqual([
      { actor: 'test', action: 'deployment:moved', data: expect.anything() },
      { actor: adminEmail, action: 'deployment:paused', data: expect.objectContaining({ stage: 'production', reason: 'override rate above 20%', held_runs: 0 }) },
      { actor: adminEmail, action: 'deployment:resumed', data: expect.objectContaining({ stage: 'production', reason: null, released_runs: 0 }) },
    ]);
  });

  it('queues triggers in queue mode (contract first), skips schedules, and runs the queued after the resume', async () => {
    await deploy(db, workflow('queued', 'on_pause: { triggers: queue }', note));
    await setPaused(db, 'queued', 'production', true, 'monitor:override-rate', { reason: 'override 42% > 20%' });

    const bad = await post('/api/workflows/queued/runs', { input: { n: 'one' } });
    expect(bad.status).toBe(422);
    expect(await runCount()).toBe(0);
    const ids: string[] = [];
    for (const [path, body] of [['/api/workflows/queued/runs', { input: { n: 1 } }], ['/hooks/queued', { n: 2 }]] as const) {
      const res = await post(path, body);
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { run_id: string }).run_id);
    }
    expect(await engine.scheduler.tick(new Date(Date.now() + 120_000))).toBe(0);
    await sleep(600);
    for (const id of ids) {
      expect(await getRun(db, id)).toMatchObject({ status: 'queued', wait_reason: 'paused', held_by: 'stage', started_at: null });
      expect(await listAttempts(db, id)).toEqual([]);
    }
    const listed = (await (await admin.request('/api/runs?reason=paused')).json()) as { runs: { id: string; held_by: string }[] };
    expect(listed.runs.map((r) => r.held_by)).toEqual(['stage', 'stage']);

    await setPaused(db, 'queued', 'production', false, 'owner@example.com');
    for (const id of ids) expect((await waitForRun(db, id, ['succeeded', 'failed'])).status).toBe('succeeded');
    expect(await runCount()).toBe(2);
    expect(await audits('deployment:pause')).toEqual([
      { actor: 'monitor:override-rate', action: 'deployment:paused', data: expect.objectContaining({ reason: 'override 42% > 20%', on_pause: { triggers: 'queue', in_flight: 'finish' } }) },
    ]);
    expect((await audits('deployment:resume'))[0]).toMatchObject({ actor: 'owner@example.com', data: { released_runs: 2 } });
  });

  it('holds a run mid-way with in_flight: wait; after the resume it finishes without repeating its finished first step', async () => {
    const steps = targetStep('first', connector, '/first', '{ "n": input.n }') + targetStep('second', connector, '/second', '{ "n": input.n }');
    await deployGranted(db, workflow('halting', 'on_pause: { in_flight: wait }', steps, targetAccess(connector)));
    const held = target.hold('/second');
    const { run } = await startRun(db, { workflowId: 'halting', stage: 'production', trigger: 'manual', input: { n: 7 } });
    await held.arrived;

    await setPaused(db, 'halting', 'production', true, 'alice@example.com', { reason: 'drift on input.amount' });
    expect(await getRun(db, run.id)).toMatchObject({ status: 'queued', wait_reason: 'paused', held_by: 'stage', lease_token: null, current_step: 'second' });
    expect((await audits('deployment:paused'))[0]).toMatchObject({ actor: 'alice@example.com', data: { reason: 'drift on input.amount', held_runs: 1 } });
    // Past a heartbeat the old worker has lost its lease: it gives up the call and writes nothing.
    await sleep(1_200);
    held.release();
    await sleep(300);
    expect(await getRun(db, run.id)).toMatchObject({ status: 'queued', held_by: 'stage' });
    expect((await listAttempts(db, run.id)).map((a) => [a.step_id, a.status])).toEqual([['approval', 'succeeded'], ['first', 'succeeded'], ['second', 'running']]);

    await setPaused(db, 'halting', 'production', false, 'alice@example.com', { reason: 'drift explained' });
    const done = await waitForRun(db, run.id, ['succeeded', 'failed', 'outcome_unknown']);
    expect(done.status).toBe('succeeded');
    expect((await listAttempts(db, run.id)).map((a) => [a.step_id, a.status])).toEqual([
      ['approval', 'succeeded'], ['first', 'succeeded'], ['second', 'interrupted'], ['second', 'succeeded'],
    ]);
    expect(target.effects.map((e) => [e.path, e.key])).toEqual([['/first', `${run.id}:first`], ['/second', `${run.id}:second`]]);
    expect(done.claims).toBe(1);
    expect((await audits('deployment:resumed'))[0]).toMatchObject({ data: { reason: 'drift explained', released_runs: 1 } });
  });

  it('does not start a run whose review is decided while in_flight: wait holds the stage, until the resume', async () => {
    await deploy(db, workflow('checked', 'on_pause: { in_flight: wait }', review));
    const { run } = await startRun(db, { workflowId: 'checked', stage: 'production', trigger: 'manual', input: { n: 3 } });
    await waitForRun(db, run.id, ['waiting']);
    await setPaused(db, 'checked', 'production', true, 'alice@example.com');
    expect((await getRun(db, run.id)).status).toBe('waiting');

    const [task] = await listReviews(db, { runId: run.id });
    await decideReview(db, { target: { reviewId: task!.id }, decision: 'approve', actor: 'bob@example.com' }, wakeRun);
    await engine.sweep();
    await sleep(500);
    expect(await getRun(db, run.id)).toMatchObject({ status: 'queued', wait_reason: 'paused', held_by: 'stage' });
    expect((await listAttempts(db, run.id)).map((a) => a.step_id)).toEqual(['check']);

    await setPaused(db, 'checked', 'production', false, 'alice@example.com');
    const done = await waitForRun(db, run.id, ['succeeded', 'failed']);
    expect(done.state).toMatchObject({ check: { decision: 'approved' }, note: { n: 3 } });
  });

  it('lets runs in flight finish with in_flight: finish, the default', async () => {
    await deploy(db, workflow('finishing', '', review));
    const { run } = await startRun(db, { workflowId: 'finishing', stage: 'production', trigger: 'manual', input: { n: 4 } });
    await waitForRun(db, run.id, ['waiting']);
    await setPaused(db, 'finishing', 'production', true, 'alice@example.com');
    const [task] = await listReviews(db, { runId: run.id });
    await decideReview(db, { target: { reviewId: task!.id }, decision: 'approve', actor: 'bob@example.com' }, wakeRun);
    expect((await waitForRun(db, run.id, ['succeeded', 'failed'])).status).toBe('succeeded');
  });

  it('answers 404 for an unknown workflow, 403 to a viewer and 404 to someone who may not see the workflow', async () => {
    await deploy(db, workflow('guarded', '', note));
    expect((await post('/api/workflows/nope/deployments/production/pause', { reason: 'x' })).status).toBe(404);
    const viewer = withToken(app, (await createTestIdentity(db, ['viewer'])).token);
    const stranger = withToken(app, (await createTestIdentity(db, [])).token);
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'x' }) };
    expect((await viewer.request('/api/workflows/guarded/deployments/production/pause', init)).status).toBe(403);
    expect((await stranger.request('/api/workflows/guarded/deployments/production/pause', init)).status).toBe(404);
    expect((await getRun(db, (await startRun(db, { workflowId: 'guarded', stage: 'production', trigger: 'manual', input: { n: 1 } })).run.id)).held_by).toBeNull();
    expect(await audits('deployment:pause')).toEqual([]);
  });
});
