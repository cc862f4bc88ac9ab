// Review-date reminders on a fake clock: nothing before the runbook's next_review, one incident
// (audited workflow:review_due) on the day it comes, none again for the same date on later passes or
// after it is acknowledged, and one more when a new version moves the date and that date comes.
// External workflows and workflows without a date are left alone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { createReviewReminders, reviewReminderKey, type ReviewReminders } from '../../src/handoff/index.js';
import { acknowledgeIncident, listIncidents } from '../../src/observe/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, oneStepWorkflow } from '../support/harness.js';

const reviewed = (id: string, date: string, title = id) => oneStepWorkflow(id, { title, extra: `runbook:\n  next_review: "${date}"\n` });
const external = `id: outside
title: Outside
kind: external
owner: ops@example.com
risk: low
runbook: { next_review: "2027-01-01" }
`;

describe.each(testDatabases())('review-date reminders on $name', (database) => {
  let db: Db;
  let now: Date;
  let errors: unknown[];
  let reminders: ReviewReminders;
  beforeEach(async () => {
    db = await database.open();
    errors = [];
    now = new Date('2026-12-31T23:59:59Z');
    reminders = createReviewReminders({ db, clock: () => now, onError: (message, error) => errors.push({ message, error }) });
  });
  afterEach(async () => {
    await reminders.stop();
    expect(errors).toEqual([]);
    await db.close();
  });

  it('raise one incident when the date comes, and not before or again', async () => {
    await deploy(db, reviewed('kit', '2027-01-01'), 'sandbox');
    await deploy(db, oneStepWorkflow('undated'));
    await deploy(db, external);

    expect(await reminders.pass()).toEqual({ checked: 2, raised: [] });
    now = new Date('2027-01-01T00:00:00Z');
    const first = await reminders.pass();
    expect(first.raised).toMatchObject([{ workflow_id: 'kit', monitor_key: reviewReminderKey('kit', '2027-01-01'), monitor_name: 'review due', stage: 'sandbox', status: 'open' }]);
    expect(first.raised[0]!.summary).toContain('keel handoff kit');
    const audit = (await listAudit(db, 'workflow', 'kit')).filter((e) => e.action === 'workflow:review_due');
    expect(audit).toMatchObject([{ actor: 'keel:review-reminder', subject_type: 'workflow', subject_id: 'kit', data: { next_review: '2027-01-01', stage: 'sandbox', incident: first.raised[0]!.id } }]);

    // The same date never reminds twice: later passes, later days, an acknowledged incident.
    expect((await reminders.pass()).raised).toEqual([]);
    now = new Date('2027-01-05T12:00:00Z');
    expect((await reminders.pass()).raised).toEqual([]);
    await acknowledgeIncident(db, { id: first.raised[0]!.id, actor: 'ops@example.com', note: 'reviewed' });
    expect((await reminders.pass()).raised).toEqual([]);

    // The review done, a new version moves the date: quiet until that date comes.
    await deploy(db, reviewed('kit', '2027-04-01', 'Kit, reviewed'), 'sandbox');
    expect((await reminders.pass()).raised).toEqual([]);
    now = new Date('2027-04-01T08:00:00Z');
    expect((await reminders.pass()).raised).toMatchObject([{ monitor_key: reviewReminderKey('kit', '2027-04-01') }]);
    expect((await listIncidents(db, { workflowId: 'kit', limit: 10 })).map((i) => i.status)).toEqual(['open', 'acknowledged']);
    expect((await listAudit(db, 'workflow', 'kit')).filter((e) => e.action === 'workflow:review_due')).toHaveLength(2);
  });

  it('judge the version at the highest deployed stage', async () => {
    await deploy(db, reviewed('kit', '2027-06-01'), 'sandbox');
    await deploy(db, reviewed('kit', '2026-12-01', 'Kit in production'), 'production');
    const pass = await reminders.pass();
    expect(pass.raised).toMatchObject([{ workflow_id: 'kit', stage: 'production', monitor_key: reviewReminderKey('kit', '2026-12-01') }]);
  });

  it('run as a leader loop from start to stop', async () => {
    await deploy(db, reviewed('kit', '2026-12-31'));
    await reminders.start();
    const deadline = Date.now() + 5_000;
    while ((await listIncidents(db, { workflowId: 'kit', limit: 5 })).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await reminders.stop();
    expect(await listIncidents(db, { workflowId: 'kit', limit: 5 })).toHaveLength(1);
  });
});
