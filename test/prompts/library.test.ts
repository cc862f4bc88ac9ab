// The library store: content-hashed versions, labels that move with audit events, references that
// resolve to exact versions, and strict rendering.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/index.js';
import type { Db } from '../../src/db/index.js';
import {
  deployLibraryEntry, diffLibraryVersions, getLibraryVersion, listLibrary, moveLibraryLabel, parseLibraryRef, referencedDocuments,
  renderPrompt, resolveLibraryRef, resolveLibraryRefs,
} from '../../src/prompts/index.js';
import { testDatabases } from '../support/databases.js';

const prompt = (template: string, extra = '') => `---
name: support/reply
description: Replies to a customer
rules:
  - Never ask for a PIN.
  - Answer from the documents.
tone: [warm, plain]
output_schema:
  type: object
  required: [reply]
  properties: { reply: { type: string } }
examples:
  - input: { query: Where is my card?, documents: [] }
    output: { reply: It takes 3 to 7 days. }
  - input: Plain text example
    output: '{"reply": "Plain answer"}'
references: [policies/refunds]
${extra}---
${template}
`;

const template = 'Customer: {{ query }}\n{% for d in documents %}[{{ d.title }}] {{ d.body }}\n{% endfor %}';

const refunds = (body: string) => `kind: document\nname: policies/refunds\ntitle: Refunds\ntype: policy\ntags: [money]\nbody: ${body}\n`;

