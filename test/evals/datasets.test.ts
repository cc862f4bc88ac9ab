// Dataset versions: an import of 3,000 BANKING77 rows is one new version; a file with bad rows is
// refused naming every bad line and stores nothing; adding by hand, removing and adding from a
// review each make a version while older versions keep their own cases; only those who may deploy
// the workflow change its datasets. The routes answer as their contract says.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, createUser, loadAccess, setWorkflowMember } from '../../src/auth/index.js';
import { listMigrations, migrate, openPglite, type Db } from '../../src/db/index.js';
import { addCase, addCaseFromReview, datasetVersionCases, importCases } from '../../src/evals/index.js';
import { parseCsv } from '../../src/models/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { deploy } from '../support/harness.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const workflow = `
id: banking
title: Banking questions
owner: ops@example.com
risk: low
triggers: [ { manual: {} } ]
input: { type: object }
steps:
  - id: check
    kind: review
    title: Look at it
`;

const quote = (field: string) => `"${field.replaceAll('"', '""')}"`;

/** The first `count` rows of the shipped BANKING77 training file, as an import file: input.text and expected.label. */
async function banking77(count: number): Promise<string> {
  const { records } = parseCsv(await readFile(new URL('../../workflows/data/banking77/train.csv', import.meta.url), 'utf8'));
  const rows = records.slice(1, count + 1).map((r) => `${quote(r.fields[0]!)},${quote(r.fields[1]!)}`);
  return ['input.text,expected.label', ...rows].join('\n');
}

