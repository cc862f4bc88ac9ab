import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite, type Db } from '../src/db/index.js';
import { describeSchema, shortDiff } from './dump-schema.js';

describe('shortDiff', () => {
  it('shows removed lines before added ones, with one line of context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].join('\n');
    const after = ['a', 'b', 'C', 'd', 'e', 'f', 'g', 'h'].join('\n');
    expect(shortDiff(before, after)).toBe([' b', '-c', '+C', ' d', '@@', ' g', '+h'].join('\n'));
  });

  it('cuts a long diff and says how much was left out', () => {
    const after = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    const lines = shortDiff('', after, 10).split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toBe('... 41 more diff lines');
  });
});

describe('describeSchema', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openPglite({ fsync: false });
    await db.exec(`
      CREATE TYPE mood AS ENUM ('calm', 'busy');
      CREATE TABLE "order" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mood mood NOT NULL DEFAULT 'calm', note text);
      CREATE TABLE a_first (id text PRIMARY KEY, order_id bigint REFERENCES "order" (id));
      CREATE INDEX a_first_order ON a_first (order_id);
      CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'append-only'; END $$;
      CREATE TRIGGER order_append_only BEFORE UPDATE ON "order" FOR EACH ROW EXECUTE FUNCTION refuse();
    `);
  });
  afterAll(() => db.close());

  it('lists tables by name with columns, constraints, indexes and triggers, then the other objects', async () => {
    const text = await describeSchema(db);
    expect(text).toMatch(/^-- The Keel database schema/);
    expect(text.indexOf('CREATE TABLE a_first (')).toBeLessThan(text.indexOf('CREATE TABLE "order" ('));
    expect(text).toContain('  id bigint GENERATED ALWAYS AS IDENTITY NOT NULL,');
    expect(text).toContain("  mood mood NOT NULL DEFAULT 'calm'::mood,");
    expect(text).toContain('  CONSTRAINT a_first_order_id_fkey FOREIGN KEY (order_id) REFERENCES "order"(id)');
    expect(text).toContain('CREATE INDEX a_first_order ON public.a_first USING btree (order_id);');
    expect(text).not.toContain('CREATE UNIQUE INDEX order_pkey');
    expect(text).toContain('CREATE TRIGGER order_append_only BEFORE UPDATE ON public."order"');
    expect(text).toContain("CREATE TYPE mood AS ENUM ('calm', 'busy');");
    expect(text).toContain('CREATE OR REPLACE FUNCTION public.refuse()');
    expect(text).not.toContain('CREATE SEQUENCE');
  });

  it('is the same text every time', async () => {
    expect(await describeSchema(db)).toBe(await describeSchema(db));
  });
});