describe.each(testDatabases())('the instruction library on $name', (database) => {
  let db: Db;
  beforeAll(async () => {
    db = await database.open();
  });
  afterAll(async () => {
    await db.close();
  });

  const deploy = (source: string, sourceName = 'reply.md', label?: string) => deployLibraryEntry(db, { source, sourceName, label, actor: 'builder@example.com' });

  it('stores a version once per content, numbers new content, and keeps the hash stable', async () => {
    const first = await deploy(prompt(template));
    expect(first).toMatchObject({ entry: { name: 'support/reply', kind: 'prompt' }, versionCreated: true, labelChanged: false });
    expect(first.version).toMatchObject({ number: 1, kind: 'prompt', created_by: 'builder@example.com', source_name: 'reply.md' });
    expect(first.version.id).toBe(`support/reply:${first.version.content_hash.slice(0, 12)}`);

    // Same content, other formatting and file name: no new version, no audit event.
    const again = await deploy(`${prompt(template).replace('tone: [warm, plain]', 'tone:\n  - warm\n  - plain\n# a comment')}\n\n`, 'elsewhere/reply.md');
    expect(again).toMatchObject({ versionCreated: false, version: { id: first.version.id, number: 1, content_hash: first.version.content_hash } });

    const changed = await deploy(prompt(`${template}\nThank you.`));
    expect(changed).toMatchObject({ versionCreated: true, version: { number: 2 } });
    expect(changed.version.content_hash).not.toBe(first.version.content_hash);
    const events = (await listAudit(db, 'library_entry', 'support/reply')).filter((e) => e.action === 'prompt:versioned');
    expect(events.map((e) => e.data)).toEqual([
      { kind: 'prompt', version: first.version.id, number: 1, hash: first.version.content_hash },
      { kind: 'prompt', version: changed.version.id, number: 2, hash: changed.version.content_hash },
    ]);
  });

  it('never stores half of a file with a problem', async () => {
    await expect(deploy(prompt('{{ query ', ''), 'broken.md', 'production')).rejects.toMatchObject({ code: 'invalid_input', problems: [expect.objectContaining({ path: expect.stringMatching(/^broken\.md:\d+:\d+ template$/) })] });
    await expect(deploy('kind: document\nname: support/reply\ntitle: T\ntype: faq\nbody: b\n', 'clash.yaml')).rejects.toMatchObject({ code: 'conflict' });
    const entry = (await listLibrary(db)).find((e) => e.name === 'support/reply')!;
    expect(entry.versions.map((v) => v.number)).toEqual([2, 1]);
    expect(entry.labels).toEqual([]);
  });

  it('moves labels, writing prompt:labelled with from and to in the same transaction', async () => {
    const moved = await moveLibraryLabel(db, { name: 'support/reply', label: 'production', version: '1', actor: 'lead@example.com' });
    expect(moved).toMatchObject({ name: 'support/reply', label: 'production', version_number: 1, moved_by: 'lead@example.com', changed: true });
    await moveLibraryLabel(db, { name: 'support/reply', label: 'staging', version: 'v2', actor: 'lead@example.com' });
    // Promote: production goes where staging is.
    expect(await moveLibraryLabel(db, { name: 'support/reply', label: 'production', version: 'staging', actor: 'lead@example.com' })).toMatchObject({ version_number: 2, changed: true });
    expect(await moveLibraryLabel(db, { name: 'support/reply', label: 'production', version: 2, actor: 'lead@example.com' })).toMatchObject({ changed: false });
    const labelled = (await listAudit(db, 'library_entry', 'support/reply')).filter((e) => e.action === 'prompt:labelled');
    expect(labelled.map((e) => ({ label: e.data.label, from: e.data.from, to: e.data.to, actor: e.actor }))).toEqual([
      { label: 'production', from: null, to: 1, actor: 'lead@example.com' },
      { label: 'staging', from: null, to: 2, actor: 'lead@example.com' },
      { label: 'production', from: 1, to: 2, actor: 'lead@example.com' },
    ]);
    await expect(moveLibraryLabel(db, { name: 'support/reply', label: 'production', version: '9', actor: 'x' })).rejects.toMatchObject({ code: 'not_found', message: 'support/reply has no version 9.' });
    await expect(moveLibraryLabel(db, { name: 'support/reply', label: 'Prod!', version: '1', actor: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(moveLibraryLabel(db, { name: 'support/reply', label: 'v2', version: '1', actor: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(moveLibraryLabel(db, { name: 'nobody/here', label: 'production', version: '1', actor: 'x' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('deploying with a label moves it, and a redeploy of the same content changes nothing', async () => {
    const d1 = await deploy(refunds('Refunds take 5 working days.'), 'refunds.yaml', 'production');
    expect(d1).toMatchObject({ versionCreated: true, labelChanged: true, version: { number: 1 } });
    const d2 = await deploy(refunds('Refunds take 5 working days.'), 'refunds.yaml', 'production');
    expect(d2).toMatchObject({ versionCreated: false, labelChanged: false });
    const d3 = await deploy(refunds('Refunds take up to 10 working days abroad.'), 'refunds.yaml', 'production');
    expect(d3).toMatchObject({ versionCreated: true, labelChanged: true, version: { number: 2 } });
    const events = (await listAudit(db, 'library_entry', 'policies/refunds')).map((e) => `${e.action} ${JSON.stringify(e.data.from ?? null)}->${JSON.stringify(e.data.to ?? e.data.number)}`);
    expect(events).toEqual(['prompt:versioned null->1', 'prompt:labelled null->1', 'prompt:versioned null->2', 'prompt:labelled 1->2']);
  });

  it('resolves @label, @N and bare names to exact versions', async () => {
    const bare = await resolveLibraryRef(db, 'support/reply');
    expect(bare).toMatchObject({ ref: 'support/reply@production', name: 'support/reply', kind: 'prompt', number: 2 });
    expect(bare.id).toMatch(/^support\/reply:[0-9a-f]{12}$/);
    expect(bare.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(bare.content).toMatchObject({ kind: 'prompt', name: 'support/reply', rules: ['Never ask for a PIN.', 'Answer from the documents.'] });
    expect(await resolveLibraryRef(db, 'support/reply@1')).toMatchObject({ ref: 'support/reply@1', number: 1 });
    expect(await resolveLibraryRef(db, 'support/reply@v1')).toMatchObject({ number: 1 });
    expect(await resolveLibraryRef(db, 'support/reply@staging')).toMatchObject({ ref: 'support/reply@staging', number: 2 });
    const all = await resolveLibraryRefs(db, ['support/reply@1', 'policies/refunds', 'support/reply']);
    expect(all.map((r) => `${r.name}@${r.number}`)).toEqual(['support/reply@1', 'policies/refunds@2', 'support/reply@2']);
    expect(await resolveLibraryRefs(db, [])).toEqual([]);
  });

  it('says clearly why a reference does not resolve, every one at once', async () => {
    await expect(resolveLibraryRef(db, 'support/nope')).rejects.toMatchObject({ code: 'not_found', message: 'support/nope@production: no library entry is named support/nope.' });
    await expect(resolveLibraryRef(db, 'support/reply@canary')).rejects.toMatchObject({
      code: 'not_found', message: 'support/reply@canary: support/reply has no label "canary".', hint: 'its labels are production (v2), staging (v2); or name a version number',
    });
    await expect(resolveLibraryRef(db, 'support/reply@7')).rejects.toMatchObject({ code: 'not_found', message: 'support/reply@7: support/reply has no version 7.', hint: 'its versions are 1 to 2' });
    await expect(resolveLibraryRef(db, 'policies/refunds', { kind: 'prompt' })).rejects.toMatchObject({ message: 'policies/refunds@production is a document, not a prompt.' });
    const error = await resolveLibraryRefs(db, ['support/reply', 'a/b', 'support/reply@9']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found', problems: [{ path: 'refs[1]' }, { path: 'refs[2]' }] });
    for (const bad of ['', 'Support/Reply', 'a@b@c', 'a@', '@production', 'a@0', 'a@Prod']) {
      expect(() => parseLibraryRef(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    }
    await expect(resolveLibraryRefs(db, ['ok/name', 'Bad'])).rejects.toMatchObject({ code: 'invalid_input', problems: [{ path: 'refs[1]' }] });
    expect(parseLibraryRef('a/b')).toEqual({ name: 'a/b', label: 'production' });
    expect(parseLibraryRef('a/b@12')).toEqual({ name: 'a/b', number: 12 });
  });

  it('shows a version by label, number or id, and diffs two versions line by line', async () => {
    const production = await getLibraryVersion(db, 'support/reply');
    expect(production.number).toBe(2);
    expect(production.source).toContain('Thank you.');
    expect((await getLibraryVersion(db, production.id)).number).toBe(2);
    expect((await getLibraryVersion(db, 'support/reply', '1')).number).toBe(1);
    const diff = await diffLibraryVersions(db, 'support/reply', '1', 'production');
    expect(diff).toMatchObject({ name: 'support/reply', from: { number: 1 }, to: { number: 2 } });
    expect(diff.changes).toEqual([{ path: 'template', change: 'changed', before: expect.any(String), after: expect.any(String), lines: [' {% endfor %}', '+Thank you.'] }]);
    expect((await diffLibraryVersions(db, 'support/reply', '2', 'staging')).changes).toEqual([]);
  });

  it('renders strictly, in the documented layout, with referenced documents', async () => {
    const version = await resolveLibraryRef(db, 'support/reply@1');
    const documents = await referencedDocuments(db, version);
    expect(documents).toEqual([{ name: 'policies/refunds', number: 2, title: 'Refunds', type: 'policy', tags: ['money'], body: 'Refunds take up to 10 working days abroad.' }]);
    const r = await renderPrompt(version, { query: 'Where is my refund?', documents });
    expect(r.system).toBe([
      'Rules:\n- Never ask for a PIN.\n- Answer from the documents.',
      'Tone:\n- warm\n- plain',
      'Answer with one JSON object that matches this JSON Schema, and nothing else:\n' +
        JSON.stringify({ properties: { reply: { type: 'string' } }, required: ['reply'], type: 'object' }, null, 2),
    ].join('\n\n'));
    expect(r.messages).toEqual([
      { role: 'user', content: 'Customer: Where is my card?\n' },
      { role: 'assistant', content: '{"reply":"It takes 3 to 7 days."}' },
      { role: 'user', content: 'Plain text example' },
      { role: 'assistant', content: '{"reply": "Plain answer"}' },
      { role: 'user', content: 'Customer: Where is my refund?\n[Refunds] Refunds take up to 10 working days abroad.\n' },
    ]);
    expect(r).toMatchObject({ outputSchema: { type: 'object' }, model: undefined, parameters: {}, confidenceThreshold: undefined });
  });

  it('names every missing variable, and a missing nested one', async () => {
    const version = await resolveLibraryRef(db, 'support/reply@1');
    await expect(renderPrompt(version, {})).rejects.toMatchObject({
      code: 'invalid_input', message: 'Prompt support/reply v1 needs the variables documents, query.', details: { missing: ['documents', 'query'] },
    });
    await expect(renderPrompt(version, { query: 'x', documents: [{ title: 'no body' }] })).rejects.toMatchObject({
      code: 'invalid_input', message: 'Prompt support/reply v1 template: the variable d.body is missing.',
    });
    await expect(renderPrompt(await resolveLibraryRef(db, 'policies/refunds'), {})).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('is a document, not a prompt') });
  });

  it('inserts user text as data, never as template syntax', async () => {
    const version = await resolveLibraryRef(db, 'support/reply@1');
    const hostile = 'Ignore that. {{ secret }} {% raw %}{{ x }}{% endraw %} {% include "/etc/passwd" %} {{ documents | size }}';
    const r = await renderPrompt(version, { query: hostile, documents: [{ title: '{{ query }}', body: '{% for x in (1..3) %}x{% endfor %}' }], secret: 's3cr3t' });
    expect(r.messages.at(-1)!.content).toBe(`Customer: ${hostile}\n[{{ query }}] {% for x in (1..3) %}x{% endfor %}\n`);
    expect(r.messages.at(-1)!.content).not.toContain('s3cr3t');
  });

  it('gives templates plain data only: no functions, prototypes or constructors', async () => {
    const { version } = await deploy('name: probe/globals\ndescription: d\ntemplate: "[{{ v.constructor }}]"\n', 'probe.yaml');
    await expect(renderPrompt(version, { v: {} })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('v.constructor is missing') });
    const fn = await deploy('name: probe/fn\ndescription: d\ntemplate: "[{{ f }}]"\n', 'fn.yaml');
    expect((await renderPrompt(fn.version, { f: 'text' })).messages.at(-1)!.content).toBe('[text]');
    await expect(renderPrompt(fn.version, { f: () => 'called' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('needs the variable f') });
  });

  it('lists entries with their versions, labels and summaries', async () => {
    const entries = await listLibrary(db);
    expect(entries.map((e) => e.name)).toEqual(['policies/refunds', 'probe/fn', 'probe/globals', 'support/reply']);
    const refundsEntry = entries[0]!;
    expect(refundsEntry).toMatchObject({ kind: 'document', summary: 'Refunds', type: 'policy', labels: [{ label: 'production', version_number: 2 }] });
    expect((await listLibrary(db, { kind: 'document' })).map((e) => e.name)).toEqual(['policies/refunds']);
  });
});
