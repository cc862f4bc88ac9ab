// The example workflows that `npm start` loads must really run: each is deployed and driven end to end.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.js';
import { startRun, wakeRun } from '../src/engine/index.js';
import { decideReview, listReviews } from '../src/review/index.js';
import { testDatabases } from './support/databases.js';
import { deploy, testEngine, waitForRun } from './support/harness.js';
import { startTarget, type Target } from './support/target.js';

const example = (name: string) => readFileSync(`workflows/${name}.yaml`, 'utf8');

describe.each(testDatabases())('example workflows on $name', (database) => {
  let db: Db;
  let target: Target;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    await target.close();
  });

  it('support triage files a normal ticket and sends a billing ticket to review first', async () => {
    await deploy(db, example('support-triage').replace('http://127.0.0.1:4390', target.url));
    const normal = await startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: 'T-1', subject: 'Printer jam', body: 'The printer on floor 2 jams.', customer_email: 'a@example.com' } });
    await waitForRun(db, normal.run.id, ['succeeded']);
    expect(target.effects[0]!.body).toEqual({ ticket_id: 'T-1', priority: 'normal', topic: 'general' });

    const billing = await startRun(db, { workflowId: 'support-triage', stage: 'production', trigger: 'manual', input: { ticket_id: 'T-2', subject: 'Double charge', body: 'I want a refund', customer_email: 'b@example.com' } });
    await waitForRun(db, billing.run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: billing.run.id });
    expect(review!.proposed).toMatchObject({ triage: { topic: 'billing' } });
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'approve', actor: 'agent@example.com' }, wakeRun);
    await waitForRun(db, billing.run.id, ['succeeded']);
    expect(target.effects[1]!.body).toEqual({ ticket_id: 'T-2', priority: 'normal', topic: 'billing' });
  });

  it('onboarding kit drafts the welcome text and the manager can edit it', async () => {
    await deploy(db, example('onboarding-kit'));
    const { run } = await startRun(db, { workflowId: 'onboarding-kit', stage: 'production', trigger: 'manual', input: { name: 'Grace Hopper', role: 'Engineer', team: 'Platform', manager_email: 'lead@example.com', start_date: '2027-01-04' } });
    await waitForRun(db, run.id, ['waiting']);
    const [review] = await listReviews(db, { runId: run.id });
    const proposed = review!.proposed as { text: string; model: string };
    expect(proposed.model).toBe('template');
    expect(proposed.text).toContain('Welcome to the team, Grace!');
    expect(proposed.text).toContain('#platform-onboarding');
    await decideReview(db, { target: { reviewId: review!.id }, decision: 'edit', output: { text: 'Welcome, Grace.' }, actor: 'lead@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.output).toMatchObject({ decision: 'edited', output: { text: 'Welcome, Grace.' } });
  });

  it('registers the external workflow without steps or runs', async () => {
    const r = await deploy(db, example('invoice-matching'));
    expect(r.workflow.kind).toBe('external');
    await expect(startRun(db, { workflowId: 'invoice-matching', stage: 'production', trigger: 'manual', input: {} })).rejects.toThrow(/external/);
  });
});
