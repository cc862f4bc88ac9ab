// The SLA's durable timers on a fake clock: an overdue task escalates along its chain (each level
// with a fresh SLA, announced to the notification targets), and at the hard deadline the workflow's
// default applies: reject or cancel, approve only where the file says so. No task outlives its
// deadline unseen, even when its chain has run out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { listReviews, sweepReviewDeadlines, type ReviewRow } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy, testEngine, waitForRun } from '../support/harness.js';

const hour = 3_600_000;

function workflow(policy: string): string {
  return `
id: timed
title: Timed
owner: owner@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
    show: input
    ${policy}
  - id: after
    kind: transform
    expression: '"went on"'
`;
}

describe.each(testDatabases())('review SLAs on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  beforeEach(async () => {
    db = await database.open();
    // The engine's own sweeper runs on the real clock; a long interval keeps it out of the fake clock's way.
    engine = testEngine(db, { workers: { sweepMs: 3_600_000 } });
    await engine.startWorkers();
    await db.query(`INSERT INTO notification_targets (name, kind, url, events, roles) VALUES ('ops', 'webhook', 'http://127.0.0.1:9/hook', '{review:created,review:escalated,review:expired}', '{}')`);
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
  });

  async function waitingTask(policy: string): Promise<{ runId: string; task: ReviewRow }> {
    await deploy(db, workflow(policy));
    const { run } = await startRun(db, { workflowId: 'timed', stage: 'production', trigger: 'manual', input: { n: 1 } });
    await waitForRun(db, run.id, ['waiting']);
    const [task] = await listReviews(db, { runId: run.id });
    return { runId: run.id, task: task! };
  }

  const at = (task: ReviewRow, ms: number) => new Date(new Date(task.created_at).getTime() + ms);
  const sweep = (now: Date) => sweepReviewDeadlines(db, wakeRun, now);
  const current = async (id: string) => (await db.query<ReviewRow>(`SELECT * FROM reviews WHERE id = $1`, [id])).rows[0]!;

  it('escalates an overdue task along its chain with a fresh SLA each time, then rejects the run at the deadline', async () => {
    const { runId, task } = await waitingTask('due: 1h\n    escalate_to: [approver, admin]');
    expect(task).toMatchObject({ assigned_role: 'reviewer', escalation_chain: ['approver', 'admin'] });
    expect(new Date(task.deadline_at!).getTime() - new Date(task.created_at).getTime()).toBe(3 * hour);

    expect(await sweep(at(task, 0.5 * hour))).toEqual({ escalated: 0, expired: 0 });
    expect(await sweep(at(task, hour + 1000))).toEqual({ escalated: 1, expired: 0 });
    const first = await current(task.id);
    expect(first).toMatchObject({ status: 'escalated', assigned_role: 'approver', escalation_level: 1, escalation_chain: ['admin'], priority: 2 });
    expect(new Date(first.escalated_at!).toISOString()).toBe(at(task, hour + 1000).toISOString());
    expect(new Date(first.due_at!).toISOString()).toBe(at(task, 2 * hour + 1000).toISOString());

    expect(await sweep(at(task, 2 * hour + 2000))).toEqual({ escalated: 1, expired: 0 });
    expect(await current(task.id)).toMatchObject({ assigned_role: 'admin', escalation_level: 2, escalation_chain: [] });
    // Escalation latency starts at the first escalation and is never reset by later ones.
    expect(new Date((await current(task.id)).escalated_at!).toISOString()).toBe(first.escalated_at!.toISOString());

    expect(await sweep(at(task, 3 * hour + 1000))).toEqual({ escalated: 0, expired: 1 });
    expect(await current(task.id)).toMatchObject({ status: 'expired', decided_by: 'keel:sla' });
    const done = await waitForRun(db, runId, ['rejected']);
    expect(done.output).toMatchObject({ decision: 'expired' });

    const sent = await db.query<{ event: string; kind: string }>(`SELECT event, kind FROM review_deliveries WHERE review_id = $1 ORDER BY id`, [task.id]);
    expect(sent.rows.map((d) => d.event)).toEqual(['review:created', 'review:escalated', 'review:escalated', 'review:expired']);
    const audited = await db.query<{ action: string; actor: string }>(`SELECT action, actor FROM audit_events WHERE subject_id = $1 ORDER BY id`, [task.id]);
    expect(audited.rows.map((a) => a.action)).toEqual(['review:created', 'review:escalated', 'review:escalated', 'review:expired']);
  });

  it('lets no task sit past its deadline: with no chain left it waits for the deadline, then expires', async () => {
    const { runId, task } = await waitingTask('due: 2h\n    deadline: 5h');
    expect(await sweep(at(task, 2 * hour + 1000))).toEqual({ escalated: 0, expired: 0 });
    expect(new Date((await current(task.id)).due_at!).toISOString()).toBe(new Date(task.deadline_at!).toISOString());
    expect(await sweep(at(task, 4 * hour))).toEqual({ escalated: 0, expired: 0 });
    expect(await sweep(at(task, 5 * hour))).toEqual({ escalated: 0, expired: 1 });
    await waitForRun(db, runId, ['rejected']);
  });

  it('cancels the run at the deadline when the workflow says cancel', async () => {
    const { runId, task } = await waitingTask('due: 1h\n    on_deadline: cancel');
    await sweep(at(task, hour));
    const done = await waitForRun(db, runId, ['canceled']);
    expect(done.output).toMatchObject({ decision: 'expired', on_deadline: 'cancel' });
  });

  it('approves at the deadline only where the workflow says so in writing', async () => {
    const { runId, task } = await waitingTask('due: 1h\n    on_deadline: approve');
    await sweep(at(task, hour));
    const done = await waitForRun(db, runId, ['succeeded']);
    expect(done.state).toMatchObject({ check: { decision: 'approved', reviewer: 'keel:sla' }, after: 'went on' });
  });

  it('leaves a decided task alone, however late the clock', async () => {
    const { task } = await waitingTask('due: 1h\n    escalate_to: [approver]');
    await db.query(`UPDATE reviews SET status = 'approved', decided_at = now(), decided_by = 'x' WHERE id = $1`, [task.id]);
    expect(await sweep(at(task, 100 * hour))).toEqual({ escalated: 0, expired: 0 });
  });
});
