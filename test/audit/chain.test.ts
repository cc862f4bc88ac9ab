// The audit chain on a real database: events recorded by the real slices verify; every kind of
// tampering is caught and the first bad event named; SQL cannot edit or delete without first
// switching the append-only trigger off.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exportAuditEvents, linkAuditChain, listAudit, listAuditEvents, recordAudit, runWithAuditContext, verifyAuditChain,
} from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { startRun, wakeRun } from '../../src/engine/index.js';
import { setPaused } from '../../src/registry/index.js';
import { decideReview } from '../../src/review/index.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { recordEvents, tamper } from './fixtures.js';

const workflow = (title: string) => `
id: triage
title: ${title}
owner: ops@example.com
risk: medium
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
`;

describe.each(testDatabases())('the audit chain on $name', (database) => {
  let db: Db;
  beforeEach(async () => {
    db = await database.open();
  });
  afterEach(async () => {
    await db.close();
  });

  it('verifies after deploys, a pause and review decisions made through the real slices', async () => {
    await deploy(db, workflow('Triage'));
    await deploy(db, workflow('Triage two'), 'testing');
    await setPaused(db, 'triage', 'production', true, 'carol');
    await setPaused(db, 'triage', 'production', false, 'carol');
    for (const decision of ['approve', 'reject'] as const) {
      const { run } = await startRun(db, { workflowId: 'triage', stage: 'production', trigger: 'manual', input: {} });
      await decideReview(db, { target: { runId: run.id, stepId: 'check', workflowId: 'triage' }, decision, comment: 'checked', actor: 'dana' }, wakeRun);
    }
    const verdict = await verifyAuditChain(db);
    const page = await listAuditEvents(db, { limit: 1000 });
    expect(page.events.map((e) => e.action)).toEqual([
      'version:created', 'deployment:moved', 'version:created', 'deployment:moved',
      'deployment:paused', 'deployment:resumed', 'review:decided', 'review:decided',
    ]);
    expect(page.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(verdict).toEqual({ ok: true, checked: 8, head: { seq: 8, hash: page.events[7]!.hash } });
  });

  it('leaves no gap when a transaction that recorded an event rolls back', async () => {
    await recordEvents(db, 2);
    await expect(db.transaction(async (tx) => {
      await recordAudit(tx, { actor: 'alice', action: 'thing:changed', subjectType: 'thing', subjectId: 'lost' });
      throw new Error('the change failed');
    })).rejects.toThrow('the change failed');
    await recordEvents(db, 2);
    const verdict = await verifyAuditChain(db);
    expect(verdict).toMatchObject({ ok: true, checked: 4, head: { seq: 4 } });
    expect((await listAuditEvents(db)).events.map((e) => e.subject_id)).toEqual(['t1', 't2', 't1', 't2']);
  });

  it('keeps several events of one transaction in order', async () => {
    await db.transaction(async (tx) => {
      for (const id of ['a', 'b', 'c']) await recordAudit(tx, { actor: 'alice', action: 'thing:changed', subjectType: 'thing', subjectId: id });
    });
    expect((await listAuditEvents(db)).events.map((e) => [e.seq, e.subject_id])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('stores before and after without secrets, and the request id of the surrounding context', async () => {
    await runWithAuditContext({ requestId: 'req-42' }, () => db.transaction((tx) => recordAudit(tx, {
      actor: 'alice', action: 'user:updated', subjectType: 'user', subjectId: 'u1',
      before: { email: 'a@example.com', password_hash: 'argon2-old' },
      after: { email: 'b@example.com', password_hash: 'argon2-new', settings: { apiToken: 'tok_live_123' } },
      data: { authorization: 'Bearer abc' },
    })));
    await recordEvents(db, 1);
    const [withContext, without] = (await listAuditEvents(db)).events;
    expect(withContext).toMatchObject({
      request_id: 'req-42',
      before: { email: 'a@example.com', password_hash: '[redacted]' },
      after: { email: 'b@example.com', password_hash: '[redacted]', settings: { apiToken: '[redacted]' } },
      data: { authorization: '[redacted]' },
    });
    for (const secret of ['argon2-old', 'argon2-new', 'tok_live_123', 'Bearer abc']) expect(withContext!.body).not.toContain(secret);
    expect(without!.request_id).toBeNull();
    expect((await listAudit(db, 'user', 'u1'))[0]).toMatchObject({ request_id: 'req-42', seq: 1 });
    expect((await verifyAuditChain(db)).ok).toBe(true);
  });

  it('filters by actor, action, subject and time, and pages with a seq cursor', async () => {
    await recordEvents(db, 5);
    await db.transaction((tx) => recordAudit(tx, { actor: 'alice', action: 'other:done', subjectType: 'other', subjectId: 'o1' }));
    const all = (await listAuditEvents(db)).events;
    expect(all).toHaveLength(6);
    expect((await listAuditEvents(db, { actor: 'alice' })).events.map((e) => e.seq)).toEqual([1, 3, 5, 6]);
    expect((await listAuditEvents(db, { action: 'other:done' })).events.map((e) => e.seq)).toEqual([6]);
    expect((await listAuditEvents(db, { subjectType: 'thing', subjectId: 't2' })).events.map((e) => e.seq)).toEqual([2]);
    const third = new Date(all[2]!.at);
    expect((await listAuditEvents(db, { since: third })).events.every((e) => new Date(e.at) >= third)).toBe(true);
    expect((await listAuditEvents(db, { until: third })).events.every((e) => new Date(e.at) < third)).toBe(true);
    const first = await listAuditEvents(db, { limit: 4 });
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(first.nextAfterSeq).toBe(4);
    const second = await listAuditEvents(db, { limit: 4, afterSeq: 4 });
    expect(second).toMatchObject({ nextAfterSeq: null, events: [{ seq: 5 }, { seq: 6 }] });
    const exported: number[] = [];
    for await (const page of exportAuditEvents(db, { actor: 'alice' })) exported.push(...page.map((e) => e.seq));
    expect(exported).toEqual([1, 3, 5, 6]);
    await expect(listAuditEvents(db, { limit: 1001 })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('refuses UPDATE, DELETE and TRUNCATE through SQL, and inserts that set the link', async () => {
    await recordEvents(db, 3);
    await linkAuditChain(db);
    const refused = [
      `UPDATE audit_events SET actor = 'mallory' WHERE seq = 2`,
      `UPDATE audit_events SET data = '{}' WHERE seq IS NOT NULL`,
      `DELETE FROM audit_events WHERE seq = 3`,
      `TRUNCATE audit_events`,
      `INSERT INTO audit_events (actor, action, subject_type, subject_id, body, seq, prev_hash, hash) VALUES ('m', 'a:b', 's', '1', '{}', 4, 'x', 'y')`,
      `DELETE FROM audit_chain`,
    ];
    for (const sql of refused) {
      await expect(db.transaction((tx) => tx.query(sql)), sql).rejects.toThrow(/append-only|linked into the chain|keeps the head/);
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3 });
  });

  it('links an event inserted by plain SQL, body built from its columns', async () => {
    await recordEvents(db, 1);
    await db.query(`INSERT INTO audit_events (actor, action, subject_type, subject_id, data) VALUES ('ops', 'manual:note', 'thing', 't9', '{"why": "test"}')`);
    await recordEvents(db, 1);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3 });
    expect((await listAuditEvents(db, { actor: 'ops' })).events).toMatchObject([{ seq: 2, data: { why: 'test' } }]);
  });

  it('lets a writer link what is pending, its own event included, once nothing was linked for a while', async () => {
    await db.query(`UPDATE audit_chain SET linked_at = now() - interval '1 hour'`);
    await db.query(`INSERT INTO audit_events (actor, action, subject_type, subject_id) VALUES ('ops', 'manual:note', 'thing', 'a')`);
    await db.transaction((tx) => recordAudit(tx, { actor: 'alice', action: 'thing:changed', subjectType: 'thing', subjectId: 'b' }));
    const rows = await db.query<{ subject_id: string; seq: number | null }>(`SELECT subject_id, seq FROM audit_events ORDER BY id`);
    expect(rows.rows).toEqual([{ subject_id: 'a', seq: 1 }, { subject_id: 'b', seq: 2 }]);
  });

  it('never fails the change it records: outside a transaction, or in a REPEATABLE READ one, the event waits for a reader', async () => {
    await db.query(`UPDATE audit_chain SET linked_at = now() - interval '1 hour'`);
    await recordAudit(db, { actor: 'anonymous', action: 'token:rejected', subjectType: 'token', subjectId: 'unknown' });
    await db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await tx.query('SELECT count(*) FROM audit_events');
      await recordAudit(tx, { actor: 'alice', action: 'thing:changed', subjectType: 'thing', subjectId: 'rr' });
    });
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events`)).rows[0]!.n).toBe(2);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 2 });
  });

  describe('tampering', () => {
    beforeEach(async () => {
      await recordEvents(db, 6);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 6 });
    });

    it('catches a column edited without its body', async () => {
      await tamper(db, `UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 2, firstBad: { seq: 3, problem: 'column_mismatch' } });
    });

    it('catches an edited body', async () => {
      await tamper(db, `UPDATE audit_events SET body = replace(body, '"alice"', '"mallory"'), actor = 'mallory' WHERE seq = 3`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 2, firstBad: { seq: 3, problem: 'hash_mismatch' } });
    });

    it('catches a deleted event in the middle', async () => {
      await tamper(db, `DELETE FROM audit_events WHERE seq = 3`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 2, firstBad: { seq: 4, problem: 'seq_gap' } });
    });

    it('catches a deleted last event', async () => {
      await tamper(db, `DELETE FROM audit_events WHERE seq = 6`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 5, firstBad: { seq: 6, id: null, problem: 'head_mismatch' } });
    });

    it('catches the last event deleted and the head moved back, given an anchor kept from before', async () => {
      const before = await verifyAuditChain(db);
      await tamper(db, `DELETE FROM audit_events WHERE seq = 6`);
      await db.query(`UPDATE audit_chain SET seq = 5, head_hash = (SELECT hash FROM audit_events WHERE seq = 5), prev_hash = (SELECT prev_hash FROM audit_events WHERE seq = 5)`);
      // Consistent in itself: only the head seen earlier can tell.
      expect(await verifyAuditChain(db)).toMatchObject({ ok: true, head: { seq: 5 } });
      expect(await verifyAuditChain(db, { anchor: before.head! })).toMatchObject({ ok: false, firstBad: { seq: 6, problem: 'anchor_mismatch' } });
    });

    it('catches a forged event inserted in the middle and correctly linked to its predecessor', async () => {
      await tamper(db,
        `UPDATE audit_events SET seq = -seq WHERE seq >= 3`,
        `UPDATE audit_events SET seq = 1 - seq WHERE seq < 0`,
        `INSERT INTO audit_events (actor, action, subject_type, subject_id, body, seq, prev_hash, hash, created_at)
         SELECT 'mallory', 'thing:changed', 'thing', 'forged', '{}', 3, e.hash,
                encode(sha256(convert_to(e.hash || E'\\n3\\n{}', 'UTF8')), 'hex'), now() FROM audit_events e WHERE e.seq = 2`,
      );
      await db.query(`UPDATE audit_chain SET seq = seq + 1`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: 'column_mismatch' } });
    });

    it('catches a forged event whose body matches its columns by the break after it', async () => {
      await tamper(db,
        `UPDATE audit_events SET seq = -seq WHERE seq >= 3`,
        `UPDATE audit_events SET seq = 1 - seq WHERE seq < 0`,
        `INSERT INTO audit_events (actor, action, subject_type, subject_id, data, before, after, request_id, body, seq, prev_hash, hash, created_at)
         SELECT f.actor, f.action, f.subject_type, f.subject_id, f.data, f.before, f.after, f.request_id, f.body, 3, e.hash,
                encode(sha256(convert_to(e.hash || E'\\n3\\n' || f.body, 'UTF8')), 'hex'), f.created_at
         FROM audit_events e, audit_events f WHERE e.seq = 2 AND f.seq = 2`,
      );
      await db.query(`UPDATE audit_chain SET seq = seq + 1`);
      const verdict = await verifyAuditChain(db);
      expect(verdict).toMatchObject({ ok: false, checked: 3, firstBad: { seq: 4, problem: 'prev_hash_mismatch' } });
    });

    it('catches two events whose seq were swapped', async () => {
      await tamper(db,
        `UPDATE audit_events SET seq = -1 WHERE seq = 3`,
        `UPDATE audit_events SET seq = 3 WHERE seq = 4`,
        `UPDATE audit_events SET seq = 4 WHERE seq = -1`,
      );
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 2, firstBad: { seq: 3, problem: 'prev_hash_mismatch' } });
    });

    it('catches a deleted head row', async () => {
      await db.transaction(async (tx) => {
        await tx.query('ALTER TABLE audit_chain DISABLE TRIGGER USER');
        await tx.query('DELETE FROM audit_chain');
        await tx.query('ALTER TABLE audit_chain ENABLE TRIGGER USER');
      });
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 6, head: null, firstBad: { problem: 'head_mismatch' } });
    });

    it('catches an edited head', async () => {
      await db.query(`UPDATE audit_chain SET head_hash = repeat('f', 64)`);
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, checked: 6, firstBad: { seq: 6, problem: 'head_mismatch' } });
    });
  });
});
