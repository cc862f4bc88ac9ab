// A workflow's flow over real runs: both branches of a route taken by different runs, a review
// approved, edited and rejected, a run failing at its first step and one still waiting. Each edge's
// count is the number of runs that made that move; a move the file does not declare (a failure)
// is shown as undeclared. The window and the version are chosen by the query, checked as inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { startTarget } from '../support/target.js';
import { saveTargetConnector, targetAccess, targetStep } from '../support/target-connector.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, refundRun, refunds, simple } from './fixture.js';

interface FlowBody {
  workflow_id: string; version_number: number | null; stage: string | null; since: string; until: string;
  nodes: Array<{ id: string; kind: string; label: string; runs: number }>;
  edges: Array<{ from: string; to: string; declared: boolean; count: number }>;
}

describe.each(testDatabases())('the flow of a workflow on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  let started: Date;

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db);
    api = await contractChecker(withToken(app, (await createTestIdentity(db, ['viewer'])).token));
    await deploy(db, simple('other'));
    await deploy(db, refunds());
    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      started = new Date(Date.now() - 1_000);
      for (const outcome of ['small', 'small', 'approved', 'edited', 'rejected', 'failed', 'open'] as const) await refundRun(db, outcome);
    } finally {
      await engine.stop();
    }
  }, 60_000);
  afterAll(async () => {
    await app.closeStreams();
    await db.close();
  });

  const flow = async (query = '') => (await api.call('GET', '/api/workflows/{id}/flow', `/api/workflows/refunds/flow${query}`, undefined, 200)).body as unknown as FlowBody;
  const edges = (body: FlowBody) => body.edges.map((e) => [`${e.from} -> ${e.to}`, e.count, e.declared]);
  const nodes = (body: FlowBody) => Object.fromEntries(body.nodes.map((n) => [n.id, n.runs]));

  it('counts the runs that made each move of the production version over the last 24 hours', async () => {
    const body = await flow();
    expect(body).toMatchObject({ workflow_id: 'refunds', version_number: 1, stage: null });
    expect(new Date(body.until).getTime() - new Date(body.since).getTime()).toBe(24 * 3_600_000);
    expect(edges(body)).toEqual([
      ['trigger -> size', 7, true],
      ['size -> pick', 6, true],
      ['pick -> check', 4, true],
      ['pick -> done', 2, true],
      ['check -> done', 2, true],
      ['check -> end:rejected', 1, true],
      ['done -> end:succeeded', 4, true],
      // Failing is no move the file declares; the run failed at its first step.
      ['size -> end:failed', 1, false],
    ]);
    expect(nodes(body)).toEqual({
      trigger: 7, size: 7, pick: 6, check: 4, done: 4, 'end:succeeded': 4, 'end:failed': 1, 'end:rejected': 1,
    });
    expect(body.nodes.map((n) => [n.id, n.kind, n.label])).toEqual([
      ['trigger', 'trigger', 'Trigger'], ['size', 'transform', 'size'], ['pick', 'route', 'pick'], ['check', 'review', 'Check the big one'],
      ['done', 'transform', 'done'], ['end:succeeded', 'end', 'succeeded'], ['end:failed', 'end', 'failed'], ['end:rejected', 'end', 'rejected'],
    ]);
  });

  it('counts nothing outside the window, and shows another version\'s steps with its own runs only', async () => {
    const before = await flow(`?until=${encodeURIComponent(started.toISOString())}`);
    expect(before.edges.every((e) => e.count === 0)).toBe(true);
    expect(before.edges.filter((e) => !e.declared)).toEqual([]);

    await deploy(db, refunds('Refunds, second version'));
    const second = await flow('?version=2');
    expect(second.version_number).toBe(2);
    expect(second.edges.every((e) => e.count === 0)).toBe(true);
    expect((await flow('?version=1')).edges.find((e) => e.from === 'pick' && e.to === 'check')?.count).toBe(4);
    expect((await flow('?stage=sandbox')).edges.every((e) => e.count === 0)).toBe(true);
  });

  it('shows the approval gate the engine puts before the first action where the runs went through it', async () => {
    const target = await startTarget();
    const engine = testEngine(db);
    try {
      const connector = await saveTargetConnector(db, target.url);
      await deployGranted(db, simple('sender', `${targetStep('send', connector, '/notes', '{ "n": 1 }')}${targetAccess(connector)}`));
      await engine.startWorkers();
      const { run } = await startRun(db, { workflowId: 'sender', stage: 'production', trigger: 'manual', input: {} });
      expect((await waitForRun(db, run.id, ['succeeded', 'failed'])).status).toBe('succeeded');
    } finally {
      await engine.stop();
      await target.close();
    }
    const body = (await api.call('GET', '/api/workflows/{id}/flow', '/api/workflows/sender/flow', undefined, 200)).body as unknown as FlowBody;
    expect(edges(body)).toEqual([
      ['trigger -> note', 1, true], ['note -> approval', 1, true], ['approval -> send', 1, true], ['send -> end:succeeded', 1, true],
      ['approval -> end:rejected', 0, true],
    ]);
    expect(body.nodes.find((n) => n.id === 'approval')).toEqual({ id: 'approval', kind: 'approval', label: 'Approval boundary', runs: 1 });
  });

  it('refuses a window that is not made of ISO timestamps, naming the field', async () => {
    const bad = await api.call('GET', '/api/workflows/{id}/flow', '/api/workflows/refunds/flow?since=yesterday', undefined, 422);
    expect(bad.body.problems).toEqual([expect.objectContaining({ path: 'query.since' })]);
    const empty = await api.call('GET', '/api/workflows/{id}/flow', '/api/workflows/refunds/flow?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z', undefined, 422);
    expect(empty.body.problems).toEqual([expect.objectContaining({ path: 'query.since' })]);
    expect((await api.call('GET', '/api/workflows/{id}/flow', '/api/workflows/refunds/flow?version=9', undefined, 404)).status).toBe(404);
  });

  it('is private to those who may read the workflow\'s runs', async () => {
    const otherOwner = await memberOf(db, { other: ['owner'] });
    expect((await withToken(app, otherOwner).request('/api/workflows/refunds/flow')).status).toBe(404);
    expect((await withToken(app, otherOwner).request('/api/workflows/other/flow')).status).toBe(200);
  });
});