async function caseCount(db: Db, dataset: string): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dataset_cases WHERE workflow_id = 'banking' AND dataset = $1`, [dataset]);
  return r.rows[0]!.n;
}

/** What content_hash is: sha256 of the member ids, sorted by code point, joined by newlines. */
const hashOf = (ids: string[]) => createHash('sha256').update([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join('\n')).digest('hex');

describe('the dataset versions migration', () => {
  it('makes version 1 of every dataset that had cases, and the next change version 2', async () => {
    const db = await openPglite({ fsync: false });
    try {
      const all = listMigrations();
      const at = all.findIndex((m) => m.id === '0015_datasets');
      await migrate(db, all.slice(0, at));
      await db.query(`INSERT INTO workflows (id, kind, title, owner, risk) VALUES ('old', 'external', 'Old', 'ops@example.com', 'low')`);
      for (const id of ['case_b', 'case_a']) {
        await db.query(`INSERT INTO dataset_cases (id, workflow_id, dataset, input, expected, source, created_by) VALUES ($1, 'old', 'golden', '{}', '1', 'review', 'ana')`, [id]);
      }
      await migrate(db, all);
      const v1 = await datasetVersionCases(db, 'old', 'golden', 'latest');
      expect(v1.version).toMatchObject({ number: 1, case_count: 2, change: 'existing', content_hash: hashOf(['case_a', 'case_b']) });
      const added = await addCase(db, { workflowId: 'old', dataset: 'golden', input: { text: 'new' }, expected: 'x', actor: 'ana' });
      expect(added.version).toMatchObject({ number: 2, case_count: 3, content_hash: hashOf(['case_a', 'case_b', added.case.id]) });
    } finally {
      await db.close();
    }
  });
});

describe.each(testDatabases())('dataset versions on $name', (database) => {
  let db: Db;
  let api: Awaited<ReturnType<typeof contractChecker>>;

  beforeAll(async () => {
    db = await database.open();
    await deploy(db, workflow);
    api = await contractChecker(withToken(testHttpApp(db), (await createTestIdentity(db)).token));
  });
  afterAll(async () => {
    await db.close();
  });

  it('imports 3,000 BANKING77 rows as one new version with 3,000 cases, audited', async () => {
    const content = await banking77(3000);
    const r = await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/import', '/api/workflows/banking/datasets/b77/import',
      { format: 'csv', content, tags: ['banking77'], note: 'train.csv' }, 201);
    expect(r.body).toMatchObject({ imported: 3000, version: { workflow_id: 'banking', dataset: 'b77', number: 1, case_count: 3000, change: 'import', note: 'train.csv' } });
    const read = await datasetVersionCases(db, 'banking', 'b77', 'latest');
    expect(read.version.number).toBe(1);
    expect(read.cases).toHaveLength(3000);
    expect(read.cases[0]).toMatchObject({
      input: { text: 'I am still waiting on my card?' }, expected: { label: 'card_arrival' }, tags: ['banking77'], source: 'import', added_in: 1, removed_in: null,
    });
    expect(read.version.content_hash).toBe(hashOf(read.cases.map((c) => c.id)));
    const audit = await db.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_events WHERE action = 'dataset:imported' AND subject_id = 'banking/b77'`);
    expect(audit.rows).toEqual([{ data: expect.objectContaining({ imported: 3000, version: 1, case_count: 3000, format: 'csv' }) }]);

    const page = await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/versions/{n}/cases', '/api/workflows/banking/datasets/b77/versions/1/cases?limit=2&offset=2998', undefined, 200);
    expect((page.body.cases as unknown as unknown[]).length).toBe(2);
    const list = await api.call('GET', '/api/workflows/{id}/datasets', '/api/workflows/banking/datasets', undefined, 200);
    expect(list.body.datasets).toMatchObject([{ dataset: 'b77', versions: 1, latest: { number: 1, case_count: 3000 } }]);
  });

  it('refuses a file with bad rows naming every bad line, and stores nothing', async () => {
    await importCases(db, { workflowId: 'banking', dataset: 'strict', format: 'jsonl', content: '{"input":{"text":"hi"},"expected":"greeting"}', actor: 'ana' });
    const jsonl = [
      '{"input": {"text": "fine"}, "expected": {"label": "ok"}, "tags": "a|b"}',
      '{"input": {"text": "broken"',
      '{"expected": "no input"}',
      '{"input": {"text": "x"}, "expected": 1, "colour": "red"}',
      '{"input": {"text": "fine too"}, "expected": "plain"}',
    ].join('\n');
    const refused = await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/import', '/api/workflows/banking/datasets/strict/import', { format: 'jsonl', content: jsonl }, 422);
    expect(refused.body.detail).toBe('the JSON Lines file: 3 bad rows; nothing was imported');
    expect(refused.body.problems).toEqual([
      { path: 'line 2', message: expect.stringMatching(/^is not valid JSON/) },
      { path: 'line 3', message: 'has no "input"' },
      { path: 'line 4', message: 'unknown field "colour"' },
    ]);

    const csv = [
      'input.text,expected.label,colour,input.text',
      'fine,ok,red,again',
      'short,row',
      ',ok,red,',
      '"never closed,ok,red,x',
    ].join('\n');
    await expect(importCases(db, { workflowId: 'banking', dataset: 'strict', format: 'csv', content: csv, actor: 'ana', note: 'bad.csv' })).rejects.toMatchObject({
      code: 'invalid_input', message: 'bad.csv: 5 bad rows; nothing was imported',
      problems: [
        { path: 'line 1', message: 'unknown column "colour" (columns: input or input.<field>, expected or expected.<field>, tags, source)' },
        { path: 'line 1', message: 'the header names column "input.text" twice' },
        { path: 'line 3', message: 'has 2 fields; the header has 4 (a comma in a value needs quotes)' },
        { path: 'line 4', message: 'the input is empty' },
        { path: 'line 5', message: expect.stringContaining('never closed') },
      ],
    });
    const inputJson = 'input,expected\n"{""text"": ""ok""}",yes\n"{not json}",no\n"[1]",no';
    await expect(importCases(db, { workflowId: 'banking', dataset: 'strict', format: 'csv', content: inputJson, actor: 'ana' })).rejects.toMatchObject({
      problems: [{ path: 'line 3', message: expect.stringMatching(/^the input is not valid JSON/) }, { path: 'line 4', message: 'the input is not a JSON object' }],
    });
    expect(await caseCount(db, 'strict')).toBe(1);
    expect((await datasetVersionCases(db, 'banking', 'strict', 'latest')).version.number).toBe(1);
  });

  it('makes a version for each case added by hand or removed; older versions keep their own cases', async () => {
    const first = await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/banking/datasets/hand/cases',
      { input: { text: 'lost my card' }, expected: { label: 'lost_or_stolen_card' }, tags: ['cards'] }, 201);
    expect(first.body).toMatchObject({ version: { number: 1, case_count: 1, change: 'add' }, case: { source: 'hand', added_in: 1 } });
    const second = await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/banking/datasets/hand/cases',
      { input: { text: 'card arrived?' }, expected: 'card_arrival' }, 201);
    expect(second.body).toMatchObject({ version: { number: 2, case_count: 2 } });
    const firstId = (first.body.case as unknown as { id: string }).id;
    const removed = await api.call('DELETE', '/api/workflows/{id}/datasets/{dataset}/cases/{caseId}', `/api/workflows/banking/datasets/hand/cases/${firstId}`, undefined, 200);
    expect(removed.body).toMatchObject({ version: { number: 3, case_count: 1, change: 'remove' } });
    await api.call('DELETE', '/api/workflows/{id}/datasets/{dataset}/cases/{caseId}', `/api/workflows/banking/datasets/hand/cases/${firstId}`, undefined, 409);
    await api.call('DELETE', '/api/workflows/{id}/datasets/{dataset}/cases/{caseId}', '/api/workflows/banking/datasets/hand/cases/case_missing', undefined, 404);

    const texts = async (n: number | 'latest') => (await datasetVersionCases(db, 'banking', 'hand', n)).cases.map((c) => (c.input as { text: string }).text);
    expect(await texts(1)).toEqual(['lost my card']);
    expect(await texts(2)).toEqual(['lost my card', 'card arrived?']);
    expect(await texts('latest')).toEqual(['card arrived?']);
    const v2 = await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/versions/{n}/cases', '/api/workflows/banking/datasets/hand/versions/2/cases', undefined, 200);
    expect(v2.body).toMatchObject({ version: { number: 2, case_count: 2 }, cases: [{ id: firstId, removed_in: 3 }, {}] });
    await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/versions/{n}/cases', '/api/workflows/banking/datasets/hand/versions/9/cases', undefined, 404);
    await api.call('GET', '/api/workflows/{id}/datasets/{dataset}/versions/{n}/cases', '/api/workflows/banking/datasets/hand/versions/first/cases', undefined, 422);
    await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/banking/datasets/hand/cases', { input: 'text', expected: 1 }, 422);
    await api.call('POST', '/api/workflows/{id}/datasets/{dataset}/cases', '/api/workflows/nobody/datasets/hand/cases', { input: {}, expected: 1 }, 404);

    const actions = await db.query<{ action: string }>(`SELECT action FROM audit_events WHERE data->>'dataset' = 'hand' ORDER BY id`);
    expect(actions.rows.map((r) => r.action)).toEqual(['dataset:case_added', 'dataset:case_added', 'dataset:case_removed']);
  });

  it('makes a version when a decided review is added, after an import', async () => {
    const v = await db.query<{ id: string }>(`SELECT id FROM workflow_versions WHERE workflow_id = 'banking'`);
    await db.query(
      `INSERT INTO runs (id, workflow_id, version_id, stage, status, trigger_kind, input) VALUES ('run_ds', 'banking', $1, 'production', 'succeeded', 'manual', '{"text":"refund?"}')`, [v.rows[0]!.id],
    );
    await db.query(
      `INSERT INTO reviews (id, run_id, step_id, workflow_id, version_id, status, reason, proposed, decided_at, decided_by)
       VALUES ('rev_ds', 'run_ds', 'check', 'banking', $1, 'approved', 'low_confidence', '{"label":"refund"}', now(), 'ana')`, [v.rows[0]!.id],
    );
    const added = await addCaseFromReview(db, { reviewId: 'rev_ds', actor: 'ana', dataset: 'strict' });
    expect(added).toMatchObject({ created: true, version: 2, case: { added_in: 2, source: 'review' } });
    const latest = await datasetVersionCases(db, 'banking', 'strict', 'latest');
    expect(latest.version).toMatchObject({ number: 2, case_count: 2, change: 'review' });
    expect((await datasetVersionCases(db, 'banking', 'strict', 1)).cases).toHaveLength(1);
    expect(await addCaseFromReview(db, { reviewId: 'rev_ds', actor: 'ana', dataset: 'strict' })).toMatchObject({ created: false, version: 2 });
  });

  it('lets an owner of the workflow import and refuses a viewer', async () => {
    const viewer = await createTestIdentity(db, ['viewer']);
    const owner = await createUser(db, { email: `owner-${Date.now()}@example.com`, roles: [] }, 'test', { minPasswordLength: 12 });
    await setWorkflowMember(db, 'banking', { kind: 'user', member: owner.id, role: 'owner' }, true, 'test');
    const ownerToken = (await createToken(db, await loadAccess(db, owner.id, { via: 'session' }), { name: 'test', scopes: ['workflows:read', 'workflows:deploy'] })).secret;
    const body = JSON.stringify({ format: 'csv', content: 'input.text,expected\nhello,greeting' });
    const send = (token: string) => withToken(testHttpApp(db), token).request('/api/workflows/banking/datasets/owned/import', {
      method: 'POST', body, headers: { 'content-type': 'application/json' },
    });
    expect((await send(viewer.token)).status).toBe(403);
    expect(await caseCount(db, 'owned')).toBe(0);
    const ok = await send(ownerToken);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ imported: 1, version: { number: 1, created_by: owner.email } });
  });
});
