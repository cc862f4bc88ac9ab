import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openPostgres, type Db } from './index.js';
import { createPostgresDatabase, postgresTestUrl, testDatabases } from '../../test/support/databases.js';

describe.each(testDatabases())('database port on $name', (database) => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('applies every migration once and records it', async () => {
    db = await database.open();
    const again = await migrate(db);
    expect(again).toEqual([]);
    const r = await db.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(r.rows.map((x) => x.id)).toContain('0001_core');
  });

  it('rolls a failed transaction back and stays usable', async () => {
    db = await database.open();
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO audit_events (actor, action, subject_type, subject_id) VALUES ('t', 'a', 's', '1')`);
        await tx.query('SELECT * FROM no_such_table');
      }),
    ).rejects.toThrow(/no_such_table/);
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
    expect(r.rows[0]?.n).toBe(0);
  });

  it('delivers a notification sent in a committed transaction', async () => {
    db = await database.open();
    const got: string[] = [];
    await db.listen('keel_test', (p) => got.push(p));
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_notify('keel_test', 'hello')`);
    });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['hello']);
  });

  it('returns int8 values as numbers and jsonb as objects', async () => {
    db = await database.open();
    const r = await db.query<{ n: number; j: { a: number } }>('SELECT 42::int8 AS n, $1::jsonb AS j', [JSON.stringify({ a: 1 })]);
    expect(r.rows[0]).toEqual({ n: 42, j: { a: 1 } });
  });
});

describe.skipIf(!postgresTestUrl)('migrations on PostgreSQL', () => {
  it('are applied exactly once when two processes start together', async () => {
    const created = await createPostgresDatabase(postgresTestUrl!);
    const a = await openPostgres({ url: created.url, poolSize: 2 });
    const b = await openPostgres({ url: created.url, poolSize: 2 });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      expect([...ra, ...rb].filter((id) => id === '0001_core')).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
      await created.drop();
    }
  });

  it('lets only one process hold the leader lock', async () => {
    const created = await createPostgresDatabase(postgresTestUrl!);
    const a = await openPostgres({ url: created.url, poolSize: 2 });
    const b = await openPostgres({ url: created.url, poolSize: 2 });
    try {
      const first = await a.tryLeaderLock(99);
      expect(first).not.toBeNull();
      expect(await b.tryLeaderLock(99)).toBeNull();
      await first!();
      const second = await b.tryLeaderLock(99);
      expect(second).not.toBeNull();
      await second!();
    } finally {
      await a.close();
      await b.close();
      await created.drop();
    }
  });
});
