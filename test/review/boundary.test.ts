// The approval boundary, judged before a run's first action: its ordered rules over the output,
// confidence, risk, stage, exclusions and flags, and its fail-safe defaults (sandbox always to a
// person, a matched exclusion always escalated, high risk never automatic unless written). Then
// deciding what it asks: approve, edit (validated, diffed, replacing the judged output), reject with
// a reason, escalate with a note, quorum of distinct approvers, and nobody approving their own run.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { decideReview, listReviews, type ReviewRow } from '../../src/review/index.js';
import type { Stage } from '../../src/registry/index.js';
import { testDatabases } from '../support/databases.js';
import { deployGranted, testEngine, waitForRun } from '../support/harness.js';
import { startTarget, type Target } from '../support/target.js';
import { saveTargetConnector, targetAccess } from '../support/target-connector.js';

/** A workflow whose "answer" is a transform of the input, so every boundary input is set by the test. */
function workflow(options: { risk?: string; approval?: string; exclusions?: string } = {}): string {
  return `
id: bounded
title: Bounded
owner: owner@example.com
risk: ${options.risk ?? 'medium'}
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: answer
    kind: transform
    expression: '{ "label": input.label, "confidence": input.confidence, "flags": input.flags ? input.flags : [] }'
  - id: post
    kind: action
    connector: target-idempotent
    action: send
    with: { method: '"POST"', path: '"/tickets"', body: 'steps.answer' }
    delivery: idempotent
${options.approval ?? ''}
${options.exclusions ?? ''}
${targetAccess('target-idempotent')}`;
}

const rules = `
approval:
  output: answer
  output_schema: { type: object, required: [label], properties: { label: { type: string, minLength: 2 } } }
  rules:
    - when: '"legal" in flags'
      then: escalate
      role: admin
    - when: confidence >= 0.9
      then: auto
    - when: 'true'
      then: review
      reason: low_confidence
  review: { role: reviewer, due: 1h, escalate_to: [approver, admin], quorum: QUORUM }
`;

