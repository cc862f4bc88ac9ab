// The audit API on the real HTTP app, as an admin: list, export and verify answer what their
// OpenAPI contract declares, and there is no route that edits or deletes an event.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';
import { readJson } from '../support/json.js';
import { recordEvents, tamper } from './fixtures.js';

describe.each(testDatabases())('the audit API on $name', (database) => {
  let db: Db;
  let app: ReturnType<typeof withToken>;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  beforeEach(async () => {
    db = await database.open();
    app = withToken(testHttpApp(db), (await createTestIdentity(db)).token);
    api = await contractChecker(app);
    await recordEvents(db, 5);
  });
  afterEach(async () => {
    await db.close();
  });

  it('lists events in chain order with filters and a cursor', async () => {
    const all = await api.call('GET', '/api/audit', '/api/audit?limit=1000', undefined, 200);
    const events = all.body.events as unknown as { seq: number; actor: string; action: string }[];
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(all.body.next_after_seq).toBeNull();
    const things = await api.call('GET', '/api/audit', '/api/audit?action=thing:changed&actor=alice', undefined, 200);
    expect((things.body.events as unknown as { subject_id: string }[]).map((e) => e.subject_id)).toEqual(['t1', 't3', 't5']);
    const first = await api.call('GET', '/api/audit', '/api/audit?subject_type=thing&limit=2', undefined, 200);
    expect(first.body.next_after_seq).toBe((first.body.events as unknown as { seq: number }[])[1]!.seq);
    const next = await api.call('GET', '/api/audit', `/api/audit?subject_type=thing&limit=2&after_seq=${first.body.next_after_seq}`, undefined, 200);
    expect((next.body.events as unknown as { subject_id: string }[]).map((e) => e.subject_id)).toEqual(['t3', 't4']);
    const later = await api.call('GET', '/api/audit', `/api/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, undefined, 200);
    expect(later.body.events).toEqual([]);
    const bad = await api.call('GET', '/api/audit', '/api/audit?limit=5000&since=yesterday', undefined, 422);
    expect(bad.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'query.limit' }), expect.objectContaining({ path: 'query.since' })]));
  });

  it('exports every matching event as JSON Lines that match the AuditEvent schema', async () => {
    const res = await app.request('/api/audit/export?subject_type=thing');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    const doc = await readJson(await app.request('/openapi.json'));
    expect(doc.paths['/api/audit/export'].get.responses['200'].content['application/x-ndjson']).toBeDefined();
    const validate = new Ajv2020({ strict: false }).compile(doc.components.schemas.AuditEvent);
    const events = lines.map((l) => JSON.parse(l) as { subject_id: string });
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    expect(events.map((e) => e.subject_id)).toEqual(['t1', 't2', 't3', 't4', 't5']);
  });

  it('verifies an intact chain and names the first bad event of a tampered one', async () => {
    const ok = await api.call('GET', '/api/audit/verify', '/api/audit/verify', undefined, 200);
    expect(ok.body).toMatchObject({ ok: true, head: { seq: ok.body.checked } });
    const head = ok.body.head as unknown as { seq: number; hash: string };
    await api.call('GET', '/api/audit/verify', `/api/audit/verify?anchor_seq=${head.seq}&anchor_hash=${head.hash}`, undefined, 200);
    await api.call('GET', '/api/audit/verify', `/api/audit/verify?anchor_seq=${head.seq}`, undefined, 422);
    const target = (await db.query<{ seq: number }>(`SELECT seq FROM audit_events WHERE subject_id = 't3'`)).rows[0]!.seq;
    await tamper(db, `DELETE FROM audit_events WHERE seq = ${target}`);
    const broken = await api.call('GET', '/api/audit/verify', '/api/audit/verify', undefined, 200);
    expect(broken.body).toMatchObject({ ok: false, checked: target - 1, first_bad: { seq: target + 1, problem: 'seq_gap' } });
  });

  it('declares no route that edits or deletes audit events, and answers 404 to one', async () => {
    const doc = await readJson(await app.request('/openapi.json'));
    const auditPaths = Object.entries(doc.paths as Record<string, Record<string, unknown>>).filter(([path]) => path.startsWith('/api/audit'));
    expect(auditPaths.map(([path]) => path).sort()).toEqual(['/api/audit', '/api/audit/export', '/api/audit/verify']);
    for (const [, methods] of auditPaths) expect(Object.keys(methods)).toEqual(['get']);
    for (const method of ['PUT', 'PATCH', 'DELETE', 'POST']) {
      const res = await app.request('/api/audit/1', { method, body: '{}', headers: { 'content-type': 'application/json' } });
      expect([404, 405], `${method} /api/audit/1`).toContain(res.status);
    }
  });
});
