// The overview over real runs and review tasks: each figure of a workflow worked out from the runs
// the fixture made, the health of workflows in different states, and a person who may see one
// workflow getting only that one. Every answer is checked against the route's contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun } from '../../src/engine/index.js';
import { setPaused } from '../../src/registry/index.js';
import { requestExternalReview } from '../../src/review/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { memberOf, refundRun, refunds, simple } from './fixture.js';

interface OverviewBody {
  generated_at: string; window_since: string;
  workflows: Array<Record<string, unknown> & { id: string }>;
}

describe.each(testDatabases())('the overview on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof testHttpApp>;
  let admin: string;
  let openTaskCreated: Date;
  let lastRefundRun: Date;

  beforeAll(async () => {
    db = await database.open();
    app = testHttpApp(db);
    admin = (await createTestIdentity(db, ['admin'])).token;
    await deploy(db, refunds());
    await deploy(db, simple('notes'));
    await deploy(db, simple('quiet'));
    await deploy(db, simple('halted'));
    await setPaused(db, 'halted', 'production', true, 'test');
    await deploy(db, 'id: invoices\ntitle: Invoice matching in n8n\nkind: external\nowner: finance@example.com\nrisk: high\n');
    await requestExternalReview(db, { workflowId: 'invoices', actor: 'n8n@example.com', title: 'Match INV-1?', payload: {}, proposed: { po: 7 } }, { callbackSecretConfigured: false });

    const engine = testEngine(db);
    await engine.startWorkers();
    try {
      // One run straight through, three that needed a review (approved, edited, rejected), one that
      // failed, and one whose task is still open.
      for (const outcome of ['small', 'approved', 'edited', 'rejected', 'failed'] as const) await refundRun(db, outcome);
      const open = await refundRun(db, 'open');
      openTaskCreated = open.review!.created_at;
      lastRefundRun = open.run.created_at;
      const { run } = await startRun(db, { workflowId: 'notes', stage: 'production', trigger: 'manual', input: {} });
      await waitForRun(db, run.id, ['succeeded']);
    } finally {
      await engine.stop();
    }
  }, 60_000);
  afterAll(async () => {
    await app.closeStreams();
    await db.close();
  });

  const overview = async (token: string) => {
    const api = await contractChecker(withToken(app, token));
    return (await api.call('GET', '/api/overview', '/api/overview', undefined, 200)).body as unknown as OverviewBody;
  };

  it('counts each workflow\'s runs today, failures, coverage, override and open queue', async () => {
    const body = await overview(admin);
    expect(body.workflows.map((w) => w.id)).toEqual(['halted', 'invoices', 'notes', 'quiet', 'refunds']);
    expect(new Date(body.generated_at).getTime() - new Date(body.window_since).getTime()).toBe(7 * 24 * 3_600_000);
    const refundsRow = body.workflows.find((w) => w.id === 'refunds')!;
    expect(refundsRow).toEqual({
      id: 'refunds', title: 'Refunds', kind: 'managed', owner: 'ops@example.com', team: 'payments', risk: 'medium',
      stages: [{ stage: 'production', version_number: 1, paused: false, deployed_at: expect.any(String) }],
      health: 'ok',
      runs_today: 6,
      failed_today: 1,
      // Five runs ended (three succeeded, one rejected, one failed); only the small one needed nobody.
      coverage_pct: 20,
      // Three decisions by people, of which the edit and the reject overrode what was proposed.
      override_pct: (100 * 2) / 3,
      queue_open: 1,
      queue_oldest_at: openTaskCreated.toISOString(),
      last_run_at: lastRefundRun.toISOString(),
    });
    expect(body.workflows.find((w) => w.id === 'notes')).toMatchObject({
      health: 'ok', runs_today: 1, failed_today: 0, coverage_pct: 100, override_pct: null, queue_open: 0, queue_oldest_at: null,
    });
  });

  it('tells paused, idle and external workflows apart', async () => {
    const byId = new Map((await overview(admin)).workflows.map((w) => [w.id, w]));
    expect(byId.get('halted')).toMatchObject({ health: 'paused', stages: [expect.objectContaining({ stage: 'production', paused: true })], last_run_at: null });
    expect(byId.get('quiet')).toMatchObject({ health: 'idle', runs_today: 0, coverage_pct: null, last_run_at: null });
    // An external workflow runs elsewhere: the task it asked for is its sign of life, and its queue.
    expect(byId.get('invoices')).toMatchObject({ kind: 'external', health: 'ok', runs_today: 0, queue_open: 1, queue_oldest_at: expect.any(String) });
  });

  it('shows a person only the workflows they may see', async () => {
    const notesOwner = await memberOf(db, { notes: ['owner'] });
    const body = await overview(notesOwner);
    expect(body.workflows.map((w) => w.id)).toEqual(['notes']);
    const stranger = await createTestIdentity(db, []);
    const refused = await withToken(app, stranger.token).request('/api/overview');
    expect(refused.status).toBe(403);
  });
});
