// Retrieval over the example library: full-text ranking on both databases, and vector ranking with a
// deterministic embedder through pgvector (PGlite with the extension) and through the SQL fallback
// (plain PGlite, and PostgreSQL, which has no pgvector on this machine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/audit/index.js';
import { migrate, openPglite, type Db } from '../../src/db/index.js';
import { createLogger } from '../../src/logging.js';
import { deployLibraryEntry, embedDocuments, hasPgvector, loadLibraryFolder, searchDocuments, type EmbedFn } from '../../src/prompts/index.js';
import { testDatabases, type TestDatabase } from '../support/databases.js';

const dimensions = 512;

/** The set of words, hashed into a fixed number of dimensions: the same text always gives the same vector. */
function embedText(text: string): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]{3,}/g) ?? []) {
    let h = 2166136261;
    for (const ch of word.replace(/(ing|ed|s)$/, '')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
    v[(h >>> 0) % dimensions] = 1;
  }
  return v;
}

function fakeEmbedder(): EmbedFn & { calls: string[][] } {
  const calls: string[][] = [];
  return Object.assign(async (texts: string[]) => {
    calls.push(texts);
    return texts.map(embedText);
  }, { calls });
}

const withPgvector: TestDatabase = {
  name: 'pglite',
  async open() {
    const db = await openPglite({ fsync: false, vector: true });
    await migrate(db);
    return db;
  },
};

const databases = [
  ...testDatabases().map((d) => ({ label: `${d.name} (vectors by ${d.name === 'pglite' ? 'the SQL fallback' : 'pgvector if installed, else the SQL fallback'})`, database: d, pgvector: false })),
  { label: 'pglite with pgvector', database: withPgvector, pgvector: true },
];

const silent = createLogger('silent');