describe.each(testDatabases())('the approval boundary on $name', (database) => {
  let db: Db;
  let engine: ReturnType<typeof testEngine>;
  let target: Target;
  beforeEach(async () => {
    db = await database.open();
    target = await startTarget();
    await saveTargetConnector(db, target.url);
    engine = testEngine(db);
    await engine.startWorkers();
  });
  afterEach(async () => {
    await engine.stop();
    await db.close();
    await target.close();
  });

  async function runWith(input: Record<string, unknown>, stage: Stage = 'production', requestedBy?: string) {
    const { run } = await startRun(db, { workflowId: 'bounded', stage, trigger: 'manual', input, requestedBy });
    return waitForRun(db, run.id, ['waiting', 'succeeded', 'failed']);
  }

  async function taskOf(runId: string): Promise<ReviewRow> {
    const [task] = await listReviews(db, { runId });
    return task!;
  }

  const withRules = (quorum = 1) => workflow({ approval: rules.replace('QUORUM', String(quorum)) });

  it('lets a sure answer through, records why, and sends an unsure one to review with what approval will run', async () => {
    await deployGranted(db, withRules());
    const sure = await runWith({ label: 'card_arrival', confidence: 0.97 });
    expect(sure.status).toBe('succeeded');
    expect(sure.state).toMatchObject({ approval: { decision: 'auto', by: 1, subject: 'answer', confidence: 0.97 } });
    expect(target.effects).toHaveLength(1);

    const unsure = await runWith({ label: 'card_arrival', confidence: 0.6 });
    expect(unsure).toMatchObject({ status: 'waiting', current_step: 'post' });
    const task = await taskOf(unsure.id);
    expect(task).toMatchObject({
      step_id: 'approval', status: 'pending', reason: 'low_confidence', assigned_role: 'reviewer', priority: 1,
      proposed: { label: 'card_arrival', confidence: 0.6 }, escalation_chain: ['approver', 'admin'],
    });
    expect(task.context).toMatchObject({ input: { label: 'card_arrival' }, confidence: 0.6, actions: [{ step: 'post', connector: 'target-idempotent', action: 'send', delivery: 'idempotent', scope: 'http:write', would_send: { method: 'POST', url: `${target.url}/tickets`, body: { label: 'card_arrival', confidence: 0.6 } } }] });
    expect(new Date(task.deadline_at!).getTime() - new Date(task.created_at).getTime()).toBe(3 * 3_600_000);
    expect(target.effects).toHaveLength(1);
  });

  it('escalates by rule to the role it names, at high priority', async () => {
    await deployGranted(db, withRules());
    const run = await runWith({ label: 'card_arrival', confidence: 0.99, flags: ['legal'] });
    expect(await taskOf(run.id)).toMatchObject({ status: 'escalated', assigned_role: 'admin', reason: 'policy', priority: 2 });
  });

  it('fails safe: sandbox always goes to review, an exclusion is always escalated, high risk needs it in writing', async () => {
    await deployGranted(db, withRules(), 'sandbox');
    const sandboxed = await runWith({ label: 'card_arrival', confidence: 0.99 }, 'sandbox');
    expect(await taskOf(sandboxed.id)).toMatchObject({ reason: 'sandbox', status: 'pending', stage: 'sandbox' });

    await deployGranted(db, workflow({
      approval: rules.replace('QUORUM', '1'),
      exclusions: `exclusions:\n  - refunds\n  - name: stolen cards\n    when: 'output.label == "lost_or_stolen_card"'`,
    }));
    const excluded = await runWith({ label: 'lost_or_stolen_card', confidence: 0.999 });
    expect(await taskOf(excluded.id)).toMatchObject({ status: 'escalated', reason: 'policy', assigned_role: 'approver', context: expect.objectContaining({ exclusions: ['stolen cards'] }) });

    await deployGranted(db, workflow({ risk: 'high' }));
    const high = await runWith({ label: 'card_arrival', confidence: 1 });
    expect(await taskOf(high.id)).toMatchObject({ reason: 'risk', status: 'pending' });

    await deployGranted(db, workflow({ risk: 'high', approval: 'approval:\n  default: auto' }));
    expect((await runWith({ label: 'card_arrival', confidence: 1 })).status).toBe('succeeded');
    await deployGranted(db, workflow({ risk: 'low' }));
    expect((await runWith({ label: 'card_arrival' })).status).toBe('succeeded');
  });

  it('checks an edit against the output schema, keeps the diff, and acts on the edited output', async () => {
    await deployGranted(db, withRules());
    const run = await runWith({ label: 'card_arival', confidence: 0.5 });
    const task = await taskOf(run.id);
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'edit', output: { label: 'x' }, actor: 'ana@example.com' }, wakeRun))
      .rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'output.label', message: expect.stringContaining('2') }] });
    const edited = await decideReview(db, { target: { reviewId: task.id }, decision: 'edit', output: { label: 'card_arrival', confidence: 0.5, flags: [] }, actor: 'ana@example.com' }, wakeRun);
    expect(edited.review).toMatchObject({ status: 'edited', diff: [{ path: 'label', change: 'changed', before: 'card_arival', after: 'card_arrival' }] });
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state).toMatchObject({ answer: { label: 'card_arrival' }, approval: { decision: 'edited', reviewer: 'ana@example.com' } });
    expect(target.effects[0]!.body).toMatchObject({ label: 'card_arrival' });
  });

  it('needs a reason to reject and a note to escalate; escalation moves along the chain, then refuses past its end', async () => {
    await deployGranted(db, withRules());
    const run = await runWith({ label: 'a', confidence: 0.1 });
    const task = await taskOf(run.id);
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'reject', actor: 'ana@example.com' }, wakeRun)).rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'comment' }] });
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'escalate', comment: ' ', actor: 'ana@example.com' }, wakeRun)).rejects.toMatchObject({ code: 'invalid_input' });
    const up = await decideReview(db, { target: { reviewId: task.id }, decision: 'escalate', comment: 'not sure about the label', actor: 'ana@example.com' }, wakeRun);
    expect(up).toMatchObject({ outcome: 'escalated', review: { status: 'escalated', assigned_role: 'approver', escalation_level: 1, escalation_chain: ['admin'], priority: 2 } });
    // A reviewer may not decide what now waits for the approver role.
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'rita@example.com', actorRoles: ['reviewer'] }, wakeRun))
      .rejects.toMatchObject({ code: 'permission_denied', message: expect.stringContaining('approver') });
    await decideReview(db, { target: { reviewId: task.id }, decision: 'escalate', comment: 'needs an admin', actor: 'pat@example.com', actorRoles: ['approver'] }, wakeRun);
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'escalate', comment: 'again', actor: 'root@example.com' }, wakeRun))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('nobody further') });
    const rejected = await decideReview(db, { target: { reviewId: task.id }, decision: 'reject', comment: 'wrong customer', actor: 'root@example.com' }, wakeRun);
    expect(rejected.review).toMatchObject({ status: 'rejected', comment: 'wrong customer' });
    const done = await waitForRun(db, run.id, ['rejected']);
    expect(done.output).toMatchObject({ decision: 'rejected', comment: 'wrong customer' });
    expect(target.effects).toHaveLength(0);
    const notes = await db.query<{ body: string }>(`SELECT body FROM review_comments WHERE review_id = $1 ORDER BY id`, [task.id]);
    expect(notes.rows.map((n) => n.body)).toEqual(['not sure about the label', 'needs an admin']);
  });

  it('waits for a quorum of distinct approvers, and never lets the requester approve their own run', async () => {
    await deployGranted(db, withRules(2));
    const run = await runWith({ label: 'a', confidence: 0.1 }, 'production', 'asker@example.com');
    const task = await taskOf(run.id);
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'asker@example.com' }, wakeRun))
      .rejects.toMatchObject({ code: 'permission_denied', message: expect.stringContaining('own') });
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'edit', output: { label: 'bb' }, actor: 'asker@example.com' }, wakeRun))
      .rejects.toMatchObject({ code: 'permission_denied' });
    expect(await decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'ana@example.com' }, wakeRun)).toMatchObject({ outcome: 'recorded', approvals: 1 });
    await expect(decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'ana@example.com' }, wakeRun)).rejects.toMatchObject({ code: 'conflict' });
    expect((await waitForRun(db, run.id, ['waiting'])).status).toBe('waiting');
    expect(await decideReview(db, { target: { reviewId: task.id }, decision: 'approve', actor: 'bo@example.com' }, wakeRun)).toMatchObject({ outcome: 'decided', review: { status: 'approved' } });
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state).toMatchObject({ approval: { decision: 'approved', reviewer: 'bo@example.com' } });
    const audited = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY id`, [task.id]);
    expect(audited.rows.map((a) => a.action)).toEqual(['review:created', 'review:approval_recorded', 'review:decided']);
  });

  it('applies a decision that arrives before the run reaches the boundary', async () => {
    await deployGranted(db, withRules());
    const { run } = await startRun(db, { workflowId: 'bounded', stage: 'production', trigger: 'manual', input: { label: 'zz', confidence: 0.2 } });
    await decideReview(db, { target: { runId: run.id, stepId: 'approval', workflowId: 'bounded' }, decision: 'approve', actor: 'early@example.com' }, wakeRun);
    const done = await waitForRun(db, run.id, ['succeeded']);
    expect(done.state).toMatchObject({ approval: { decision: 'approved', reviewer: 'early@example.com' } });
  });
});
