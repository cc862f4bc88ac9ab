// The library API, each answer checked against the OpenAPI document the app serves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import { contractChecker } from '../support/contract.js';
import { testDatabases } from '../support/databases.js';
import { createTestIdentity, testHttpApp, withToken } from '../support/identity.js';

const doc = (body: string) => `---\nkind: document\nname: faq/cards\ntitle: Card questions\ntype: faq\ntags: [cards]\n---\n${body}\n`;
const prompt = (template: string) => `name: support/reply\ndescription: Replies\ntemplate: "${template}"\nreferences: [faq/cards]\n`;

describe.each(testDatabases())('the library API on $name', (database) => {
  let db: Db;
  let api: Awaited<ReturnType<typeof contractChecker>>;
  let viewer: Awaited<ReturnType<typeof contractChecker>>;
  beforeAll(async () => {
    db = await database.open();
    const app = testHttpApp(db);
    api = await contractChecker(withToken(app, (await createTestIdentity(db, ['builder'])).token));
    viewer = await contractChecker(withToken(app, (await createTestIdentity(db, ['viewer'])).token));
  });
  afterAll(async () => {
    await db.close();
  });

  it('deploys library files, once per content, moving the label asked for', async () => {
    const first = await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: doc('A new card arrives in 3 to 7 days.'), source_name: 'cards.md', label: 'production' }, 200);
    expect(first.body).toMatchObject({ entry: { name: 'faq/cards', kind: 'document' }, version: { number: 1, source_name: 'cards.md' }, version_created: true, label: 'production', label_changed: true });
    const again = await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: doc('A new card arrives in 3 to 7 days.'), source_name: 'cards.md', label: 'production' }, 200);
    expect(again.body).toMatchObject({ version_created: false, label_changed: false, version: { number: 1 } });
    await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: doc('A new card arrives in 2 to 5 days.'), source_name: 'cards.md' }, 200);
    await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: prompt('Hi {{ name }}'), source_name: 'reply.yaml', label: 'production' }, 200);
    const problem = await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: 'name: x\ntemplat: hi\n', source_name: 'bad.yaml' }, 422);
    expect(problem.body).toMatchObject({ code: 'invalid_input', problems: [{ path: 'bad.yaml:1:1 description' }, { path: 'bad.yaml:1:1 template' }, { path: 'bad.yaml:2:1 templat' }] });
    const clash = await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: 'kind: document\nname: support/reply\ntitle: t\ntype: faq\nbody: b\n' }, 409);
    expect(clash.body).toMatchObject({ code: 'conflict' });
    await api.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source_name: 'x.yaml' }, 422);
  });

  it('lists entries with versions and labels, and shows one version by label, number or id', async () => {
    const list = await viewer.call('GET', '/api/prompts', '/api/prompts', undefined, 200);
    const entries = list.body.entries as unknown as Array<{ name: string; versions: { number: number }[]; labels: { label: string; version_number: number }[] }>;
    expect(entries.map((e) => [e.name, e.versions.map((v) => v.number), e.labels.map((l) => `${l.label}@${l.version_number}`)])).toEqual([
      ['faq/cards', [2, 1], ['production@1']],
      ['support/reply', [1], ['production@1']],
    ]);
    expect(((await viewer.call('GET', '/api/prompts', '/api/prompts?kind=prompt', undefined, 200)).body.entries as unknown as unknown[])).toHaveLength(1);
    await viewer.call('GET', '/api/prompts', '/api/prompts?kind=bogus', undefined, 422);

    const shown = await viewer.call('GET', '/api/prompts/version', '/api/prompts/version?name=faq/cards', undefined, 200);
    expect(shown.body).toMatchObject({ name: 'faq/cards', number: 1, kind: 'document', content: { title: 'Card questions', body: 'A new card arrives in 3 to 7 days.' } });
    expect(shown.body.source).toContain('kind: document');
    const byNumber = await viewer.call('GET', '/api/prompts/version', '/api/prompts/version?name=faq%2Fcards&ref=2', undefined, 200);
    expect(byNumber.body).toMatchObject({ number: 2 });
    const byId = await viewer.call('GET', '/api/prompts/version', `/api/prompts/version?name=faq/cards&ref=${encodeURIComponent(String(byNumber.body.id))}`, undefined, 200);
    expect(byId.body).toMatchObject({ number: 2 });
    expect((await viewer.call('GET', '/api/prompts/version', '/api/prompts/version?name=faq/cards&ref=9', undefined, 404)).body).toMatchObject({ detail: 'faq/cards has no version 9.' });
    expect((await viewer.call('GET', '/api/prompts/version', '/api/prompts/version?name=faq/nope', undefined, 404)).body).toMatchObject({ detail: 'No library entry is named faq/nope.' });
    await viewer.call('GET', '/api/prompts/version', '/api/prompts/version?name=faq/cards&ref=Bad!', undefined, 422);
  });

  it('diffs two versions and moves a label, auditing the move as the caller', async () => {
    const diff = await viewer.call('GET', '/api/prompts/diff', '/api/prompts/diff?name=faq/cards&from=production&to=2', undefined, 200);
    expect(diff.body).toMatchObject({ from: { number: 1 }, to: { number: 2 }, changes: [{ path: 'body', change: 'changed', before: 'A new card arrives in 3 to 7 days.', after: 'A new card arrives in 2 to 5 days.' }] });
    await viewer.call('GET', '/api/prompts/diff', '/api/prompts/diff?name=faq/cards&from=1', undefined, 422);

    const moved = await api.call('POST', '/api/prompts/labels', '/api/prompts/labels', { name: 'faq/cards', label: 'production', version: '2' }, 200);
    expect(moved.body).toMatchObject({ name: 'faq/cards', label: 'production', version_number: 2, changed: true, moved_by: expect.stringMatching(/@example\.com$/) });
    const same = await api.call('POST', '/api/prompts/labels', '/api/prompts/labels', { name: 'faq/cards', label: 'production', version: 'v2' }, 200);
    expect(same.body).toMatchObject({ changed: false });
    await api.call('POST', '/api/prompts/labels', '/api/prompts/labels', { name: 'faq/cards', label: 'production', version: '7' }, 404);
    await api.call('POST', '/api/prompts/labels', '/api/prompts/labels', { name: 'faq/cards', label: 'Not A Label', version: '1' }, 422);
    const labelled = (await listAudit(db, 'library_entry', 'faq/cards')).filter((e) => e.action === 'prompt:labelled');
    expect(labelled.map((e) => [e.data.from, e.data.to])).toEqual([[null, 1], [1, 2]]);
    expect(labelled[1]!.actor).toBe(moved.body.moved_by);
    expect(labelled[1]!.request_id).toEqual(expect.any(String));
  });

  it('searches the documents at a label', async () => {
    const r = await viewer.call('GET', '/api/library/search', '/api/library/search?q=when%20does%20my%20card%20arrive', undefined, 200);
    expect(r.body.results).toEqual([expect.objectContaining({ name: 'faq/cards', number: 2, type: 'faq', method: 'fulltext', snippet: '«card» «arrives» in 2 to 5 days' })]);
    expect((r.body.results as unknown as object[])[0]).not.toHaveProperty('body');
    const old = await viewer.call('GET', '/api/library/search', '/api/library/search?q=card&label=staging', undefined, 200);
    expect(old.body.results).toEqual([]);
    expect((await viewer.call('GET', '/api/library/search', '/api/library/search?q=card&types=policy', undefined, 200)).body.results).toEqual([]);
    expect((await viewer.call('GET', '/api/library/search', '/api/library/search?q=card&types=faq&tags=cards,other&limit=1', undefined, 200)).body.results).toHaveLength(1);
    await viewer.call('GET', '/api/library/search', '/api/library/search?q=card&types=memo', undefined, 422);
    await viewer.call('GET', '/api/library/search', '/api/library/search?q=card&limit=99', undefined, 422);
    await viewer.call('GET', '/api/library/search', '/api/library/search', undefined, 422);
  });

  it('refuses changes from someone who may only read', async () => {
    await viewer.call('POST', '/api/prompts/labels', '/api/prompts/labels', { name: 'faq/cards', label: 'production', version: '1' }, 403);
    await viewer.call('POST', '/api/prompts/deploy', '/api/prompts/deploy', { source: doc('x') }, 403);
  });
});