describe.each(databases)('library search on $label', ({ database, pgvector }) => {
  let db: Db;
  beforeAll(async () => {
    db = await database.open();
    const report = await loadLibraryFolder(db, 'prompts', { label: 'production', actor: 'keel:startup', logger: silent });
    expect(report.skipped).toEqual([]);
    expect(report.deployed).toHaveLength(9);
  });
  afterAll(async () => {
    await db.close();
  });

  const top = async (query: string, opts = {}) => (await searchDocuments(db, { query, limit: 3, ...opts })).map((r) => r.name);

  it.each([
    ['I ordered my card last week and it still has not arrived', 'policies/card-delivery'],
    ['someone stole my card', 'policies/lost-or-stolen-cards'],
    ['the shop promised a refund but it is not showing up', 'policies/refunds-and-disputes'],
    ['my top-up failed, was I charged?', 'faq/top-up-failures'],
    ['what exchange rate do you use when I pay abroad', 'faq/exchange-rates-and-fees'],
    ['I typed the wrong PIN three times and now it is blocked', 'faq/pin-blocked'],
    ['why do you need to verify my identity', 'policies/identity-verification'],
    ['card payment declined card_payment declined_card_payment', 'faq/declined-payments'],
  ])('full text ranks the relevant document first: %s', async (query, expected) => {
    const results = await searchDocuments(db, { query, limit: 3, includeBody: false });
    expect(results[0]).toMatchObject({ name: expected, number: 1, method: 'fulltext' });
    expect(results[0]!.score).toBeGreaterThan(results[1]?.score ?? 0);
    expect(results[0]!.version).toMatch(new RegExp(`^${expected}:[0-9a-f]{12}$`));
    expect(results[0]!.snippet).toMatch(/«\w+»/);
    expect(results[0]).not.toHaveProperty('body');
  });

  it('gives the full text by default, filters by type, tags and label, and honours websearch operators', async () => {
    const [first] = await searchDocuments(db, { query: 'pin blocked', limit: 1 });
    expect(first!.body).toContain('3 wrong PIN entries');
    expect(first!.tags).toContain('pin_blocked');
    expect(await top('card', { types: ['faq'] })).toHaveLength(3);
    for (const name of await top('card', { types: ['faq'] })) expect(name).toMatch(/^faq\//);
    expect(await top('card', { tags: ['delivery', 'pin'] })).toEqual(expect.arrayContaining(['policies/card-delivery', 'faq/pin-blocked']));
    expect(await top('card', { tags: ['delivery', 'pin'] })).toHaveLength(2);
    expect(await top('card', { label: 'staging' })).toEqual([]);
    // Literal queries: a phrase must appear as written; -word excludes.
    expect(await top('"weekend exchange fee"')).toEqual(['faq/exchange-rates-and-fees']);
    expect(await top('stolen -freeze')).not.toContain('policies/lost-or-stolen-cards');
    expect(await top('stolen')).toContain('policies/lost-or-stolen-cards');
    expect(await top('the and of')).toEqual([]);
    await expect(searchDocuments(db, { query: '  ' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(searchDocuments(db, { query: 'x', limit: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('searches the version a label points at', async () => {
    const source = `---\nkind: document\nname: faq/pin-blocked\ntitle: PIN help\ntype: faq\n---\nPINs are unblocked by a giraffe.\n`;
    await deployLibraryEntry(db, { source, sourceName: 'pin.md', label: 'staging', actor: 'test' });
    expect((await searchDocuments(db, { query: 'giraffe', label: 'staging' }))[0]).toMatchObject({ name: 'faq/pin-blocked', number: 2 });
    expect(await top('giraffe')).toEqual([]);
  });

  it('uses pgvector only where it is available', async () => {
    const available = (await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`)).rows.length > 0;
    expect(await hasPgvector(db)).toBe(available);
    if (pgvector) expect(available).toBe(true);
  });

  it('ranks by vector similarity once documents are embedded, and embeds only what is missing', async () => {
    const embed = fakeEmbedder();
    // No embeddings yet: the search is full text and the embedding model is not even called.
    expect((await searchDocuments(db, { query: 'stolen card', limit: 2 }, embed))[0]!.method).toBe('fulltext');
    expect(embed.calls).toEqual([]);

    expect(await embedDocuments(db, 'fake-bow', embed, { batchSize: 4 })).toBe(9); // 8 at production, 1 at staging
    expect(embed.calls.map((c) => c.length)).toEqual([4, 4, 1]);
    expect(await embedDocuments(db, 'fake-bow', embed)).toBe(0);
    expect((await listAudit(db, 'embedding_model', 'fake-bow')).map((e) => e.data)).toEqual([{ documents: 9 }]);

    const query = 'my card was stolen: freeze it, cancel it, and send a replacement';
    const results = await searchDocuments(db, { query, limit: 3 }, embed);
    expect(results.map((r) => r.method)).toEqual(['vector', 'vector', 'vector']);
    // The same order and scores as cosine similarity computed here over every document at production.
    const docs = (await db.query<{ name: string; title: string; body: string }>(
      `SELECT v.name, d.title, d.body FROM library_labels l JOIN library_versions v ON v.id = l.version_id JOIN library_documents d ON d.version_id = v.id WHERE l.label = 'production'`,
    )).rows;
    const expected = docs.map((d) => ({ name: d.name, score: cosine(embedText(query), embedText(`${d.title}\n\n${d.body}`)) }))
      .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name)).slice(0, 3);
    expect(results.map((r) => r.name)).toEqual(expected.map((e) => e.name));
    results.forEach((r, i) => expect(r.score).toBeCloseTo(expected[i]!.score, 5));
    const installed = (await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'vector'`)).rows.length > 0;
    expect(installed).toBe(await hasPgvector(db));
    if (pgvector) expect(installed).toBe(true);
    expect((await searchDocuments(db, { query: 'exchange rate abroad fees', limit: 1 }, embed))[0]!.name).toBe('faq/exchange-rates-and-fees');
  });

  it('finds documents not embedded yet by full text after the vector hits, and ignores vectors of another size', async () => {
    const embed = fakeEmbedder();
    const source = 'kind: document\nname: faq/savings\ntitle: Savings pots\ntype: faq\nbody: Savings pots pay 3% interest on balances of any size.\n';
    await deployLibraryEntry(db, { source, sourceName: 'savings.yaml', label: 'production', actor: 'test' });
    const results = await searchDocuments(db, { query: 'savings interest', limit: 20, types: ['faq'] }, embed);
    expect(results.at(-1)).toMatchObject({ name: 'faq/savings', method: 'fulltext' });
    expect(results.slice(0, -1).every((r) => r.method === 'vector')).toBe(true);
    const otherSize: EmbedFn = async (texts) => texts.map(() => [1, 0, 0]);
    expect((await searchDocuments(db, { query: 'savings interest', limit: 1 }, otherSize))[0]).toMatchObject({ name: 'faq/savings', method: 'fulltext' });
    expect((await searchDocuments(db, { query: 'savings interest', limit: 1, embeddingModel: 'another-model' }, embed))[0]!.method).toBe('fulltext');
    const broken: EmbedFn = async () => [];
    await expect(searchDocuments(db, { query: 'savings' }, broken)).rejects.toMatchObject({ code: 'step_failed' });
  });
});

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}
