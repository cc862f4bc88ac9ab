// Change requests on a real database: a version that changes a production workflow's prompt is
// asked for with its diff, refused to its requester, its author, a stranger and an approver the
// new version names for itself, and decided by the production version's owner or named approver;
// a rejection needs a note; each step is audited; and the promotion gate's question (changeStatus)
// answers accordingly, ignoring a decision made against a production version no longer deployed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeStatus, decideChange, listChangeRequests, requestChange, withdrawChange } from '../../src/changes/index.js';
import type { Db } from '../../src/db/index.js';
import { deployWorkflow, moveDeployment, type Stage } from '../../src/registry/index.js';
import { testDatabases } from '../support/databases.js';

const workflow = (options: { template?: string; description?: string; approvers?: string[] } = {}) => `
id: kit
title: Kit
owner: Owner@Example.com
description: ${options.description ?? 'Drafts replies'}
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: draft
    kind: model
    model: fast
    template: "${options.template ?? 'Reply to {{ input.text }}'}"
runbook:
  change_approvers: [${(options.approvers ?? ['lead@example.com']).join(', ')}]
`;

const deployAs = (db: Db, source: string, stage: Stage, actor: string) => deployWorkflow(db, { source, sourceName: 'kit.yaml', stage, actor });

describe.each(testDatabases())('change requests on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
  });
  afterEach(async () => {
    await db.close();
  });

  it('needs no request before production runs a version, nor for a change outside the governed areas', async () => {
    const v1 = (await deployAs(db, workflow(), 'testing', 'author@example.com')).version;
    expect(await changeStatus(db, 'kit', v1.id)).toEqual({ needed: false, areas: [], changes: [], production: null });
    await expect(requestChange(db, { workflowId: 'kit', versionRef: '1', actor: 'builder@example.com', reason: 'go live' }))
      .rejects.toMatchObject({ code: 'not_deployed' });

    await moveDeployment(db, 'kit', 'production', '1', 'ops@example.com');
    const v2 = (await deployAs(db, workflow({ description: 'Drafts replies to customers' }), 'testing', 'author@example.com')).version;
    expect(await changeStatus(db, 'kit', v2.id)).toMatchObject({ needed: false, changes: [], production: { id: v1.id, number: 1 } });
    await expect(requestChange(db, { workflowId: 'kit', versionRef: 'v2', actor: 'builder@example.com', reason: 'wording' }))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('needs no change request') });
  });

  it('is decided by a named approver, never by its requester, the version\'s author, a stranger or an approver the new version adds', async () => {
    const v1 = (await deployAs(db, workflow(), 'production', 'first@example.com')).version;
    const v2 = (await deployAs(db, workflow({ template: 'Reply kindly to {{ input.text }}', approvers: ['lead@example.com', 'sneaky@example.com'] }), 'testing', 'author@example.com')).version;

    const request = await requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'kinder replies' });
    expect(request).toMatchObject({
      status: 'open', from_version_id: v1.id, from_version_number: 1, to_version_id: v2.id, to_version_number: 2, areas: ['prompts'],
      requested_by: 'builder@example.com', reason: 'kinder replies', decided_by: null,
      diff: [{ area: 'prompts', path: 'steps[draft].template', change: 'changed', before: 'Reply to {{ input.text }}', after: 'Reply kindly to {{ input.text }}' }],
    });
    expect(await changeStatus(db, 'kit', v2.id)).toMatchObject({ needed: true, areas: ['prompts'], request: { id: request.id, status: 'open' } });
    await expect(requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'other@example.com', reason: 'again' }))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already open') });

    const decide = (actor: string, admin = false) => decideChange(db, { id: request.id, actor, decision: 'approve', admin });
    await expect(decide('Builder@example.com', true)).rejects.toMatchObject({ code: 'permission_denied', message: expect.stringContaining('asked for') });
    await expect(decide('author@example.com', true)).rejects.toMatchObject({ code: 'permission_denied', message: expect.stringContaining('wrote v2') });
    await expect(decide('someone@example.com')).rejects.toMatchObject({ code: 'permission_denied', message: expect.stringContaining('may not decide') });
    // Only the production version's approvers count: v2 cannot name its own.
    await expect(decide('sneaky@example.com')).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(withdrawChange(db, { id: request.id, actor: 'lead@example.com' })).rejects.toMatchObject({ code: 'permission_denied' });

    const approved = await decide(' LEAD@example.com ');
    expect(approved).toMatchObject({ status: 'approved', decided_by: ' LEAD@example.com ', decided_at: expect.any(Date) });
    expect(await changeStatus(db, 'kit', v2.id)).toMatchObject({ needed: true, request: { id: request.id, status: 'approved' } });
    await expect(decideChange(db, { id: request.id, actor: 'owner@example.com', decision: 'reject', note: 'no' }))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already approved') });
    await expect(requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'again' }))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('already approved') });

    const audit = await db.query<{ actor: string; action: string; subject_id: string; data: Record<string, unknown> }>(
      `SELECT actor, action, subject_id, data FROM audit_events WHERE action LIKE 'change:%' ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { actor: 'builder@example.com', action: 'change:requested', subject_id: request.id, data: expect.objectContaining({ from: v1.id, to: v2.id, areas: ['prompts'], reason: 'kinder replies' }) },
      { actor: ' LEAD@example.com ', action: 'change:approved', subject_id: request.id, data: expect.objectContaining({ to: v2.id, note: null }) },
    ]);
  });

  it('is rejected by the owner only with a note, can be asked again, and withdrawn by its requester', async () => {
    await deployAs(db, workflow(), 'production', 'first@example.com');
    await deployAs(db, workflow({ template: 'Reply curtly to {{ input.text }}' }), 'testing', 'author@example.com');
    const first = await requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'shorter' });
    await expect(decideChange(db, { id: first.id, actor: 'owner@example.com', decision: 'reject', note: '  ' }))
      .rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'note', message: 'required to reject' }] });
    const rejected = await decideChange(db, { id: first.id, actor: 'owner@example.com', decision: 'reject', note: 'too curt for customers' });
    expect(rejected).toMatchObject({ status: 'rejected', decided_by: 'owner@example.com', decision_note: 'too curt for customers' });

    const second = await requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'please look again' });
    await expect(withdrawChange(db, { id: second.id, actor: 'owner@example.com' })).rejects.toMatchObject({ code: 'permission_denied' });
    expect(await withdrawChange(db, { id: second.id, actor: 'builder@example.com', note: 'rewriting it' })).toMatchObject({ status: 'withdrawn', decision_note: 'rewriting it' });
    expect((await listChangeRequests(db, 'kit')).map((r) => [r.id, r.status])).toEqual([[second.id, 'withdrawn'], [first.id, 'rejected']]);
    expect((await listChangeRequests(db, 'kit', { status: 'rejected' })).map((r) => r.id)).toEqual([first.id]);
    const actions = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE action LIKE 'change:%' ORDER BY id`);
    expect(actions.rows.map((r) => r.action)).toEqual(['change:requested', 'change:rejected', 'change:requested', 'change:withdrawn']);
  });

  it('does not count a decision made against a production version that is no longer deployed', async () => {
    await deployAs(db, workflow(), 'production', 'first@example.com');
    const v2 = (await deployAs(db, workflow({ template: 'Two {{ input.text }}' }), 'testing', 'author@example.com')).version;
    const open = await requestChange(db, { workflowId: 'kit', versionRef: '2', actor: 'builder@example.com', reason: 'two' });
    const approved = await decideChange(db, { id: open.id, actor: 'owner@example.com', decision: 'approve' });
    expect(approved.status).toBe('approved');

    // Production moves to a third version: the approved diff (v1 -> v2) is not what promoting v2 now does.
    await deployAs(db, workflow({ template: 'Three {{ input.text }}' }), 'production', 'first@example.com');
    const status = await changeStatus(db, 'kit', v2.id);
    expect(status).toMatchObject({ needed: true, production: { number: 3 } });
    expect(status.request).toBeUndefined();

    // An open request made before production moved is withdrawn by Keel when asked again, and cannot be approved.
    const v4 = (await deployAs(db, workflow({ template: 'Four {{ input.text }}' }), 'testing', 'author@example.com')).version;
    const stale = await requestChange(db, { workflowId: 'kit', versionRef: v4.id, actor: 'builder@example.com', reason: 'four' });
    await deployAs(db, workflow({ template: 'Five {{ input.text }}' }), 'production', 'first@example.com');
    await expect(decideChange(db, { id: stale.id, actor: 'owner@example.com', decision: 'approve' }))
      .rejects.toMatchObject({ code: 'conflict', message: expect.stringContaining('no longer runs v3') });
    const fresh = await requestChange(db, { workflowId: 'kit', versionRef: '4', actor: 'builder@example.com', reason: 'four, again' });
    expect(fresh.from_version_number).toBe(5);
    expect((await listChangeRequests(db, 'kit', { status: 'withdrawn' })).map((r) => [r.id, r.decided_by])).toEqual([[stale.id, 'keel']]);
  });
});
